/* Adapter from the HTS engine to ss_node_engine (see hts_node_engine.h).
 *
 * Per call: the front end analyses the text (bad SSML: INVALID_ARGUMENT);
 * each sentence is synthesized in stream mode; the engine's chunk callback
 * converts the float samples to s16 and passes them to the node's sink with
 * their offset in the whole utterance (sentences are concatenated), and
 * returns "stop" when the sink says the call is gone. Timestamps (when asked)
 * are sent per sentence, shifted by the audio before it, with word offsets
 * pointing into the request text.
 *
 * Voices (ENGINE.md step 8): a request with a voice id and reference digest
 * looks up (voice id, digest) in the node's voice cache. A hit gives the
 * conditioned voice computed earlier. A miss without reference bytes answers
 * SS_NODE_SYNTH_REFERENCE_REQUIRED (the gateway resends with the bytes); with
 * bytes the clip is decoded and analysed (reference_analysis.h), the
 * conditioning fitted against the model's own statistics and a conditioned
 * voice built (conditioned_voice.h), then cached with its size so the
 * cache's memory bound applies. A clip that cannot be used is
 * INVALID_ARGUMENT "analysis_failed: REASON: ...". Design parameters (no
 * reference) become conditioning through voice_design.h and a conditioned
 * voice for that call only (a few milliseconds). The model's own statistics
 * are measured once, on the first conditioned request (about a second), and
 * kept for the engine's lifetime. Conditioned durations go through the
 * engine's speed. */
#include "node/hts_node_engine.h"

#include "common/log.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/engine.h"
#include "node/engine/frontend/frontend.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/reference_analysis.h"
#include "node/engine/voice/voice_design.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_voice *voice;
    ss_frontend *fe;
    pthread_mutex_t profile_mu;     /* guards the two fields below */
    bool have_profile;
    ss_speaker_stats profile;       /* the model's own statistics (model_profile.h) */
    ss_kernel_route kernels;        /* where syntheses run their kernels (zero: CPU) */
} hts_impl;

/* What the voice cache holds for a (voice id, digest). */
typedef struct {
    ss_conditioning cond;
    ss_voice *voice;
} cached_voice;

static void cached_voice_free(void *p)
{
    cached_voice *cv = p;
    if (cv) {
        ss_conditioned_voice_free(cv->voice);
        free(cv);
    }
}

/* The model's statistics, measured on first use. 0, or -1 + err. */
static int model_profile(hts_impl *h, ss_speaker_stats *out, char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&h->profile_mu);
    if (!h->have_profile) {
        rc = ss_model_profile_compute(h->voice, h->fe, NULL, &h->profile, err, errlen);
        h->have_profile = rc == 0;
    }
    if (rc == 0)
        *out = h->profile;
    pthread_mutex_unlock(&h->profile_mu);
    return rc;
}

static bool design_is_identity(const ss_voice_design *d)
{
    return d->f0_shift_semitones == 0 && (d->f0_range_scale == 0 || d->f0_range_scale == 1) &&
           d->alpha_shift == 0 && d->brightness == 0 && d->energy == 0 &&
           (d->rate_scale == 0 || d->rate_scale == 1);
}

/* The cached conditioned voice of (voice id, digest), computing and caching
 * it from the reference bytes on a miss. *entry must be released. */
static ss_node_synth_status reference_voice(hts_impl *h, const ss_node_synth_request *req,
                                            ss_voice_entry **entry, char *err, size_t errlen)
{
    *entry = ss_voice_cache_acquire(req->voices, req->voice_id, req->reference_sha256);
    if (*entry)
        return SS_NODE_SYNTH_OK;
    if (!req->reference_audio_len)
        return SS_NODE_SYNTH_REFERENCE_REQUIRED;
    ss_speaker_stats model;
    if (model_profile(h, &model, err, errlen) != 0)
        return SS_NODE_SYNTH_FAILED;
    cached_voice *cv = calloc(1, sizeof *cv);
    if (!cv) {
        snprintf(err, errlen, "out of memory");
        return SS_NODE_SYNTH_FAILED;
    }
    ss_reference_report rep;
    char reason[64];
    if (ss_reference_condition(req->reference_audio, req->reference_audio_len, &model,
                               ss_voice_mcp_alpha(h->voice), &cv->cond, &rep, reason, sizeof reason, err,
                               errlen) != 0) {
        ss_warn(req->request_id, "voice %s: reference not usable: %s", req->voice_id, err);
        free(cv);
        return SS_NODE_SYNTH_INVALID;
    }
    size_t bytes = 0;
    cv->voice = ss_conditioned_voice_new(h->voice, &cv->cond, &bytes, err, errlen);
    if (!cv->voice) {
        free(cv);
        return SS_NODE_SYNTH_FAILED;
    }
    ss_info(req->request_id,
            "voice %s: conditioned from a %.1f s reference (F0 %.0f Hz, alpha %.4f, durations x%.2f, "
            "fit %.1f dB)",
            req->voice_id, rep.preflight.duration_s, cv->cond.ref_f0_hz, cv->cond.alpha,
            cv->cond.duration_scale, cv->cond.fit_rms_db);
    if (ss_voice_cache_put_sized(req->voices, req->voice_id, req->reference_sha256, cv, cached_voice_free,
                                 bytes + sizeof *cv) != 0) {
        snprintf(err, errlen, "voice %s does not fit in the voice cache (%zu bytes)", req->voice_id, bytes);
        return SS_NODE_SYNTH_FAILED;
    }
    *entry = ss_voice_cache_acquire(req->voices, req->voice_id, req->reference_sha256);
    if (!*entry) {
        snprintf(err, errlen, "voice %s was evicted at once (voice cache too small)", req->voice_id);
        return SS_NODE_SYNTH_FAILED;
    }
    return SS_NODE_SYNTH_OK;
}

typedef struct {
    const ss_node_synth_sink *sink;
    uint64_t base_sample;   /* samples of the sentences before this one */
    int16_t *pcm;
    size_t pcm_cap;
    bool stopped;
} chunk_ctx;

static int on_chunk(void *user, const ss_audio_chunk *chunk)
{
    chunk_ctx *c = user;
    if (c->sink->cancelled(c->sink->user)) {
        c->stopped = true;
        return 1;
    }
    if (chunk->nsamples > c->pcm_cap) {
        int16_t *np = realloc(c->pcm, chunk->nsamples * sizeof *np);
        if (!np) {
            c->stopped = true;
            return 1;
        }
        c->pcm = np;
        c->pcm_cap = chunk->nsamples;
    }
    ss_samples_to_s16(chunk->samples, chunk->nsamples, c->pcm);
    if (c->sink->audio(c->sink->user, c->pcm, chunk->nsamples,
                       c->base_sample + chunk->first_sample) != 0) {
        c->stopped = true;
        return 1;
    }
    return 0;
}

/* Word and phone timings of one sentence, shifted by offset_ms. 0 or -1. */
static int send_alignment(const ss_node_synth_sink *sink, const ss_sentence *se,
                          const ss_synth_result *r, const char *text, double offset_ms)
{
    ss_word_timing *w = calloc(r->nwords ? r->nwords : 1, sizeof *w);
    ss_phoneme_timing *p = calloc(r->nphones ? r->nphones : 1, sizeof *p);
    char **texts = calloc(r->nwords ? r->nwords : 1, sizeof *texts);
    int rc = -1;
    if (w && p && texts) {
        size_t nw = 0;
        for (size_t i = 0; i < r->nwords; i++) {
            const ss_word_time *wt = &r->words[i];
            if (wt->word_index >= se->n_words)
                continue;
            const ss_word *sw = &se->words[wt->word_index];
            size_t a = sw->src_start, b = sw->src_end;
            texts[nw] = strndup(text + a, b > a ? b - a : 0);
            w[nw] = (ss_word_timing){texts[nw] ? texts[nw] : "", (uint32_t)(wt->start_ms + offset_ms + 0.5),
                                     (uint32_t)(wt->end_ms + offset_ms + 0.5), (uint32_t)a, (uint32_t)b};
            nw++;
        }
        for (size_t i = 0; i < r->nphones; i++)
            p[i] = (ss_phoneme_timing){r->phones[i].phone,
                                       (uint32_t)(r->phones[i].start_ms + offset_ms + 0.5),
                                       (uint32_t)(r->phones[i].end_ms + offset_ms + 0.5)};
        rc = sink->alignment(sink->user, w, nw, p, r->nphones);
        for (size_t i = 0; i < nw; i++)
            free(texts[i]);
    }
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
    if (req->voice_id[0] && req->reference_sha256[0]) {
        ss_node_synth_status vs = reference_voice(h, req, &entry, err, errlen);
        if (vs != SS_NODE_SYNTH_OK)
            return vs;
        const cached_voice *cv = ss_voice_entry_value(entry);
        voice = cv->voice;
        o.speed = ss_conditioned_speed(&cv->cond, o.speed);
    } else if (req->has_design && !design_is_identity(&req->design)) {
        ss_speaker_stats model;
        ss_conditioning k;
        const ss_voice_design *d = &req->design;
        if (model_profile(h, &model, err, errlen) != 0)
            return SS_NODE_SYNTH_FAILED;
        if (ss_voice_design_from_numbers(d->f0_shift_semitones, d->f0_range_scale, d->alpha_shift,
                                         d->brightness, d->energy, d->rate_scale, model.lf0_mean,
                                         ss_voice_mcp_alpha(h->voice), &k, err, errlen) != 0)
            return SS_NODE_SYNTH_INVALID;
        design_voice = ss_conditioned_voice_new(h->voice, &k, NULL, err, errlen);
        if (!design_voice)
            return SS_NODE_SYNTH_FAILED;
        voice = design_voice;
        o.speed = ss_conditioned_speed(&k, o.speed);
    }

    ss_utterance *u = NULL;
    if (ss_frontend_analyze(h->fe, req->text, strlen(req->text), NULL, &u, err, errlen) != 0) {
        if (entry)
            ss_voice_cache_release(req->voices, entry);
        ss_conditioned_voice_free(design_voice);
        return SS_NODE_SYNTH_INVALID;
    }
    chunk_ctx c = {.sink = sink};
    ss_node_synth_status st = SS_NODE_SYNTH_OK;
    double offset_ms = 0;
    size_t spoken = 0;
    for (size_t s = 0; s < u->n_sentences && st == SS_NODE_SYNTH_OK; s++) {
        const ss_sentence *se = &u->sentences[s];
        if (se->n_phones == 0)
            continue;
        ss_synth_result r;
        int rc = ss_synthesize(voice, (const char *const *)se->labels, se->n_phones, &o, on_chunk,
                               &c, &r, err, errlen);
        if (rc == SS_SYNTH_CANCELLED || c.stopped)
            st = SS_NODE_SYNTH_CANCELLED;
        else if (rc != 0)
            st = SS_NODE_SYNTH_FAILED;
        else if (req->want_timestamps && send_alignment(sink, se, &r, req->text, offset_ms) != 0)
            st = SS_NODE_SYNTH_CANCELLED;
        if (st == SS_NODE_SYNTH_OK) {
            c.base_sample += r.nsamples;
            offset_ms = 1000.0 * (double)c.base_sample / o.sample_rate;
            spoken++;
        }
        ss_synth_result_free(&r);
    }
    ss_utterance_free(u);
    free(c.pcm);
    if (entry)
        ss_voice_cache_release(req->voices, entry);
    ss_conditioned_voice_free(design_voice);
    if (st == SS_NODE_SYNTH_OK && spoken == 0) {
        snprintf(err, errlen, "the text has nothing to say");
        return SS_NODE_SYNTH_INVALID;
    }
    return st;
}

static void hts_destroy(ss_node_engine *e)
{
    hts_impl *h = e->impl;
    if (h) {
        ss_frontend_free(h->fe);
        ss_voice_free(h->voice);
        pthread_mutex_destroy(&h->profile_mu);
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
    pthread_mutex_init(&h->profile_mu, NULL);
    e->impl = h;
    e->destroy = hts_destroy;
    e->synthesize = hts_synthesize;
    e->check = hts_check;
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
    snprintf(e->info.engine_id, sizeof e->info.engine_id, "%s", SS_HTS_NODE_ENGINE_ID);
    snprintf(e->info.kind, sizeof e->info.kind, "hts");
    snprintf(e->info.version, sizeof e->info.version, "1.0");
    (void)kernels; /* a name for logs; the route comes from ss_hts_node_engine_use_kernels */
    e->info.sample_rate = (uint32_t)ss_voice_native_rate(h->voice);
    return e;
}

void ss_hts_node_engine_use_kernels(ss_node_engine *e, const ss_kernel_route *kernels)
{
    hts_impl *h = e->impl;
    h->kernels = kernels ? *kernels : (ss_kernel_route){0};
}
