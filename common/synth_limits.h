/* The limits of a synthesis request: one set, used by every layer.
 *
 * The gateway (/speak, /v1/audio/speech), the node (Synthesize) and the
 * engine (ss_synth_options_validate) all check speed, pitch and text length
 * against these numbers and word a refusal with the same sentence, so a
 * value refused anywhere is refused everywhere and the caller reads the same
 * reason. API.md §2 gives the ranges: speed 0.5..2.0, pitch -12..12
 * semitones, text up to 100 000 characters. Where a wire allows "0 = the
 * default" (the node's speed), the caller maps 0 before checking. */
#ifndef SS_COMMON_SYNTH_LIMITS_H
#define SS_COMMON_SYNTH_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#define SS_SPEED_MIN 0.5
#define SS_SPEED_MAX 2.0
#define SS_PITCH_MIN (-12.0)
#define SS_PITCH_MAX 12.0
#define SS_TEXT_MAX_CHARS 100000

/* true when v is a finite number within the range; otherwise false, and
 * msg gets the reason without the field's name, e.g. "must be a number from
 * 0.5 to 2" (callers put the field first: "speed must be ..."). */
bool ss_speed_ok(double v, char *msg, size_t msglen);
bool ss_pitch_ok(double v, char *msg, size_t msglen);

#endif
