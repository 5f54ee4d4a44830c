/* ss_engine_speak: text in, audio out, the one orchestration (engine.h).
 *
 * Before this file the node's engine adapter and the CLI each ran their own
 * text -> sentences -> synthesis loop, and only one of them applied SSML
 * prosody; now both are thin callers of this function, so /speak and
 * `scaispeak synth` make the same samples from the same input (a test holds
 * them to it).
 *
 * Order of work: (1) validate the options once; (2) open the front end's
 * sentence stream (invalid SSML is the caller's fault: SS_SPEAK_INVALID,
 * before any audio); (3) per sentence, in order, pulled from the stream
 * only when the one before has been spoken: the SSML marks of its words
 * and pauses become per-label prosody (sentence_prosody.h), ss_synthesize
 * runs streamed, phrase by phrase (the first sentence with its early first
 * chunk, engine.h), and each chunk goes to the sink shifted to its place
 * in the whole utterance; (4) after a sentence's audio, its
 * timings (when the sink wants them), shifted by the audio before it and
 * with each word pointing back into the caller's text; (5) a text with no
 * sentence to say is SS_SPEAK_INVALID.
 *
 * The per-sentence state (labels, prosody array, timings) is freed before
 * the next sentence is analysed, so memory is one sentence plus the front
 * end's window of plain text (frontend.h), whatever the text's length, and
 * the first chunk of a long text comes as soon as that of its first
 * sentence would. Sentences are analysed independently (each is one HTS
 * utterance), so the samples are those of analysing the whole text first.
 * The one difference: a front-end failure on a later sentence (out of
 * memory, a flite error) now comes after the earlier sentences' audio. */
#include "node/engine/engine.h"

#include "node/engine/frontend/frontend.h"
#include "node/engine/synth/sentence_prosody.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the engine's per-sentence chunk callback needs to forward a chunk. */
typedef struct {
    const ss_speak_sink *sink;
    size_t base_sample;         /* audio of the sentences before this one */
    size_t chunks;              /* chunks delivered, all sentences */
    int stopped;                /* the sink asked to stop */
    struct timespec started;    /* when ss_engine_speak was called */
    double first_chunk_ms;      /* wall time from then to the first chunk, -1 before it */
    const ss_frontend_stream *text; /* the sentences' source */
    size_t text_read_at_first_chunk;
    bool last_sentence;         /* the stream holds nothing after this sentence */
} sentence_relay;

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1000.0 * (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int relay_chunk(void *user, const ss_audio_chunk *chunk)
{
    sentence_relay *r = user;
    ss_audio_chunk shifted = *chunk;
    shifted.first_sample += r->base_sample;
    shifted.index = r->chunks++;
    /* the utterance's last chunk: the sentence's last, when the front end
     * already knows nothing follows (else 0, which is always allowed) */
    shifted.is_last = chunk->is_last && r->last_sentence;
    if (r->first_chunk_ms < 0) {
        r->first_chunk_ms = ms_since(&r->started);
        r->text_read_at_first_chunk = ss_frontend_stream_bytes_read(r->text);
    }
    if (r->sink->audio && r->sink->audio(r->sink->user, &shifted) != 0) {
        r->stopped = 1;
        return 1;
    }
    return 0;
}

/* The sentence's timings, shifted by offset_ms, to the sink. 0, -1 (out of
 * memory, err set) or 1 (the sink asked to stop). */
static int deliver_alignment(const ss_speak_sink *sink, const ss_sentence *se, const ss_synth_result *r,
                             const char *text, size_t sentence, double offset_ms, char *err,
                             size_t errlen)
{
    ss_spoken_word *w = calloc(r->nwords ? r->nwords : 1, sizeof *w);
    ss_spoken_phone *p = calloc(r->nphones ? r->nphones : 1, sizeof *p);
    if (!w || !p) {
        free(w);
        free(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t nw = 0;
    for (size_t i = 0; i < r->nwords; i++) {
        const ss_word_time *wt = &r->words[i];
        if (wt->word_index >= se->n_words)
            continue;
        const ss_word *sw = &se->words[wt->word_index];
        size_t a = sw->src_start, b = sw->src_end > sw->src_start ? sw->src_end : sw->src_start;
        if (nw > 0 && w[nw - 1].src_start == a && w[nw - 1].src_end == b) {
            /* one written token said as several words ("555" as five five
             * five, "$5" as five dollars): one timing for what was written */
            w[nw - 1].last_phone = wt->last_phone;
            w[nw - 1].end_ms = wt->end_ms + offset_ms;
            continue;
        }
        w[nw++] = (ss_spoken_word){text + a, b - a, a, b, wt->first_phone, wt->last_phone,
                                   wt->start_ms + offset_ms, wt->end_ms + offset_ms};
    }
    for (size_t i = 0; i < r->nphones; i++)
        p[i] = (ss_spoken_phone){r->phones[i].phone, r->phones[i].start_ms + offset_ms,
                                 r->phones[i].end_ms + offset_ms};
    ss_sentence_alignment a = {sentence, w, nw, p, r->nphones};
    int stop = sink->alignment(sink->user, &a);
    free(w);
    free(p);
    return stop ? 1 : 0;
}

/* Synthesizes one sentence into the sink. 0, -1 (err) or SS_SYNTH_CANCELLED. */
static int speak_sentence(const ss_voice *v, const ss_sentence *se, const char *text, const ss_synth_options *o,
                          sentence_relay *relay, ss_speak_stats *st, char *err, size_t errlen)
{
    ss_synth_options so = *o;
    /* only the call's first sentence has a listener waiting for audio;
     * later ones are made while earlier ones play */
    so.first_chunk_ms = st->sentences == 0 ? o->first_chunk_ms : 0;
    ss_label_prosody *prosody = NULL;
    if (ss_sentence_prosody(se, &prosody, err, errlen) != 0)
        return -1;
    so.prosody = prosody;
    ss_synth_result r;
    int rc = ss_synthesize(v, (const char *const *)se->labels, se->n_phones, &so, relay_chunk, relay, &r,
                           err, errlen);
    free(prosody);
    if (rc == 0 && relay->stopped)
        rc = SS_SYNTH_CANCELLED;
    double offset_ms = 1000.0 * (double)relay->base_sample / o->sample_rate;
    if (rc == 0 && relay->sink->alignment) {
        int a = deliver_alignment(relay->sink, se, &r, text, st->sentences, offset_ms, err, errlen);
        rc = a < 0 ? -1 : a > 0 ? SS_SYNTH_CANCELLED : 0;
    }
    if (rc == 0) {
        relay->base_sample += r.nsamples;
        st->nsamples += r.nsamples;
        st->sentences++;
        st->lookup_ms += r.lookup_ms;
        st->paramgen_ms += r.paramgen_ms;
        st->vocoder_ms += r.vocoder_ms;
    }
    ss_synth_result_free(&r);
    return rc;
}

int ss_engine_speak(const ss_voice *v, ss_frontend *fe, const char *text, size_t len,
                    const ss_synth_options *o, const ss_speak_sink *sink, ss_speak_stats *stats,
                    char *err, size_t errlen)
{
    ss_speak_stats local;
    ss_speak_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    if (!v || !fe || !o || !sink || (!text && len)) {
        snprintf(err, errlen, "invalid arguments");
        return -1;
    }
    ss_synth_options so = *o;
    so.stream = 1;
    so.keep_audio = 0;
    so.prosody = NULL;
    if (ss_synth_options_validate(&so, err, errlen) != 0)
        return SS_SPEAK_INVALID;
    sentence_relay relay = {.sink = sink, .first_chunk_ms = -1};
    clock_gettime(CLOCK_MONOTONIC, &relay.started);
    ss_frontend_stream *fs = NULL;
    int rc = ss_frontend_stream_open(fe, text, len, NULL, &fs, err, errlen);
    if (rc != 0)
        return rc == SS_FRONTEND_INVALID_TEXT ? SS_SPEAK_INVALID : -1;
    relay.text = fs;
    ss_sentence se;
    while (rc == 0) {
        int got = ss_frontend_stream_next(fs, &se, err, errlen);
        if (got <= 0) {
            rc = got;
            break;
        }
        relay.last_sentence = ss_frontend_stream_finished(fs);
        if (se.n_phones > 0)
            rc = speak_sentence(v, &se, text, &so, &relay, st, err, errlen);
        ss_sentence_clear(&se);
    }
    ss_frontend_stream_free(fs);
    st->first_chunk_ms = relay.first_chunk_ms >= 0 ? relay.first_chunk_ms : 0;
    st->text_read_at_first_chunk = relay.text_read_at_first_chunk;
    if (rc == 0 && st->sentences == 0) {
        snprintf(err, errlen, "the text has nothing to say");
        return SS_SPEAK_INVALID;
    }
    return rc;
}
