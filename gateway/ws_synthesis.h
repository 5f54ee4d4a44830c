/* The synthesis of one /stream/speak session: its sentences, in order,
 * through backend A's nodes, into one continuous encoder.
 *
 * Pipelined: at most two node calls run for a session — the current
 * sentence, whose PCM goes straight into the session's audio lane
 * (audio_lane.h: resampling and encoding on the audio threads), and the next
 * one, started as soon as it is queued, whose PCM is held until the current
 * one ends. So when a talking agent streams text word by word, each
 * sentence's audio is ready when the previous one's ends and the client
 * hears no gap beyond the pauses the engine itself writes. One encoder for
 * the whole session: no codec restart (and no Opus pre-skip or resampler
 * edge) between sentences.
 *
 * A node that fails before its first audio byte is followed by the next
 * node of the plan (the same rule as /speak); nodes that are only busy
 * (RESOURCE_EXHAUSTED) are waited for in the gateway's busy queue
 * (busy_wait.h) and tried again. A sentence no node can synthesise, or a
 * node failing after its audio began, ends the synthesis with on_failed.
 *
 * Interrupt drops everything queued, cancels the node calls and drops the
 * encoder with whatever it held (a new one starts with the next sentence);
 * nothing of the old sentences is delivered after it returns. Pause and
 * resume pass the session's back-pressure on to the node calls. Timings of
 * every sentence (when asked) come back shifted by the audio before it. */
#ifndef SS_GATEWAY_WS_SYNTHESIS_H
#define SS_GATEWAY_WS_SYNTHESIS_H

#include "gateway/backend_resolve.h"
#include "gateway/gateway.h"

#include "common/audio_encode.h"

#include <stdint.h>

typedef struct ws_synthesis ws_synthesis;

typedef struct {
    /* encoded bytes, in order (pcm: s16le; opus packets: length-prefixed records) */
    void (*on_audio)(void *user, const uint8_t *data, size_t len);
    /* a sentence's words [{text,start_ms,end_ms}], shifted to the session's time (owned) */
    void (*on_alignment)(void *user, json_t *words);
    /* after ws_synthesis_finish: every sentence done and the encoder flushed */
    void (*on_finished)(void *user);
    /* synthesis cannot go on: e is the error it would be on /speak */
    void (*on_failed)(void *user, ss_api_error e, const char *message);
} ws_synthesis_events;

typedef struct {
    gw_server *gw;
    const char *request_id;
    const char *engine_id;
    const char *voice_id;
    const char *design_prompt; /* a designed voice's prompt, else NULL (copied) */
    float speed;
    bool timestamps;
    ss_audio_format format;
    int out_rate;
    const gw_node_choice *nodes; /* the plan's backend A nodes, in order (copied) */
    int nnodes;
    /* a cloned voice: its reference digest and object key (node_call.h), else NULL (copied) */
    const char *reference_sha256;
    const char *reference_key;
} ws_synthesis_spec;

/* NULL when out of memory. */
ws_synthesis *ws_synthesis_new(const ws_synthesis_spec *spec, const ws_synthesis_events *ev, void *user);
/* Queues a sentence (taken). 0, or -1 when out of memory (the sentence is freed). */
int ws_synthesis_add(ws_synthesis *s, char *sentence);
/* No more sentences: on_finished once the queue is done. */
void ws_synthesis_finish(ws_synthesis *s);
void ws_synthesis_interrupt(ws_synthesis *s);
void ws_synthesis_pause(ws_synthesis *s);
void ws_synthesis_resume(ws_synthesis *s);
/* Sentences queued or running, or encoding left to do. */
bool ws_synthesis_busy(const ws_synthesis *s);
/* Audio produced so far, in ms (the node's samples handed to the encoder). */
uint64_t ws_synthesis_audio_ms(const ws_synthesis *s);
/* Cancels what runs; callbacks stop at once. */
void ws_synthesis_free(ws_synthesis *s);

#endif
