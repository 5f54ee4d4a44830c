/* The body of POST /speak and of its OpenAI-compatible alias, validated.
 *
 * Every field of API.md §2 is checked for type and range; each bad field adds
 * one {field, message} to the details of a 422 VALIDATION_ERROR (all of them
 * at once, not just the first). Unknown fields are refused too, so a typo
 * ("sample_rte") is never silently ignored. */
#ifndef SS_GATEWAY_SPEAK_REQUEST_H
#define SS_GATEWAY_SPEAK_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *text;       /* borrowed from the body */
    size_t text_bytes;
    size_t characters;      /* Unicode code points */
    char voice_id[72];      /* "" = tenant / platform default */
    char voice_name[128];   /* OpenAI alias: a display name to look up ("" = none) */
    char format[8];         /* wav mp3 opus flac pcm */
    int sample_rate;        /* 0 = the engine's rate */
    double speed, pitch;
    char language_hint[8];
    char preference[24];    /* any prefer_self_hosted prefer_relay */
    bool timestamps;
    bool want_json;         /* Accept: application/json */
    bool sse;               /* OpenAI alias stream_format "sse": Server-Sent Events */
} gw_speak_params;

/* POST /speak. Returns 0, or -1 with *details (caller decrefs). */
int gw_speak_params_parse(const json_t *body, gw_speak_params *out, json_t **details);
/* POST /v1/audio/speech {model, input, voice, response_format, speed}. */
int gw_speak_params_parse_openai(const json_t *body, gw_speak_params *out, json_t **details);

#endif
