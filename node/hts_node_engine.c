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
 * Voices: design parameters map to what the engine offers today (f0 shift to
 * pitch, rate scale to speed). Reference-clip conditioning (ENGINE.md step 8)
 * is not in the engine yet: the (voice id, digest) is recorded in the voice
 * cache so the gateway's reference protocol works end to end, and every such
 * call logs a warning that the base voice was used. */
#include "node/hts_node_engine.h"

#include "common/log.h"
#include "node/engine/engine.h"
#include "node/engine/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_voice *voice;
    ss_frontend *fe;
} hts_impl;

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

/* The engine options of a request (design folded into speed and pitch);
 * 0, or -1 + err when they are outside the engine's limits. */
static int hts_options(const hts_impl *h, const ss_node_synth_request *req, ss_synth_options *o,
                       char *err, size_t errlen)
{
    ss_synth_options_init(o);
    o->speed = req->speed;
    o->pitch = req->pitch;
    if (req->has_design) {
        if (req->design.rate_scale > 0)
            o->speed = o->speed / req->design.rate_scale;
        o->pitch += req->design.f0_shift_semitones;
    }
    o->sample_rate = req->sample_rate ? (int)req->sample_rate : ss_voice_native_rate(h->voice);
    o->stream = 1;
    o->keep_audio = 0;
    o->request_id = req->request_id;
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

    if (req->voice_id[0] && req->reference_sha256[0]) {
        if (!ss_voice_cache_has(req->voices, req->voice_id, req->reference_sha256)) {
            if (!req->reference_audio_len)
                return SS_NODE_SYNTH_REFERENCE_REQUIRED;
            if (ss_voice_cache_put(req->voices, req->voice_id, req->reference_sha256, NULL, NULL) != 0) {
                snprintf(err, errlen, "cannot cache voice %s", req->voice_id);
                return SS_NODE_SYNTH_FAILED;
            }
        }
        ss_warn(req->request_id, "voice %s: reference conditioning is not in this engine build yet; "
                "the base voice speaks", req->voice_id);
    }

    ss_utterance *u = NULL;
    if (ss_frontend_analyze(h->fe, req->text, strlen(req->text), NULL, &u, err, errlen) != 0)
        return SS_NODE_SYNTH_INVALID;
    chunk_ctx c = {.sink = sink};
    ss_node_synth_status st = SS_NODE_SYNTH_OK;
    double offset_ms = 0;
    size_t spoken = 0;
    for (size_t s = 0; s < u->n_sentences && st == SS_NODE_SYNTH_OK; s++) {
        const ss_sentence *se = &u->sentences[s];
        if (se->n_phones == 0)
            continue;
        ss_synth_result r;
        int rc = ss_synthesize(h->voice, (const char *const *)se->labels, se->n_phones, &o, on_chunk,
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
    (void)kernels; /* the engine picks its kernels itself (CPU today) */
    e->info.sample_rate = (uint32_t)ss_voice_native_rate(h->voice);
    return e;
}
