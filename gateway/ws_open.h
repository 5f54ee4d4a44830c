/* The `open` message of /stream/speak (API.md §3), read and checked.
 *
 * {"type":"open","voice_id"?,"language_hint"?,"speed"?,"output"?:{"codec",
 * "sample_rate"?},"backend_preference"?,"timestamps"?}. Every field is
 * optional; unknown fields are refused (a misspelt "sampel_rate" should not
 * silently give the default). Output: codec "opus" (the default: raw Opus
 * packets, 48 kHz mono, 20 ms each — sample_rate may only be 48000) or "pcm"
 * (s16le mono; sample_rate 8000, 16000, 22050, 24000, 32000, 44100 or 48000,
 * default 24000). Speed has /speak's limits (common/synth_limits.h). Pure. */
#ifndef SS_GATEWAY_WS_OPEN_H
#define SS_GATEWAY_WS_OPEN_H

#include "common/audio_encode.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char voice_id[128];      /* "" = the tenant's default, else the platform's */
    char language_hint[8];
    double speed;
    bool opus;               /* else pcm */
    int sample_rate;
    char preference[24];     /* any prefer_self_hosted prefer_relay */
    bool timestamps;
} ws_open_params;

/* A refused field: its name ("speed", "output.codec", an unknown field's
 * own name, cut to fit) and the reason, which names it too. Callers answer
 * it as VALIDATION_ERROR with details [{field, message}] (API.md §1). */
typedef struct {
    char field[128];
    char message[200];
} ws_open_problem;

/* 0 with *out filled, or -1 with *problem (the first field refused). */
int ws_open_parse(const json_t *msg, ws_open_params *out, ws_open_problem *problem);

#endif
