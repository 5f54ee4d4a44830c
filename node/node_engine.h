/* The node's view of a speech engine: what the gRPC service needs to list an
 * engine and to run one synthesis, nothing more. An engine (node/engine/) is
 * plugged in by filling an ss_node_engine and adding its constructor to
 * ss_node_engines_load() (node/node_engines.c).
 *
 * Threading: synthesize() is called from the node's worker threads, up to
 * `slots` calls at the same time on the same engine; it must be reentrant
 * (shared read-only model, per-call state on the call's own memory).
 *
 * Streaming: the engine hands audio to the sink as soon as a phrase is
 * vocoded (never the whole utterance at the end). PCM is s16le mono at
 * req->sample_rate when that is non-zero (the engine resamples), else at
 * info.sample_rate. The node packs chunks of about req->chunk_ms, sends the
 * stream header before the first chunk and the Done message after a
 * successful return.
 *
 * Cancellation: sink->cancelled() turns true when the client cancelled, the
 * deadline passed or the node's drain time ran out; audio() and alignment()
 * then return -1. The engine checks between phrases/frames so it stops within
 * one chunk, and returns SS_NODE_SYNTH_CANCELLED.
 *
 * Voices: req->voices is the node's voice cache. A request with a reference
 * (voice_id, reference_sha256) is resolved by the node before the engine
 * runs (node/clone_voice.h: the nearest base voice among the engines with
 * clone hooks, conditioned toward the reference, cached per (voice_id,
 * digest)); the node then calls that base's engine with req->clone set.
 * Called without req->clone, an engine that clones resolves the reference
 * against its own voice through the same code: on a miss without reference
 * bytes that is SS_NODE_SYNTH_REFERENCE_REQUIRED (the node answers
 * FAILED_PRECONDITION "reference_required" and the gateway resends with the
 * bytes); with bytes the conditioning is computed and stored. */
#ifndef SS_NODE_NODE_ENGINE_H
#define SS_NODE_NODE_ENGINE_H

#include "common/config.h"
#include "kernels/kernel_route.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/word_timing.h"
#include "node/voice_cache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char engine_id[64];   /* "scaispeak-hts-en" */
    char kind[32];        /* "hts" */
    char version[32];
    uint32_t sample_rate; /* native output rate */
    char gender[16];      /* the voice's: "female", "male" */
    char accent[32];      /* "us", "scottish" */
    char language[16];    /* BCP 47: "en-US" */
} ss_engine_info;

typedef struct {
    float f0_shift_semitones;
    float f0_range_scale; /* 0 means unchanged (1) */
    float alpha_shift;
    float brightness;
    float energy;         /* dB */
    float rate_scale;     /* 0 means unchanged (1) */
    const char *prompt;   /* a design prompt read against the model ("" = use the numbers) */
} ss_voice_design;

typedef struct {
    const char *request_id;        /* for every log line */
    const char *text;              /* plain text or SSML (<speak>...) */
    const char *voice_id;          /* "" when none */
    const char *reference_sha256;  /* "" when none */
    const uint8_t *reference_audio; /* NULL unless the gateway sent the bytes */
    size_t reference_audio_len;
    bool has_design;
    ss_voice_design design;
    uint32_t sample_rate;          /* 0 = engine rate */
    float speed;                   /* 1.0 when the request said 0 */
    float pitch;                   /* semitones */
    bool want_timestamps;
    uint32_t chunk_ms;             /* resolved (node default applied) */
    uint32_t first_chunk_ms;       /* the node's first_chunk_ms setting; 0 = first phrase whole */
    ss_voice_cache *voices;
    /* The cloned voice the node resolved for (voice_id, reference_sha256)
     * (node/clone_voice.h), or NULL: then an engine that clones resolves it
     * itself, against its own voice only. When set, its base is this engine. */
    const struct ss_clone_voice *clone;
} ss_node_synth_request;

typedef struct {
    void *user;
    /* PCM for samples [start_sample, start_sample + n). last: nothing but
     * the end of the call follows (timings at most), so a writer may hold
     * it to leave with the end; false is always allowed. 0, or -1: stop now. */
    int (*audio)(void *user, const int16_t *pcm, size_t n, uint64_t start_sample, bool last);
    /* Timings (only when want_timestamps), any number of times. 0 or -1. */
    int (*alignment)(void *user, const ss_word_timing *words, size_t nwords,
                     const ss_phoneme_timing *phonemes, size_t nphonemes);
    /* True once the work should stop. Cheap; poll it. */
    bool (*cancelled)(void *user);
} ss_node_synth_sink;

typedef enum {
    SS_NODE_SYNTH_OK = 0,
    SS_NODE_SYNTH_CANCELLED,          /* sink said stop */
    SS_NODE_SYNTH_INVALID,            /* bad text/SSML/parameters: INVALID_ARGUMENT */
    SS_NODE_SYNTH_REFERENCE_REQUIRED, /* voice not cached and no bytes */
    SS_NODE_SYNTH_FAILED,             /* anything else: INTERNAL */
} ss_node_synth_status;

typedef struct ss_node_engine ss_node_engine;
struct ss_node_engine {
    ss_engine_info info;
    void *impl;
    /* Runs one synthesis; err gets the reason for INVALID/FAILED. */
    ss_node_synth_status (*synthesize)(ss_node_engine *e, const ss_node_synth_request *req,
                                  const ss_node_synth_sink *sink, char *err, size_t errlen);
    /* Optional: checks the request against the engine's limits (sample
     * rates, speed and pitch ranges) without running it; 0, or -1 + err
     * (INVALID_ARGUMENT). The node calls it before the call takes a slot;
     * synthesize() must still reject what check() would. */
    int (*check)(ss_node_engine *e, const ss_node_synth_request *req, char *err, size_t errlen);
    /* Optional, zero-shot cloning (node/clone_voice.h); an engine has all
     * three or none. clone_base: the voice's own speaker statistics
     * (measured once, then kept), the rate and all-pass constant its
     * conditioning is fitted for (ss_conditioning_fit_at_rate); 0 or -1 +
     * err. clone_build: what synthesize needs to speak with conditioning c
     * (*bytes: its size, for the voice cache's bound); NULL + err.
     * clone_free: frees what clone_build made. */
    int (*clone_base)(ss_node_engine *e, ss_speaker_stats *stats, double *alpha, int *rate, char *err,
                      size_t errlen);
    void *(*clone_build)(ss_node_engine *e, const ss_conditioning *c, size_t *bytes, char *err, size_t errlen);
    void (*clone_free)(void *built);
    /* Optional: drop any per-voice state kept outside the voice cache. */
    void (*evict_voice)(ss_node_engine *e, const char *voice_id);
    /* Frees the engine and impl. */
    void (*destroy)(ss_node_engine *e);
};

/* Builds the engines this node serves from the configuration (voice_path).
 * kernels: where every synthesis runs its kernel work (the selected ops and
 * the node's batch scheduler, if any; kernels/kernel_route.h), borrowed for
 * the engines' lifetime; NULL = CPU kernels, direct. 0 with *out and *n
 * filled (possibly zero engines), or -1 + err when a configured engine
 * fails to load. */
int ss_node_engines_load(const ss_settings *settings, const ss_kernel_route *kernels,
                         ss_node_engine ***out, size_t *n, char *err, size_t errlen);
void ss_node_engines_free(ss_node_engine **engines, size_t n);


#endif
