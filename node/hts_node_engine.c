/* Adapter from the HTS engine to ss_node_engine (see hts_node_engine.h).
 *
 * Per call: the text goes through the engine's one text -> audio
 * orchestration (ss_engine_speak, engine.h: front end, SSML prosody,
 * streamed synthesis sentence by sentence; bad SSML or out-of-range options:
 * INVALID_ARGUMENT). This file only bridges its sink to the node's: float
 * chunks become s16 PCM with their offset in the whole utterance, and
 * per-sentence timings become the wire's word/phoneme timings (word offsets
 * point into the request text). "Stop" goes back to the engine when the
 * node's sink says the call is gone; the adapter's own out-of-memory is
 * reported as such (FAILED), never as a cancellation.
 *
 * Voices (ENGINE.md step 8): a cloned voice (voice id + reference digest)
 * is resolved by the node (node/clone_voice.h: the nearest base voice among
 * the node's engines, conditioned toward the reference, cached per (voice
 * id, digest), the reference protocol and its errors) and arrives here as
 * req->clone when this engine's slt voice is the one chosen; its conditioned
 * voice (conditioned_voice.h) is what speaks. Called without req->clone
 * (tools, tests), the engine resolves the reference through the same code
 * with itself as the only base. The clone hooks give the node the model's
 * own statistics and build conditioned voices. Design parameters (no
 * reference) become conditioning through voice_design.h and a conditioned
 * voice for that call only (a few milliseconds). The model's own statistics
 * are measured once, on the first conditioned request (about a second), and
 * kept for the engine's lifetime. Conditioned durations go through the
 * engine's speed. */
#include "node/hts_node_engine.h"

#include "common/log.h"
#include "node/clone_voice.h"
#include "node/engine/engine.h"
#include "node/engine/voice/conditioned_voice.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_voice *voice;
    ss_frontend *fe;
    ss_conditioner *conditioner;    /* the model's own statistics, measured on first use */
    ss_kernel_route kernels;        /* where syntheses run their kernels (zero: CPU) */
} hts_impl;

static bool design_is_identity(const ss_voice_design *d)
{
    return (!d->prompt || !d->prompt[0]) && d->f0_shift_semitones == 0 && (d->f0_range_scale == 0 || d->f0_range_scale == 1) &&
           d->alpha_shift == 0 && d->brightness == 0 && d->energy == 0 &&
           (d->rate_scale == 0 || d->rate_scale == 1);
}

/* Clone hooks (node_engine.h): the model's own statistics from the
 * conditioner; conditioning is fitted in the analysis's terms (32 kHz,
 * the MCP stream's alpha: conditioned_voice.h) and built as a conditioned
 * voice. */
static int hts_clone_base(ss_node_engine *e, ss_speaker_stats *stats, double *alpha, int *rate, char *err,
                          size_t errlen)
{
    hts_impl *h = e->impl;
    *alpha = ss_voice_mcp_alpha(h->voice);
    *rate = SS_MCEP_RATE;
    return ss_conditioner_model(h->conditioner, stats, err, errlen);
}

static void *hts_clone_build(ss_node_engine *e, const ss_conditioning *c, size_t *bytes, char *err,
                             size_t errlen)
{
    hts_impl *h = e->impl;
    return ss_conditioned_voice_new(h->voice, c, bytes, err, errlen);
}

static void hts_clone_free(void *built)
{
    ss_conditioned_voice_free(built);
}

/* The adapter between the engine's speak sink (float chunks, per-sentence
 * timings) and the node's sink (s16 PCM, wire timings). */
typedef struct {
    const ss_node_synth_sink *sink;
    int16_t *pcm;
    size_t pcm_cap;
    bool stopped;               /* the node's sink said stop, or the call is cancelled */
    bool out_of_memory;         /* the adapter itself ran out of memory */
} speak_bridge;

static int bridge_audio(void *user, const ss_audio_chunk *chunk)
{
    speak_bridge *b = user;
    if (b->sink->cancelled(b->sink->user)) {
        b->stopped = true;
        return 1;
    }
    if (chunk->nsamples > b->pcm_cap) {
        int16_t *np = realloc(b->pcm, chunk->nsamples * sizeof *np);
        if (!np) {
            b->out_of_memory = true;
            return 1;
        }
        b->pcm = np;
        b->pcm_cap = chunk->nsamples;
    }
    ss_samples_to_s16(chunk->samples, chunk->nsamples, b->pcm);
    if (b->sink->audio(b->sink->user, b->pcm, chunk->nsamples, chunk->first_sample, chunk->is_last != 0) != 0) {
        b->stopped = true;
        return 1;
    }
    return 0;
}

static uint32_t ms_u32(double ms)
{
    return ms <= 0 ? 0 : ms >= 4294967295.0 ? UINT32_MAX : (uint32_t)(ms + 0.5);
}

/* One sentence's timings in the wire's form: words carry their own text
 * (NUL-terminated copies) and byte offsets into the request text. */
static int bridge_alignment(void *user, const ss_sentence_alignment *a)
{
    speak_bridge *b = user;
    size_t nw = a->nwords ? a->nwords : 1, np = a->nphones ? a->nphones : 1;
    ss_word_timing *w = calloc(nw, sizeof *w);
    ss_phoneme_timing *p = calloc(np, sizeof *p);
    char **texts = calloc(nw, sizeof *texts);
    int rc = 1;
    bool oom = !w || !p || !texts;
    for (size_t i = 0; !oom && i < a->nwords; i++) {
        const ss_spoken_word *sw = &a->words[i];
        texts[i] = strndup(sw->text, sw->text_len);
        oom = !texts[i];
        w[i] = (ss_word_timing){texts[i], ms_u32(sw->start_ms), ms_u32(sw->end_ms), (uint32_t)sw->src_start,
                                (uint32_t)sw->src_end};
    }
    for (size_t i = 0; !oom && i < a->nphones; i++)
        p[i] = (ss_phoneme_timing){a->phones[i].phone, ms_u32(a->phones[i].start_ms),
                                   ms_u32(a->phones[i].end_ms)};
    if (oom)
        b->out_of_memory = true;
    else if (b->sink->alignment(b->sink->user, w, a->nwords, p, a->nphones) == 0)
        rc = 0;
    else
        b->stopped = true;
    for (size_t i = 0; texts && i < a->nwords; i++)
        free(texts[i]);
    free(w);
    free(p);
    free(texts);
    return rc;
}

/* The engine options of a request before conditioning (which scales the
 * speed later); 0, or -1 + err when they are outside the engine's limits or
 * the design parameters are not numbers. */
static int hts_options(const hts_impl *h, const ss_node_synth_request *req, ss_synth_options *o,
                       char *err, size_t errlen)
{
    ss_synth_options_init(o);
    o->speed = req->speed;
    o->pitch = req->pitch;
    if (req->has_design) {
        const ss_voice_design *d = &req->design;
        if (!isfinite(d->f0_shift_semitones) || !isfinite(d->f0_range_scale) || !isfinite(d->alpha_shift) ||
            !isfinite(d->brightness) || !isfinite(d->energy) || !isfinite(d->rate_scale) ||
            d->f0_range_scale < 0 || d->rate_scale < 0) {
            snprintf(err, errlen, "voice design parameters must be finite (scales >= 0)");
            return -1;
        }
    }
    o->sample_rate = req->sample_rate ? (int)req->sample_rate : ss_voice_native_rate(h->voice);
    o->stream = 1;
    o->keep_audio = 0;
    o->first_chunk_ms = req->first_chunk_ms;
    o->request_id = req->request_id;
    o->kernels = h->kernels.ops;
    o->scheduler = h->kernels.scheduler;
    return ss_synth_options_validate(o, err, errlen);
}

static int hts_check(ss_node_engine *e, const ss_node_synth_request *req, char *err, size_t errlen)
{
    ss_synth_options o;
    return hts_options(e->impl, req, &o, err, errlen);
}

static ss_node_synth_status hts_synthesize(ss_node_engine *e, const ss_node_synth_request *req,
                                           const ss_node_synth_sink *sink, char *err, size_t errlen)
{
    hts_impl *h = e->impl;
    ss_synth_options o;
    if (hts_options(h, req, &o, err, errlen) != 0)
        return SS_NODE_SYNTH_INVALID;

    const ss_voice *voice = h->voice;
    ss_voice_entry *entry = NULL;
    ss_voice *design_voice = NULL;
    const ss_clone_voice *clone = req->clone;
    if (!clone && req->voice_id[0] && req->reference_sha256[0]) {
        ss_node_synth_status vs = ss_clone_voice_resolve(&e, 1, req, &entry, err, errlen);
        if (vs != SS_NODE_SYNTH_OK)
            return vs;
        clone = ss_voice_entry_value(entry);
    }
    if (clone) {
        if (clone->base != e) {
            snprintf(err, errlen, "a clone of engine %s given to engine %s", clone->base->info.engine_id,
                     e->info.engine_id);
            if (entry)
                ss_voice_cache_release(req->voices, entry);
            return SS_NODE_SYNTH_FAILED;
        }
        voice = clone->built;
        o.speed = ss_conditioned_speed(&clone->cond, o.speed);
    } else if (req->has_design && !design_is_identity(&req->design)) {
        ss_conditioning k;
        const ss_voice_design *d = &req->design;
        int rc = d->prompt && d->prompt[0]
                     ? ss_conditioner_from_prompt(h->conditioner, d->prompt, &k, NULL, err, errlen)
                     : ss_conditioner_from_numbers(h->conditioner, d->f0_shift_semitones, d->f0_range_scale,
                                                   d->alpha_shift, d->brightness, d->energy, d->rate_scale, &k,
                                                   err, errlen);
        if (rc != 0)
            return SS_NODE_SYNTH_INVALID;
        design_voice = ss_conditioned_voice_new(h->voice, &k, NULL, err, errlen);
        if (!design_voice)
            return SS_NODE_SYNTH_FAILED;
        voice = design_voice;
        o.speed = ss_conditioned_speed(&k, o.speed);
    }

    speak_bridge b = {.sink = sink};
    ss_speak_sink speak_sink = {.audio = bridge_audio,
                                .alignment = req->want_timestamps ? bridge_alignment : NULL,
                                .user = &b};
    int rc = ss_engine_speak(voice, h->fe, req->text, strlen(req->text), &o, &speak_sink, NULL, err, errlen);
    free(b.pcm);
    if (entry)
        ss_voice_cache_release(req->voices, entry);
    ss_conditioned_voice_free(design_voice);
    if (b.out_of_memory) {
        snprintf(err, errlen, "out of memory");
        return SS_NODE_SYNTH_FAILED;
    }
    if (rc == SS_SYNTH_CANCELLED || b.stopped)
        return SS_NODE_SYNTH_CANCELLED;
    if (rc == SS_SPEAK_INVALID)
        return SS_NODE_SYNTH_INVALID;
    return rc == 0 ? SS_NODE_SYNTH_OK : SS_NODE_SYNTH_FAILED;
}

static void hts_destroy(ss_node_engine *e)
{
    hts_impl *h = e->impl;
    if (h) {
        ss_conditioner_free(h->conditioner);
        ss_frontend_free(h->fe);
        ss_voice_free(h->voice);
        free(h);
    }
    free(e);
}

ss_node_engine *ss_hts_node_engine_new(const char *voice_path, const char *kernels, char *err,
                                       size_t errlen)
{
    ss_node_engine *e = calloc(1, sizeof *e);
    hts_impl *h = calloc(1, sizeof *h);
    if (!e || !h) {
        free(e);
        free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->impl = h;
    e->destroy = hts_destroy;
    e->synthesize = hts_synthesize;
    e->check = hts_check;
    e->clone_base = hts_clone_base;
    e->clone_build = hts_clone_build;
    e->clone_free = hts_clone_free;
    char inner[384];
    h->voice = ss_voice_load(voice_path, inner, sizeof inner);
    if (!h->voice) {
        snprintf(err, errlen, "cannot load voice %s: %s", voice_path, inner);
        hts_destroy(e);
        return NULL;
    }
    h->fe = ss_frontend_create(inner, sizeof inner);
    if (!h->fe) {
        snprintf(err, errlen, "cannot start the text front end: %s", inner);
        hts_destroy(e);
        return NULL;
    }
    h->conditioner = ss_conditioner_new(h->voice, h->fe, err, errlen);
    if (!h->conditioner) {
        hts_destroy(e);
        return NULL;
    }
    snprintf(e->info.engine_id, sizeof e->info.engine_id, "%s", SS_HTS_NODE_ENGINE_ID);
    snprintf(e->info.kind, sizeof e->info.kind, "hts");
    snprintf(e->info.version, sizeof e->info.version, "1.0");
    (void)kernels; /* a name for logs; the route comes from ss_hts_node_engine_use_kernels */
    e->info.sample_rate = (uint32_t)ss_voice_native_rate(h->voice);
    snprintf(e->info.gender, sizeof e->info.gender, "female"); /* CMU ARCTIC slt */
    snprintf(e->info.accent, sizeof e->info.accent, "us");
    snprintf(e->info.language, sizeof e->info.language, "en-US");
    return e;
}

void ss_hts_node_engine_use_kernels(ss_node_engine *e, const ss_kernel_route *kernels)
{
    hts_impl *h = e->impl;
    h->kernels = kernels ? *kernels : (ss_kernel_route){0};
}
