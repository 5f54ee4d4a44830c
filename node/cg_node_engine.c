/* Adapter from a clustergen voice to ss_node_engine (see cg_node_engine.h).
 *
 * Per call: plain text is cut into sentences (after . ! ? followed by white
 * space, and at blank lines), SSML into runs of equal prosody
 * (cg_ssml_runs.h); each piece goes through flite's text analysis and our
 * clustergen parameters for the whole piece (ss_cg_stream_open, at the
 * voice's 16 kHz), then is vocoded chunk_ms of frames at a time
 * (cg_stream.h: the vocoder states carried over, the same samples as
 * one-shot), each chunk converted to s16 and streamed through the
 * streaming soxr resampler (common/audio_resample.h, the same soxr the HTS
 * vocoder uses) to the requested rate and on to the node's sink. So the
 * first audio of a sentence leaves after its parameters and one chunk, not
 * after the whole sentence is vocoded; the node packs the audio into
 * chunk_ms chunks. Timings come from
 * the state durations (phones) and their words' first and last segments,
 * offset by the piece's start in the utterance. A word's char_start/char_end:
 * in SSML the token's range when flite kept the run's words one for one; in
 * plain text where flite's word is found in the sentence (case-insensitive,
 * in order); a word flite derived from the text (a number said as
 * "twenty") gets the span up to the next word that is found.
 *
 * Options: speed (× SSML prosody rate) scales the durations, pitch (+ SSML
 * prosody pitch) the mean F0 (2^(st/12)); an SSML break is silence. The
 * limits and sample rates are the HTS engine's (ss_synth_options_validate).
 * Cloning (node/clone_voice.h): the voice is a base the node may choose
 * for a cloned voice; then req->clone carries conditioning fitted against
 * this voice's own statistics (cg_profile.h, measured on first use under
 * the impl's mutex and kept), applied to the frames by
 * cg_conditioning.h, its duration scale folded into the pace. Not
 * supported, answered INVALID_ARGUMENT rather than ignored: voice design,
 * which conditions the HTS model. SSML
 * <phoneme> and <emphasis> are read but not honoured (cg_ssml_runs.h).
 * Cancellation is checked before every piece, before every vocoded chunk
 * and at every hand-off of audio. */
#include "node/cg_node_engine.h"

#include "common/audio_resample.h"
#include "common/log.h"
#include "node/cg_ssml_runs.h"
#include "node/clone_voice.h"
#include "node/engine/clustergen/cg_profile.h"
#include "node/engine/clustergen/cg_stream.h"
#include "node/engine/clustergen/cg_synth.h"
#include "node/engine/engine.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    const char *engine_id; /* what requests name */
    const char *cg_name;   /* the flite voice (libflite_cmu_us_<name>.so.1) */
    const char *gender;
    const char *accent;
    const char *language;
} cg_engine_spec;

static const cg_engine_spec CG_ENGINES[] = {
    {"rms", "rms", "male", "us", "en-US"},
    {"awb", "awb", "male", "scottish", "en-GB"},
    {"slt_cg", "slt", "female", "us", "en-US"},
};

typedef struct {
    const cg_engine_spec *spec;
    ss_cg_voice *voice;
    pthread_mutex_t mu;         /* guards the profile */
    bool have_profile;
    ss_speaker_stats profile;   /* the voice's own statistics (cg_profile.h) */
} cg_impl;

/* One call's state between the sentences and the node's sink. */
typedef struct {
    const ss_node_synth_request *req;
    const ss_node_synth_sink *sink;
    ss_resampler *resampler;
    const ss_conditioning *cond; /* a clone's conditioning, or NULL */
    float *samples;     /* one vocoded chunk, [pcm_cap] */
    int16_t *pcm;       /* the same as s16, [pcm_cap] */
    size_t pcm_cap;
    bool stopped;       /* the node's sink said stop */
} cg_call;

/* One piece of the request that flite reads as one utterance. */
typedef struct {
    const char *text;           /* what flite reads */
    const ss_cg_span *words;    /* the words' ranges (SSML), or NULL: search */
    size_t nwords;
    size_t start, end;          /* the piece's range in the request text */
    double rate, pitch_st;      /* SSML prosody (1, 0 for plain text) */
    int pause_ms;               /* silence after it */
} cg_piece;

/* The resampler's sink: converted audio to the node's sink. */
static int forward_audio(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    cg_call *c = user;
    if (!n)
        return 0;
    uint64_t start = ss_resampler_samples_out(c->resampler) - n;
    if (c->sink->cancelled(c->sink->user) || c->sink->audio(c->sink->user, pcm, n, start, false) != 0) {
        c->stopped = true;
        snprintf(err, errlen, "stopped");
        return -1;
    }
    return 0;
}

static uint32_t ms_u32(double ms)
{
    return ms <= 0 ? 0 : ms >= 4294967295.0 ? UINT32_MAX : (uint32_t)(ms + 0.5);
}

/* Where flite's word `w` is in text[*at, end): its byte span, searched
 * case-insensitively from *at; not found: (*at, *at). */
static void find_word(const char *text, size_t end, size_t *at, const char *w, uint32_t *s, uint32_t *e)
{
    size_t wl = strlen(w);
    for (size_t i = *at; wl && i + wl <= end; i++)
        if (!strncasecmp(text + i, w, wl)) {
            *s = (uint32_t)i;
            *e = (uint32_t)(i + wl);
            *at = i + wl;
            return;
        }
    *s = *e = (uint32_t)*at;
}

/* One sentence's timings in the wire's form; offset_ms: where it starts. */
static int send_alignment(cg_call *c, const ss_cg_audio *a, double offset_ms, const cg_piece *pc,
                          char *err, size_t errlen)
{
    ss_word_timing *w = calloc(a->nwords ? a->nwords : 1, sizeof *w);
    ss_phoneme_timing *p = calloc(a->nphones ? a->nphones : 1, sizeof *p);
    if (!w || !p) {
        free(w);
        free(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t at = pc->start, sent_end = pc->end;
    const bool one_for_one = pc->words && pc->nwords == a->nwords;
    for (size_t i = 0; i < a->nwords; i++) {
        w[i] = (ss_word_timing){a->words[i].text, ms_u32(offset_ms + 1000.0 * a->words[i].start),
                                ms_u32(offset_ms + 1000.0 * a->words[i].end), 0, 0};
        if (one_for_one) {
            w[i].char_start = (uint32_t)pc->words[i].start;
            w[i].char_end = (uint32_t)pc->words[i].end;
        } else {
            find_word(c->req->text, sent_end, &at, a->words[i].text, &w[i].char_start, &w[i].char_end);
        }
    }
    /* Unfound words reach to the next found one (or the sentence's end). */
    for (size_t i = a->nwords; i-- > 0;)
        if (w[i].char_start == w[i].char_end)
            w[i].char_end = i + 1 < a->nwords && w[i + 1].char_start > w[i].char_start
                                ? w[i + 1].char_start
                                : (uint32_t)sent_end;
    for (size_t i = 0; i < a->nphones; i++)
        p[i] = (ss_phoneme_timing){a->phones[i].name, ms_u32(offset_ms + 1000.0 * a->phones[i].start),
                                   ms_u32(offset_ms + 1000.0 * a->phones[i].end)};
    int rc = c->sink->alignment(c->sink->user, w, a->nwords, p, a->nphones);
    free(w);
    free(p);
    if (rc != 0)
        c->stopped = true;
    return rc;
}

/* The end of the sentence that starts at `at` (exclusive): after . ! ?
 * (and closing quotes/brackets) followed by white space, at a blank line,
 * or at the end of the text. */
static size_t sentence_end(const char *t, size_t len, size_t at)
{
    for (size_t i = at; i < len; i++) {
        if (t[i] == '\n' && i + 1 < len && t[i + 1] == '\n')
            return i + 1;
        if (t[i] != '.' && t[i] != '!' && t[i] != '?')
            continue;
        size_t j = i + 1;
        while (j < len && strchr("\"')]", t[j]))
            j++;
        if (j == len || isspace((unsigned char)t[j]))
            return j;
    }
    return len;
}

static bool has_letters_or_digits(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalnum((unsigned char)t[i]))
            return true;
    return false;
}

/* n samples of silence at the voice's rate into the resampler. */
static int write_silence(cg_call *c, size_t n, char *err, size_t errlen)
{
    static const int16_t zeros[1024];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 1024 ? n - done : 1024;
        if (ss_resampler_write(c->resampler, zeros, k, err, errlen) != 0)
            return -1;
        done += k;
    }
    return 0;
}

/* Room for n samples in the call's float and s16 buffers. */
static int reserve_chunk(cg_call *c, size_t n, char *err, size_t errlen)
{
    if (n <= c->pcm_cap)
        return 0;
    int16_t *np = realloc(c->pcm, n * sizeof *np);
    if (np)
        c->pcm = np;
    float *nf = np ? realloc(c->samples, n * sizeof *nf) : NULL;
    if (nf)
        c->samples = nf;
    if (!np || !nf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->pcm_cap = n;
    return 0;
}

/* Frames per vocoded chunk: chunk_ms of audio (at least one frame). */
static size_t chunk_frames(const cg_call *c, const ss_cg_audio *a)
{
    const double frame_ms = 1000.0 * (double)a->frame_period / a->rate;
    const double k = ceil((double)c->req->chunk_ms / frame_ms);
    return k < 1 ? 1 : k > 100000 ? 100000 : (size_t)k;
}

/* Vocodes the opened piece chunk by chunk into the resampler (cg_stream.h:
 * the same samples as all at once), checking for cancellation before each
 * chunk. 0, -1 + err, or 1 when the sink said stop. */
static int stream_piece(cg_call *c, ss_cg_stream *st, char *err, size_t errlen)
{
    const size_t frames = chunk_frames(c, &st->audio);
    if (reserve_chunk(c, frames * st->audio.frame_period, err, errlen) != 0)
        return -1;
    for (size_t n = 1; n;) {
        if (c->sink->cancelled(c->sink->user)) {
            c->stopped = true;
            return 1;
        }
        if (ss_cg_stream_next(st, frames, c->samples, &n, err, errlen) != 0)
            return -1;
        ss_samples_to_s16(c->samples, n, c->pcm);
        if (n && ss_resampler_write(c->resampler, c->pcm, n, err, errlen) != 0)
            return c->stopped ? 1 : -1;
    }
    return 0;
}

/* Speaks one piece and streams it; 0, -1 + err (FAILED), or 1 when the
 * sink said stop. *native_done: samples at the voice's rate so far. */
static int speak_piece(cg_impl *g, cg_call *c, const cg_piece *pc, uint64_t *native_done, char *err,
                       size_t errlen)
{
    double pace = c->req->speed * pc->rate;
    pace = pace < 0.25 ? 0.25 : pace > 4.0 ? 4.0 : pace;
    const ss_cg_options opt = {.duration_scale = (c->cond ? c->cond->duration_scale : 1.0) / pace,
                               .f0_scale = pow(2.0, (c->req->pitch + pc->pitch_st) / 12.0),
                               .cond = c->cond};
    ss_cg_stream st;
    if (ss_cg_stream_open(&st, g->voice, pc->text, &opt, err, errlen) != 0)
        return -1;
    const ss_cg_audio *a = &st.audio;
    const double offset_ms = 1000.0 * (double)*native_done / a->rate;
    const size_t nsamples = a->nframes * a->frame_period;
    int rc = 0;
    if (c->req->want_timestamps && send_alignment(c, a, offset_ms, pc, err, errlen) != 0)
        rc = c->stopped ? 1 : -1;
    if (rc == 0)
        rc = stream_piece(c, &st, err, errlen);
    size_t pause = (size_t)((double)pc->pause_ms * a->rate / 1000.0);
    if (rc == 0 && pause && write_silence(c, pause, err, errlen) != 0)
        rc = c->stopped ? 1 : -1;
    *native_done += nsamples + pause;
    ss_cg_stream_close(&st);
    return rc;
}

/* Plain text, sentence by sentence. */
static int speak_plain(cg_impl *g, cg_call *c, uint64_t *native_done, char *err, size_t errlen)
{
    const char *t = c->req->text;
    const size_t len = strlen(t);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < len;) {
        size_t end = sentence_end(t, len, at);
        if (c->sink->cancelled(c->sink->user)) {
            c->stopped = true;
            return 1;
        }
        if (has_letters_or_digits(t + at, end - at)) {
            char *sentence = strndup(t + at, end - at);
            if (!sentence) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            cg_piece pc = {.text = sentence, .start = at, .end = end, .rate = 1.0};
            rc = speak_piece(g, c, &pc, native_done, err, errlen);
            free(sentence);
        }
        at = end;
    }
    return rc;
}

/* SSML, run by run (runs parsed by the caller). */
static int speak_runs(cg_impl *g, cg_call *c, const ss_cg_run *runs, size_t n, uint64_t *native_done,
                      char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (c->sink->cancelled(c->sink->user)) {
            c->stopped = true;
            return 1;
        }
        const ss_cg_run *r = &runs[i];
        cg_piece pc = {.text = r->text, .words = r->words, .nwords = r->nwords,
                       .start = r->nwords ? r->words[0].start : 0, .end = r->nwords ? r->words[r->nwords - 1].end : 0,
                       .rate = r->rate, .pitch_st = r->pitch_st, .pause_ms = r->pause_ms};
        rc = speak_piece(g, c, &pc, native_done, err, errlen);
    }
    return rc;
}

static int cg_options(const ss_node_synth_request *req, int native_rate, ss_synth_options *o,
                      char *err, size_t errlen)
{
    ss_synth_options_init(o);
    o->speed = req->speed;
    o->pitch = req->pitch;
    o->sample_rate = req->sample_rate ? (int)req->sample_rate : native_rate;
    return ss_synth_options_validate(o, err, errlen);
}

static bool is_ssml(const char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    return !strncmp(t, "<speak", 6) || !strncmp(t, "<?xml", 5);
}

/* What this engine refuses (INVALID_ARGUMENT); 0 or -1 + err. */
static int cg_check(ss_node_engine *e, const ss_node_synth_request *req, char *err, size_t errlen)
{
    ss_synth_options o;
    if (cg_options(req, (int)e->info.sample_rate, &o, err, errlen) != 0)
        return -1;
    const ss_voice_design *d = &req->design;
    if (req->has_design && ((d->prompt && d->prompt[0]) || d->f0_shift_semitones != 0 ||
                            (d->f0_range_scale != 0 && d->f0_range_scale != 1) || d->alpha_shift != 0 ||
                            d->brightness != 0 || d->energy != 0 ||
                            (d->rate_scale != 0 && d->rate_scale != 1))) {
        snprintf(err, errlen, "engine %s has no voice design", e->info.engine_id);
        return -1;
    }
    return 0;
}

static ss_node_synth_status cg_synthesize(ss_node_engine *e, const ss_node_synth_request *req,
                                          const ss_node_synth_sink *sink, char *err, size_t errlen)
{
    cg_impl *g = e->impl;
    if (cg_check(e, req, err, errlen) != 0)
        return SS_NODE_SYNTH_INVALID;
    const size_t len = strlen(req->text);
    ss_cg_run *runs = NULL;
    size_t nruns = 0;
    const bool ssml = is_ssml(req->text);
    if (ssml && ss_cg_ssml_runs(req->text, len, &runs, &nruns, err, errlen) != 0)
        return strcmp(err, "out of memory") ? SS_NODE_SYNTH_INVALID : SS_NODE_SYNTH_FAILED;
    if (ssml ? !nruns : !has_letters_or_digits(req->text, len)) {
        ss_cg_runs_free(runs, nruns);
        snprintf(err, errlen, "nothing to say");
        return SS_NODE_SYNTH_INVALID;
    }
    const ss_clone_voice *clone = req->clone;
    ss_voice_entry *entry = NULL;
    if (!clone && req->voice_id[0] && req->reference_sha256[0]) {
        ss_node_synth_status vs = ss_clone_voice_resolve(&e, 1, req, &entry, err, errlen);
        if (vs != SS_NODE_SYNTH_OK) {
            ss_cg_runs_free(runs, nruns);
            return vs;
        }
        clone = ss_voice_entry_value(entry);
    }
    if (clone && clone->base != e) {
        snprintf(err, errlen, "a clone of engine %s given to engine %s", clone->base->info.engine_id,
                 e->info.engine_id);
        if (entry)
            ss_voice_cache_release(req->voices, entry);
        ss_cg_runs_free(runs, nruns);
        return SS_NODE_SYNTH_FAILED;
    }
    const int native = (int)e->info.sample_rate;
    cg_call c = {.req = req, .sink = sink, .cond = clone ? clone->built : NULL};
    c.resampler = ss_resampler_new(native, req->sample_rate ? (int)req->sample_rate : native, forward_audio, &c,
                                   err, errlen);
    if (!c.resampler) {
        if (entry)
            ss_voice_cache_release(req->voices, entry);
        ss_cg_runs_free(runs, nruns);
        return SS_NODE_SYNTH_FAILED;
    }
    uint64_t native_done = 0;
    int rc = ssml ? speak_runs(g, &c, runs, nruns, &native_done, err, errlen)
                  : speak_plain(g, &c, &native_done, err, errlen);
    if (rc == 0 && ss_resampler_finish(c.resampler, err, errlen) != 0)
        rc = c.stopped ? 1 : -1;
    ss_resampler_free(c.resampler);
    if (entry)
        ss_voice_cache_release(req->voices, entry);
    ss_cg_runs_free(runs, nruns);
    free(c.samples);
    free(c.pcm);
    if (rc == 1 || c.stopped)
        return SS_NODE_SYNTH_CANCELLED;
    if (rc != 0) {
        ss_error(req->request_id, "engine %s: %s", e->info.engine_id, err);
        return SS_NODE_SYNTH_FAILED;
    }
    return SS_NODE_SYNTH_OK;
}

/* Clone hooks (node_engine.h): the voice's own statistics, measured on
 * first use; conditioning fitted at the voice's rate and all-pass
 * constant; what a clone needs is its conditioning alone. */
static int cg_clone_base(ss_node_engine *e, ss_speaker_stats *stats, double *alpha, int *rate, char *err,
                         size_t errlen)
{
    cg_impl *g = e->impl;
    int rc = 0;
    pthread_mutex_lock(&g->mu);
    if (!g->have_profile) {
        rc = ss_cg_profile_compute(g->voice, &g->profile, err, errlen);
        g->have_profile = rc == 0;
    }
    if (rc == 0)
        *stats = g->profile;
    pthread_mutex_unlock(&g->mu);
    *alpha = g->voice->db->mlsa_alpha;
    *rate = g->voice->db->sample_rate;
    return rc;
}

static void *cg_clone_build(ss_node_engine *e, const ss_conditioning *c, size_t *bytes, char *err,
                            size_t errlen)
{
    (void)e;
    ss_conditioning *copy = malloc(sizeof *copy);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *copy = *c;
    if (bytes)
        *bytes = sizeof *copy;
    return copy;
}

static void cg_clone_free(void *built)
{
    free(built);
}

static void cg_destroy(ss_node_engine *e)
{
    cg_impl *g = e->impl;
    if (g) {
        pthread_mutex_destroy(&g->mu);
        ss_cg_voice_free(g->voice);
        free(g);
    }
    free(e);
}

ss_node_engine *ss_cg_node_engine_new(const char *engine_id, char *err, size_t errlen)
{
    const cg_engine_spec *spec = NULL;
    for (size_t i = 0; i < sizeof CG_ENGINES / sizeof CG_ENGINES[0]; i++)
        if (!strcmp(CG_ENGINES[i].engine_id, engine_id))
            spec = &CG_ENGINES[i];
    if (!spec) {
        snprintf(err, errlen, "unknown clustergen voice '%.32s' (known: rms, awb, slt_cg)", engine_id);
        return NULL;
    }
    ss_node_engine *e = calloc(1, sizeof *e);
    cg_impl *g = calloc(1, sizeof *g);
    if (!e || !g) {
        free(e);
        free(g);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->impl = g;
    e->destroy = cg_destroy;
    e->synthesize = cg_synthesize;
    e->check = cg_check;
    e->clone_base = cg_clone_base;
    e->clone_build = cg_clone_build;
    e->clone_free = cg_clone_free;
    pthread_mutex_init(&g->mu, NULL);
    g->spec = spec;
    g->voice = ss_cg_voice_load(spec->cg_name, err, errlen);
    if (!g->voice) {
        cg_destroy(e);
        return NULL;
    }
    snprintf(e->info.engine_id, sizeof e->info.engine_id, "%s", spec->engine_id);
    snprintf(e->info.kind, sizeof e->info.kind, "clustergen");
    snprintf(e->info.version, sizeof e->info.version, "1.0");
    snprintf(e->info.gender, sizeof e->info.gender, "%s", spec->gender);
    snprintf(e->info.accent, sizeof e->info.accent, "%s", spec->accent);
    snprintf(e->info.language, sizeof e->info.language, "%s", spec->language);
    e->info.sample_rate = (uint32_t)g->voice->db->sample_rate;
    return e;
}
