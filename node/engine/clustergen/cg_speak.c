/* The clustergen voices' text -> audio orchestration (see cg_speak.h for
 * the contract): plain text sentence by sentence, SSML run by run; each
 * piece analysed and its parameters generated whole (cg_stream.h), then
 * vocoded chunk_ms at a time into the streaming resampler, whose output
 * goes to the caller's sink. A call's state lives in cg_call on the
 * caller's stack; nothing is shared between calls but the immutable voice. */
#include "node/engine/clustergen/cg_speak.h"

#include "common/audio_resample.h"
#include "node/engine/clustergen/cg_ssml_runs.h"
#include "node/engine/clustergen/cg_stream.h"
#include "node/engine/clustergen/cg_synth.h"
#include "node/engine/engine.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One call's state between the pieces and the sink. */
typedef struct {
    const char *text;              /* the whole text (word ranges index it) */
    const ss_cg_speak_options *o;
    const ss_cg_speak_sink *sink;
    ss_resampler *resampler;
    float *samples;     /* one vocoded chunk, [pcm_cap] */
    int16_t *pcm;       /* the same as s16, [pcm_cap] */
    size_t pcm_cap;
    bool stopped;       /* the sink said stop */
} cg_call;

static bool cancelled(const cg_call *c)
{
    return c->sink->cancelled && c->sink->cancelled(c->sink->user);
}

/* One piece of the text that flite reads as one utterance. */
typedef struct {
    const char *text;           /* what flite reads */
    const ss_cg_span *words;    /* the words' ranges (SSML), or NULL: search */
    size_t nwords;
    size_t start, end;          /* the piece's range in the whole text */
    double rate, pitch_st;      /* SSML prosody (1, 0 for plain text) */
    int pause_ms;               /* silence after it */
} cg_piece;

/* The resampler's sink: converted audio on to the caller's sink. */
static int forward_audio(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    cg_call *c = user;
    if (!n)
        return 0;
    uint64_t start = ss_resampler_samples_out(c->resampler) - n;
    if (cancelled(c) || c->sink->audio(c->sink->user, pcm, n, start) != 0) {
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

/* The words as written: consecutive spoken words said for one token ("555"
 * as five five five, "$5" as five dollars) become one, named by the token,
 * over all of their time. Into w (a->nwords entries at most); the count. */
static size_t written_words(const ss_cg_audio *a, double offset_ms, ss_word_timing *w)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nwords; i++) {
        const ss_cg_word_time *t = &a->words[i];
        const uint32_t end = ms_u32(offset_ms + 1000.0 * t->end);
        if (n > 0 && t->token_index >= 0 && t->token_index == a->words[i - 1].token_index) {
            w[n - 1].end_ms = end;
            continue;
        }
        w[n++] = (ss_word_timing){t->token_index >= 0 && t->token[0] ? t->token : t->text,
                                  ms_u32(offset_ms + 1000.0 * t->start), end, 0, 0};
    }
    return n;
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
    const size_t nw = written_words(a, offset_ms, w);
    size_t at = pc->start, sent_end = pc->end;
    const bool one_for_one = pc->words && pc->nwords == nw;
    for (size_t i = 0; i < nw; i++) {
        if (one_for_one) {
            w[i].char_start = (uint32_t)pc->words[i].start;
            w[i].char_end = (uint32_t)pc->words[i].end;
        } else {
            find_word(c->text, sent_end, &at, w[i].text, &w[i].char_start, &w[i].char_end);
        }
    }
    /* Unfound words reach to the next found one (or the sentence's end). */
    for (size_t i = nw; i-- > 0;)
        if (w[i].char_start == w[i].char_end)
            w[i].char_end = i + 1 < nw && w[i + 1].char_start > w[i].char_start
                                ? w[i + 1].char_start
                                : (uint32_t)sent_end;
    for (size_t i = 0; i < a->nphones; i++)
        p[i] = (ss_phoneme_timing){a->phones[i].name, ms_u32(offset_ms + 1000.0 * a->phones[i].start),
                                   ms_u32(offset_ms + 1000.0 * a->phones[i].end)};
    int rc = c->sink->alignment(c->sink->user, w, nw, p, a->nphones);
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
    const double k = ceil((double)c->o->chunk_ms / frame_ms);
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
        if (cancelled(c)) {
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
static int speak_piece(ss_cg_voice *v, cg_call *c, const cg_piece *pc, uint64_t *native_done, char *err,
                       size_t errlen)
{
    double pace = c->o->speed * pc->rate;
    pace = pace < 0.25 ? 0.25 : pace > 4.0 ? 4.0 : pace;
    const ss_cg_options opt = {.duration_scale = (c->o->cond ? c->o->cond->duration_scale : 1.0) / pace,
                               .f0_scale = pow(2.0, (c->o->pitch + pc->pitch_st) / 12.0),
                               .cond = c->o->cond};
    ss_cg_stream st;
    if (ss_cg_stream_open(&st, v, pc->text, &opt, err, errlen) != 0)
        return -1;
    const ss_cg_audio *a = &st.audio;
    const double offset_ms = 1000.0 * (double)*native_done / a->rate;
    const size_t nsamples = a->nframes * a->frame_period;
    int rc = 0;
    if (c->o->timestamps && send_alignment(c, a, offset_ms, pc, err, errlen) != 0)
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
static int speak_plain(ss_cg_voice *v, cg_call *c, uint64_t *native_done, char *err, size_t errlen)
{
    const char *t = c->text;
    const size_t len = strlen(t);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < len;) {
        size_t end = sentence_end(t, len, at);
        if (cancelled(c)) {
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
            rc = speak_piece(v, c, &pc, native_done, err, errlen);
            free(sentence);
        }
        at = end;
    }
    return rc;
}

/* SSML, run by run (runs parsed by the caller). */
static int speak_runs(ss_cg_voice *v, cg_call *c, const ss_cg_run *runs, size_t n, uint64_t *native_done,
                      char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (cancelled(c)) {
            c->stopped = true;
            return 1;
        }
        const ss_cg_run *r = &runs[i];
        cg_piece pc = {.text = r->text, .words = r->words, .nwords = r->nwords,
                       .start = r->nwords ? r->words[0].start : 0, .end = r->nwords ? r->words[r->nwords - 1].end : 0,
                       .rate = r->rate, .pitch_st = r->pitch_st, .pause_ms = r->pause_ms};
        rc = speak_piece(v, c, &pc, native_done, err, errlen);
    }
    return rc;
}

static bool is_ssml(const char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    return !strncmp(t, "<speak", 6) || !strncmp(t, "<?xml", 5);
}

/* Cuts the text into pieces and speaks them in order. */
static int speak_text(ss_cg_voice *v, cg_call *c, const ss_cg_run *runs, size_t nruns, bool ssml,
                      char *err, size_t errlen)
{
    uint64_t native_done = 0;
    int rc = ssml ? speak_runs(v, c, runs, nruns, &native_done, err, errlen)
                  : speak_plain(v, c, &native_done, err, errlen);
    if (rc == 0 && ss_resampler_finish(c->resampler, err, errlen) != 0)
        rc = c->stopped ? 1 : -1;
    return rc;
}

/* The text's pieces: SSML runs (*ssml), or none for plain text. OK,
 * INVALID (bad SSML, nothing to say) or FAILED (out of memory), with err. */
static ss_cg_speak_status text_pieces(const char *text, bool *ssml, ss_cg_run **runs, size_t *nruns, char *err,
                                      size_t errlen)
{
    const size_t len = strlen(text);
    *runs = NULL;
    *nruns = 0;
    *ssml = is_ssml(text);
    if (*ssml && ss_cg_ssml_runs(text, len, runs, nruns, err, errlen) != 0)
        return strcmp(err, "out of memory") ? SS_CG_SPEAK_INVALID : SS_CG_SPEAK_FAILED;
    if (*ssml ? !*nruns : !has_letters_or_digits(text, len)) {
        ss_cg_runs_free(*runs, *nruns);
        *runs = NULL;
        *nruns = 0;
        snprintf(err, errlen, "nothing to say");
        return SS_CG_SPEAK_INVALID;
    }
    return SS_CG_SPEAK_OK;
}

int ss_cg_speak_check(const char *text, char *err, size_t errlen)
{
    bool ssml;
    ss_cg_run *runs;
    size_t nruns;
    if (text_pieces(text, &ssml, &runs, &nruns, err, errlen) != SS_CG_SPEAK_OK)
        return -1;
    ss_cg_runs_free(runs, nruns);
    return 0;
}

ss_cg_speak_status ss_cg_speak(ss_cg_voice *v, const char *text, const ss_cg_speak_options *o,
                               const ss_cg_speak_sink *sink, char *err, size_t errlen)
{
    bool ssml;
    ss_cg_run *runs;
    size_t nruns;
    ss_cg_speak_status st = text_pieces(text, &ssml, &runs, &nruns, err, errlen);
    if (st != SS_CG_SPEAK_OK)
        return st;
    const int native = v->db->sample_rate;
    cg_call c = {.text = text, .o = o, .sink = sink};
    c.resampler = ss_resampler_new(native, o->sample_rate ? o->sample_rate : native, forward_audio, &c, err,
                                   errlen);
    int rc = c.resampler ? speak_text(v, &c, runs, nruns, ssml, err, errlen) : -1;
    ss_resampler_free(c.resampler);
    ss_cg_runs_free(runs, nruns);
    free(c.samples);
    free(c.pcm);
    if (rc == 1 || c.stopped)
        return SS_CG_SPEAK_STOPPED;
    return rc == 0 ? SS_CG_SPEAK_OK : SS_CG_SPEAK_FAILED;
}
