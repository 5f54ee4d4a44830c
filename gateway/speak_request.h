/* The body of POST /speak and of its OpenAI-compatible alias, validated.
 *
 * Every field of API.md §2 is checked for type and range; each bad field adds
 * one {field, message} to the details of a 422 VALIDATION_ERROR (all of them
 * at once, not just the first). Unknown fields are refused on /speak, so a
 * typo ("sample_rte") is never silently ignored.
 *
 * The alias POST /v1/audio/speech takes OpenAI's body and OpenAI's defaults
 * and ranges, mapped onto the same parameters: `input` (the text), `model`
 * (one of openai_models.h), `voice` (a string: OpenAI's built-in names mean
 * the platform default voice, anything else is a voice id or display name;
 * or an object {"id"}: a voice id), `response_format` (default mp3; aac too
 * once common/audio_encode.h has an encoder for it), `speed` 0.25..4,
 * `instructions` (openai_instructions.h: cues for pace and pitch) and
 * `stream_format` (audio or sse). Fields OpenAI may add later are ignored
 * there, so a newer client still works. The alias answers at OpenAI's rates:
 * 24 kHz for every format (OpenAI clients play pcm as 24 kHz s16le), opus
 * at 48 kHz (the rate Opus codes at).
 *
 * Opus without a sample_rate, on either route, is 48 kHz: the engine's
 * native 32 kHz is not an Opus rate. Other formats without a rate on /speak
 * keep the engine's rate (sample_rate 0). */
#ifndef SS_GATEWAY_SPEAK_REQUEST_H
#define SS_GATEWAY_SPEAK_REQUEST_H

#include "gateway/save_target.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define GW_OPUS_DEFAULT_RATE 48000
#define GW_OPENAI_RATE 24000 /* every OpenAI format but opus */
#define GW_OPENAI_INSTRUCTIONS_MAX_CHARS 4096

typedef struct {
    const char *text;       /* borrowed from the body */
    size_t text_bytes;
    size_t characters;      /* Unicode code points */
    char voice_id[72];      /* "" = tenant / platform default */
    char voice_name[128];   /* OpenAI alias: a display name to look up ("" = none) */
    char format[8];         /* wav mp3 opus flac pcm (aac on the alias, when encodable) */
    int sample_rate;        /* 0 = the engine's rate */
    double speed, pitch;
    char language_hint[8];
    char preference[24];    /* any prefer_self_hosted prefer_relay */
    bool timestamps;
    bool want_json;         /* Accept: application/json */
    bool force_async;       /* a job even under the tenant's async threshold (/speak only) */
    gw_save_target save_to; /* /speak's save_to (save_to.wanted: given and valid) */
    /* the OpenAI alias only */
    char openai_voice[8];              /* one of OpenAI's built-in names ("" = none; openai_voices.h) */
    bool sse;                          /* stream_format "sse": speech.audio.delta/done events */
    bool instructions_given;           /* `instructions` was in the body */
    char instructions_understood[192]; /* what of it changed speed/pitch ("" = nothing) */
} gw_speak_params;

/* POST /speak. Returns 0, or -1 with *details (caller decrefs). */
int gw_speak_params_parse(const json_t *body, gw_speak_params *out, json_t **details);
/* POST /v1/audio/speech {model, input, voice, response_format, speed,
 * instructions, stream_format}. */
int gw_speak_params_parse_openai(const json_t *body, gw_speak_params *out, json_t **details);

/* One sentence for the 422's message made of its details ("input: is
 * required; speed: must be a number from 0.25 to 4"), so a client that shows
 * only error.message (the OpenAI SDKs) still says what is wrong. Truncated
 * with "..." to fit cap; returns buf. */
const char *gw_speak_details_message(const json_t *details, char *buf, size_t cap);

#endif
