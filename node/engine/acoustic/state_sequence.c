/* The state sequence of an utterance: tree lookup per label and state
 * durations (see state_sequence.h). */
#include "node/engine/acoustic/state_sequence.h"

#include "node/engine/acoustic/label.h"
#include "node/engine/acoustic/state_durations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ss_acoustic_seq_free(ss_acoustic_seq *s)
{
    if (s->labels)
        for (size_t i = 0; i < s->nlabels; i++)
            free(s->labels[i]);
    free(s->labels);
    free(s->dur_mean);
    free(s->dur_vari);
    free(s->gv_on);
    for (int k = 0; k < SS_VOICE_MAX_STREAMS; k++) {
        free(s->streams[k].mean);
        free(s->streams[k].vari);
        free(s->streams[k].voiced_weight);
        free(s->streams[k].gv_mean);
        free(s->streams[k].gv_vari);
    }
    free(s->dur);
    free(s->frame_state);
    memset(s, 0, sizeof *s);
}

int ss_acoustic_lookup(const ss_htsvoice *v, const char *const *lines, size_t n,
                       double pitch_semitones, const double *label_pitch, ss_acoustic_seq *out,
                       char *err, size_t errlen)
{
    unsigned char *memo = NULL;
    memset(out, 0, sizeof *out);
    if (n == 0) {
        snprintf(err, errlen, "no labels");
        return -1;
    }
    const size_t ns = (size_t)v->nstates, total = n * ns;
    out->nlabels = n;
    out->nstates = v->nstates;
    out->total_states = total;
    out->nstreams = v->nstreams;
    out->labels = calloc(n, sizeof *out->labels);
    out->dur_mean = malloc(total * sizeof(double));
    out->dur_vari = malloc(total * sizeof(double));
    out->gv_on = malloc(total);
    if (!out->labels || !out->dur_mean || !out->dur_vari || !out->gv_on)
        goto oom;
    for (int s = 0; s < v->nstreams; s++) {
        const ss_voice_stream *vs = &v->streams[s];
        ss_stream_seq *ss = &out->streams[s];
        ss->vlen = vs->vector_length;
        ss->nwin = vs->nwin;
        ss->msd = vs->is_msd;
        size_t w = (size_t)ss->vlen * (size_t)ss->nwin;
        ss->mean = malloc(total * w * sizeof(double));
        ss->vari = malloc(total * w * sizeof(double));
        if (!ss->mean || !ss->vari)
            goto oom;
        if (ss->msd && !(ss->voiced_weight = malloc(total * sizeof(double))))
            goto oom;
    }
    char e2[200];
    /* per-label question memos: one for durations, one per stream */
    size_t memo_len[1 + SS_VOICE_MAX_STREAMS];
    size_t memo_total = 0;
    memo_len[0] = v->dur.trees.nquestions;
    memo_total += memo_len[0];
    for (int s = 0; s < v->nstreams; s++) {
        memo_len[1 + s] = v->streams[s].pdf.trees.nquestions;
        memo_total += memo_len[1 + s];
    }
    memo = malloc(memo_total + 1);
    unsigned char *memo_of[1 + SS_VOICE_MAX_STREAMS];
    if (!memo)
        goto oom;
    memo_of[0] = memo;
    for (int s = 0; s < v->nstreams; s++)
        memo_of[1 + s] = memo_of[s] + memo_len[s];
    for (size_t i = 0; i < n; i++) {
        memset(memo, 0, memo_total);
        if (!lines[i]) {
            snprintf(err, errlen, "label %zu is NULL", i + 1);
            goto fail;
        }
        size_t len;
        const char *name = ss_label_name(lines[i], &len);
        if (!name || len == 0) {
            snprintf(err, errlen, "label %zu is not 'name' or 'start end name': '%.60s'", i + 1, lines[i]);
            goto fail;
        }
        out->labels[i] = strndup(name, len);
        if (!out->labels[i])
            goto oom;
        const char *lab = out->labels[i];
        const float *d = ss_voice_model_lookup_memo(&v->dur, 2, lab, len, memo_of[0], e2, sizeof e2);
        if (!d) {
            snprintf(err, errlen, "duration model, label %zu: %s", i + 1, e2);
            goto fail;
        }
        for (size_t k = 0; k < ns; k++) {
            out->dur_mean[i * ns + k] = d[k];
            out->dur_vari[i * ns + k] = d[ns + k];
        }
        unsigned char gv = ss_htsvoice_gv_on(v, lab, len) ? 1 : 0;
        for (size_t k = 0; k < ns; k++) {
            size_t st = i * ns + k;
            out->gv_on[st] = gv;
            for (int s = 0; s < v->nstreams; s++) {
                const ss_voice_stream *vs = &v->streams[s];
                ss_stream_seq *ss = &out->streams[s];
                const float *p = ss_voice_model_lookup_memo(&vs->pdf, (int)k + 2, lab, len, memo_of[1 + s], e2, sizeof e2);
                if (!p) {
                    snprintf(err, errlen, "stream %s, label %zu: %s", vs->name, i + 1, e2);
                    goto fail;
                }
                size_t w = (size_t)ss->vlen * (size_t)ss->nwin;
                for (size_t j = 0; j < w; j++) {
                    ss->mean[st * w + j] = p[j];
                    ss->vari[st * w + j] = p[w + j];
                }
                if (ss->msd)
                    ss->voiced_weight[st] = p[2 * w];
            }
        }
    }
    free(memo);
    memo = NULL;
    for (int s = 0; s < v->nstreams; s++) {
        const ss_voice_stream *vs = &v->streams[s];
        ss_stream_seq *ss = &out->streams[s];
        if (!vs->use_gv)
            continue;
        const float *g = ss_voice_model_lookup(&vs->gv, 2, out->labels[0], strlen(out->labels[0]), e2, sizeof e2);
        if (!g) {
            snprintf(err, errlen, "GV model of %s: %s", vs->name, e2);
            goto fail;
        }
        ss->gv_mean = malloc((size_t)ss->vlen * sizeof(double));
        ss->gv_vari = malloc((size_t)ss->vlen * sizeof(double));
        if (!ss->gv_mean || !ss->gv_vari)
            goto oom;
        for (int j = 0; j < ss->vlen; j++) {
            ss->gv_mean[j] = g[j];
            ss->gv_vari[j] = g[ss->vlen + j];
        }
    }
    for (int s = 0; s < v->nstreams; s++) {
        ss_stream_seq *ss = &out->streams[s];
        if (!ss->msd)
            continue;
        size_t w = (size_t)ss->vlen * (size_t)ss->nwin;
        for (size_t st = 0; st < total; st++) {
            double shift = pitch_semitones + (label_pitch ? label_pitch[st / ns] : 0.0);
            if (shift == 0.0)
                continue;
            for (int j = 0; j < ss->vlen; j++) {
                double x = ss->mean[st * w + (size_t)j] + shift * log(2.0) / 12.0;
                if (x < log(20.0))
                    x = log(20.0);
                else if (x > log(20000.0))
                    x = log(20000.0);
                ss->mean[st * w + (size_t)j] = x;
            }
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(memo);
    ss_acoustic_seq_free(out);
    return -1;
}

/* nframes and frame_state from dur. */
static int rebuild_frames(ss_acoustic_seq *seq, char *err, size_t errlen)
{
    size_t nf = 0;
    for (size_t s = 0; s < seq->total_states; s++)
        nf += seq->dur[s];
    free(seq->frame_state);
    seq->nframes = nf;
    seq->frame_state = malloc((nf ? nf : 1) * sizeof(size_t));
    if (!seq->frame_state) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t f = 0;
    for (size_t s = 0; s < seq->total_states; s++)
        for (size_t k = 0; k < seq->dur[s]; k++)
            seq->frame_state[f++] = s;
    return 0;
}

int ss_acoustic_durations(ss_acoustic_seq *seq, double speed, char *err, size_t errlen)
{
    free(seq->dur);
    free(seq->frame_state);
    seq->frame_state = NULL;
    seq->dur = malloc(seq->total_states * sizeof(size_t));
    if (!seq->dur) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ss_state_durations(seq->dur_mean, seq->dur_vari, seq->total_states, speed, seq->dur) == 0) {
        snprintf(err, errlen, "invalid speed %g", speed);
        return -1;
    }
    return rebuild_frames(seq, err, errlen);
}

int ss_acoustic_set_label_length(ss_acoustic_seq *seq, size_t label, double frame_length, char *err,
                                 size_t errlen)
{
    if (label >= seq->nlabels || !seq->dur) {
        snprintf(err, errlen, "no label %zu", label);
        return -1;
    }
    size_t ns = (size_t)seq->nstates, s0 = label * ns;
    if (ss_state_durations_fit(seq->dur_mean + s0, seq->dur_vari + s0, ns, frame_length, seq->dur + s0) == 0) {
        snprintf(err, errlen, "invalid length %g frames for label %zu", frame_length, label + 1);
        return -1;
    }
    return rebuild_frames(seq, err, errlen);
}
