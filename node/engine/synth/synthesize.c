/* ss_synthesize: the synthesis pipeline and phrase streaming (engine.h).
 *
 * Order of work: (1) validate, (2) model lookup for all labels and
 * durations for the whole utterance (durations must be global so speed and
 * timestamps do not depend on chunking), (3) timestamps, (4) parameter
 * generation (MLPG + GV) for the whole utterance, (5) cut points in the
 * middle of every interior pause, (6) per chunk: vocode with the utterance's
 * single vocoder state and deliver, checking the cancel flag before and
 * after; the first phrase's first first_chunk_ms go out while the rest of
 * it is still being vocoded (engine.h).
 *
 * Why MLPG is not per phrase: GV compensation is global (it rescales every
 * dimension to the utterance's variance and takes gradient steps on the
 * whole trajectory); solving it per phrase changed the spectrum and F0 by
 * 1-2.5 dB LSD against one-shot synthesis (measured on the 20 eval
 * sentences). Steps 2-4 are ~7% of the work and the vocoder ~93%, so the
 * first phrase still arrives after a small fraction of the total time, and
 * streamed output is sample-identical to one-shot output.
 *
 * Kernels: steps 4 and 6 run MLPG, excitation and MLSA where the options'
 * kernels/scheduler say (kernels/kernel_route.h); the stage times are this
 * thread's CPU time, so work done by a scheduler's dispatcher thread or a
 * GPU is not in them. */
#include "node/engine/engine.h"

#include "common/log.h"
#include "node/engine/synth/engine_voice.h"
#include "node/engine/acoustic/label.h"
#include "node/engine/synth/parameter_generation.h"
#include "node/engine/synth/timestamps.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cancelled(const ss_synth_options *o)
{
    return o->cancel && atomic_load(o->cancel) != 0;
}

/* Frame indices where chunks start (first is 0); returns count. */
static size_t phrase_cuts(const ss_acoustic_seq *seq, int stream, size_t *cuts)
{
    size_t n = 0, frame = 0;
    cuts[n++] = 0;
    if (!stream)
        return n;
    for (size_t i = 0; i < seq->nlabels; i++) {
        size_t fr = 0;
        for (int k = 0; k < seq->nstates; k++)
            fr += seq->dur[i * (size_t)seq->nstates + (size_t)k];
        char ph[16];
        if (i > 0 && i + 1 < seq->nlabels && ss_label_phone(seq->labels[i], ph, sizeof ph) == 0 &&
            strcmp(ph, "pau") == 0) {
            size_t cut = frame + fr / 2;
            if (cut > cuts[n - 1] && cut < seq->nframes)
                cuts[n++] = cut;
        }
        frame += fr;
    }
    return n;
}

/* Per-label rates and pause lengths (SSML) refit those labels' states. */
static int apply_label_lengths(ss_acoustic_seq *seq, const ss_synth_options *o, double frame_ms,
                               char *err, size_t errlen)
{
    size_t ns = (size_t)seq->nstates;
    for (size_t i = 0; i < seq->nlabels; i++) {
        const ss_label_prosody *p = &o->prosody[i];
        double frames;
        if (p->pause_ms > 0) {
            frames = p->pause_ms / frame_ms;
        } else if (p->rate != 0.0 && p->rate != 1.0) {
            double m = 0.0;
            for (size_t k = 0; k < ns; k++)
                m += seq->dur_mean[i * ns + k];
            frames = m / (o->speed * p->rate);
        } else {
            continue;
        }
        if (ss_acoustic_set_label_length(seq, i, frames, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Step (1): the call's arguments. 0, or -1 + err. */
static int check_input(const ss_voice *v, const char *const *labels, size_t nlabels, const ss_synth_options *o,
                       char *err, size_t errlen)
{
    if (!v) {
        snprintf(err, errlen, "no voice");
        return -1;
    }
    if (ss_synth_options_validate(o, err, errlen) != 0)
        return -1;
    if (!labels || nlabels == 0) {
        snprintf(err, errlen, "no labels to synthesize");
        return -1;
    }
    if (nlabels > SS_SYNTH_MAX_LABELS) {
        snprintf(err, errlen, "too many labels (%zu > %d): split the input by sentence", nlabels, SS_SYNTH_MAX_LABELS);
        return -1;
    }
    for (size_t i = 0; i < nlabels; i++) {
        size_t len;
        if (!labels[i] || !ss_label_name(labels[i], &len)) {
            snprintf(err, errlen, "label %zu is empty or malformed", i + 1);
            return -1;
        }
    }
    for (size_t i = 0; o->prosody && i < nlabels; i++) {
        const ss_label_prosody *p = &o->prosody[i];
        if (!isfinite(p->rate) || (p->rate != 0.0 && (p->rate < 0.25 || p->rate > 4.0)) || !isfinite(p->pitch) ||
            p->pitch < -24.0 || p->pitch > 24.0 || p->pause_ms < 0 || p->pause_ms > 10000) {
            snprintf(err, errlen, "label %zu: prosody out of range (rate 0.25..4, pitch -24..24, pause 0..10000 ms)",
                     i + 1);
            return -1;
        }
    }
    return 0;
}

/* Steps (2) and (3): the state sequence with its final durations, and the
 * timestamps. 0, or -1 + err; seq is always initialised (free it). */
static int build_sequence(const ss_voice *v, const char *const *labels, size_t nlabels, const ss_synth_options *o,
                          ss_acoustic_seq *seq, ss_synth_result *out, char *err, size_t errlen)
{
    const ss_htsvoice *hv = v->hts;
    double frame_ms = 1000.0 * hv->frame_period / hv->sample_rate;
    double *label_pitch = NULL;
    memset(seq, 0, sizeof *seq);
    if (o->prosody) {
        label_pitch = malloc(nlabels * sizeof(double));
        if (!label_pitch) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < nlabels; i++)
            label_pitch[i] = o->prosody[i].pitch;
    }
    double t0 = cpu_ms();
    int rc = ss_acoustic_lookup(hv, labels, nlabels, o->pitch, label_pitch, seq, err, errlen);
    free(label_pitch);
    if (rc != 0)
        return -1;
    if (ss_acoustic_durations(seq, o->speed, err, errlen) != 0)
        return -1;
    if (o->prosody && apply_label_lengths(seq, o, frame_ms, err, errlen) != 0)
        return -1;
    out->lookup_ms = cpu_ms() - t0;
    out->nframes = seq->nframes;
    out->sample_rate = o->sample_rate;
    return ss_timestamps_compute(seq, frame_ms, out, err, errlen);
}

/* What step (6) works on: the utterance's parameters, its cut points, the
 * one vocoder state carried across them, and what has been delivered. */
typedef struct {
    const ss_synth_options *o;
    ss_chunk_fn fn;
    void *user;
    ss_param_track track;
    const size_t *cuts;
    size_t ncuts, nframes;
    ss_vocoder *voc;
    float *audio;
    size_t cap;
    size_t nout, delivered; /* samples in audio; of those, handed over */
    ss_synth_result *out;
    double t_call;
    int stopped; /* the receiver asked to stop during an early chunk */
} phrase_run;

static int stop(int *rc, const char *why, char *err, size_t errlen)
{
    *rc = SS_SYNTH_CANCELLED;
    snprintf(err, errlen, "%s", why);
    return *rc;
}

/* Hands audio[delivered, nout) to the receiver as the next chunk. 0, or 1
 * when the receiver asked to stop. */
static int deliver(phrase_run *pr, int is_last)
{
    ss_synth_result *out = pr->out;
    ss_audio_chunk ch = {.samples = pr->audio + pr->delivered, .nsamples = pr->nout - pr->delivered,
                         .index = out->nchunks, .first_sample = out->nsamples, .is_last = is_last};
    if (out->nchunks == 0)
        out->first_chunk_ms = wall_ms() - pr->t_call;
    out->nchunks++;
    out->nsamples += ch.nsamples;
    pr->delivered = pr->nout;
    return pr->fn && pr->fn(pr->user, &ch) != 0;
}

/* The vocoder's early output of the first phrase (ss_vocoder_early): its
 * first first_chunk_ms go out while the rest is filtered. */
static void deliver_early(void *user)
{
    phrase_run *pr = user;
    if (pr->nout > pr->delivered && !cancelled(pr->o) && deliver(pr, 0) != 0)
        pr->stopped = 1;
}

/* The early output for phrase c: the first phrase of a streamed call only
 * (later phrases are vocoded well ahead of playback). */
static ss_vocoder_early early_for(phrase_run *pr, size_t c)
{
    if (c != 0 || !pr->o->stream || !(pr->o->first_chunk_ms > 0) || !pr->fn)
        return (ss_vocoder_early){0};
    const double frame_ms = 1000.0 * pr->voc->frame_period / pr->voc->in_rate;
    return (ss_vocoder_early){.fn = deliver_early, .user = pr,
                              .frames = (size_t)ceil(pr->o->first_chunk_ms / frame_ms)};
}

/* Step (6): per chunk, vocode with the single vocoder state and deliver,
 * checking the cancel flag before and after. 0, -1 + err or cancelled. */
static int vocode_phrases(phrase_run *pr, char *err, size_t errlen)
{
    const ss_synth_options *o = pr->o;
    int rc = 0;
    for (size_t c = 0; c < pr->ncuts; c++) {
        if (cancelled(o))
            return stop(&rc, "cancelled", err, errlen);
        size_t f0 = pr->cuts[c], f1 = c + 1 < pr->ncuts ? pr->cuts[c + 1] : pr->nframes;
        int last = c + 1 == pr->ncuts;
        ss_param_track tr = {.nframes = f1 - f0, .mcp_dim = pr->track.mcp_dim,
                             .mcp = pr->track.mcp + f0 * (size_t)pr->track.mcp_dim, .lf0 = pr->track.lf0 + f0};
        pr->voc->early = early_for(pr, c);
        double t2 = cpu_ms();
        int vr = ss_vocoder_run(pr->voc, &tr, last, NULL, &pr->audio, &pr->nout, &pr->cap, err, errlen);
        pr->out->vocoder_ms += cpu_ms() - t2;
        pr->voc->early = (ss_vocoder_early){0};
        if (vr != 0)
            return -1;
        if (pr->stopped)
            return stop(&rc, "cancelled by the receiver", err, errlen);
        if (cancelled(o))
            return stop(&rc, "cancelled", err, errlen);
        if (deliver(pr, last) != 0)
            return stop(&rc, "cancelled by the receiver", err, errlen);
        if (!o->keep_audio)
            pr->nout = pr->delivered = 0;
    }
    return 0;
}

int ss_synthesize(const ss_voice *v, const char *const *labels, size_t nlabels,
                  const ss_synth_options *o, ss_chunk_fn fn, void *user, ss_synth_result *out,
                  char *err, size_t errlen)
{
    double t_call = wall_ms();
    memset(out, 0, sizeof *out);
    if (check_input(v, labels, nlabels, o, err, errlen) != 0)
        return -1;
    const ss_kernel_route route = {.ops = o->kernels, .scheduler = o->scheduler};
    ss_acoustic_seq seq;
    ss_vocoder voc;
    int voc_ok = 0, track_ok = 0, rc = -1;
    size_t *cuts = NULL;
    phrase_run pr = {.o = o, .fn = fn, .user = user, .voc = &voc, .out = out, .t_call = t_call};
    if (build_sequence(v, labels, nlabels, o, &seq, out, err, errlen) != 0)
        goto done;
    cuts = malloc((seq.nlabels + 2) * sizeof *cuts);
    if (!cuts) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    pr.cuts = cuts;
    pr.ncuts = phrase_cuts(&seq, o->stream, cuts);
    pr.nframes = seq.nframes;
    double t1 = cpu_ms();
    if (ss_param_generate_routed(&route, v->hts, &seq, 0, seq.nframes, NULL, &pr.track, err, errlen) != 0)
        goto done;
    track_ok = 1;
    out->paramgen_ms += cpu_ms() - t1;
    if (ss_vocoder_init(&voc, v->hts, o->sample_rate, err, errlen) != 0)
        goto done;
    voc_ok = 1;
    voc.kernels = route;
    if (ss_vocoder_plan(&voc, seq.nframes, err, errlen) != 0)
        goto done;
    rc = vocode_phrases(&pr, err, errlen);
    if (rc == 0 && o->keep_audio) {
        out->samples = pr.audio;
        pr.audio = NULL;
    }
    if (rc == 0)
        ss_debug(o->request_id, "engine: %zu labels, %zu frames, %zu chunks, %zu samples", nlabels, seq.nframes,
                 out->nchunks, out->nsamples);
done:
    free(pr.audio);
    if (track_ok)
        ss_param_track_free(&pr.track);
    free(cuts);
    if (voc_ok)
        ss_vocoder_free(&voc);
    ss_acoustic_seq_free(&seq);
    return rc;
}
