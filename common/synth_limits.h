/* The limits of a synthesis request: one set, used by every layer.
 *
 * The gateway (/speak, /v1/audio/speech), the node (Synthesize) and the
 * engine (ss_synth_options_validate) all check speed, pitch and text length
 * against these numbers and word a refusal with the same sentence
 * ("must be a number from 0.5 to 2"), so the caller reads the same reason
 * whichever layer refused. API.md §2 gives /speak's ranges: speed 0.5..2.0,
 * pitch -12..12 semitones, text up to 100 000 characters.
 *
 * Speed has three ranges, one per audience: /speak's (0.5..2, API.md §2),
 * the OpenAI alias's (0.25..4, OpenAI's own range, so OpenAI clients work
 * unchanged) and the engine's, which the node and the engine check: the
 * widest any route passes on (0.25..4). A route never sends a speed the
 * engine refuses (tests/unit/test_synth_limits.c checks that the ranges
 * nest); the engine never refuses what a route accepted. Where a wire
 * allows "0 = the default" (the node's speed), the caller maps 0 before
 * checking. */
#ifndef SS_COMMON_SYNTH_LIMITS_H
#define SS_COMMON_SYNTH_LIMITS_H

#include "common/audio_input.h"

#include <stdbool.h>
#include <stddef.h>

#define SS_SPEED_MIN 0.5            /* /speak (API.md §2) */
#define SS_SPEED_MAX 2.0
#define SS_OPENAI_SPEED_MIN 0.25    /* POST /v1/audio/speech (OpenAI's range) */
#define SS_OPENAI_SPEED_MAX 4.0
#define SS_ENGINE_SPEED_MIN 0.25    /* the node and the engine: every route's range */
#define SS_ENGINE_SPEED_MAX 4.0
#define SS_PITCH_MIN (-12.0)
#define SS_PITCH_MAX 12.0
#define SS_TEXT_MAX_CHARS 100000

/* The largest request message a node accepts (Synthesize, the reference
 * analysis): a cloned voice's reference clip travels with the call, up to
 * the decoder's bound (SS_AUDIO_MAX_BYTES, which every clip the voice
 * library accepted is within), plus the text (SS_TEXT_MAX_CHARS, at most
 * 4 bytes each in UTF-8) and the other fields. gRPC's default, 4 MiB, left
 * a 25 s 48 kHz stereo reference (5 MB) unusable. */
#define SS_NODE_REQUEST_MAX_BYTES (SS_AUDIO_MAX_BYTES + 4u * SS_TEXT_MAX_CHARS + 1024u * 1024u)

/* true when v is a finite number within the range; otherwise false, and
 * msg gets the reason without the field's name, e.g. "must be a number from
 * 0.5 to 2" (callers put the field first: "speed must be ..."). */
bool ss_speed_ok(double v, char *msg, size_t msglen);        /* /speak's range */
bool ss_openai_speed_ok(double v, char *msg, size_t msglen); /* the OpenAI alias's */
bool ss_engine_speed_ok(double v, char *msg, size_t msglen); /* the node's and the engine's */
bool ss_pitch_ok(double v, char *msg, size_t msglen);

#endif
