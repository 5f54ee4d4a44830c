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

/* Sizes out for n labels of v and allocates its per-state arrays. 0, or -1
 * when out of memory (the caller frees out). */
static int alloc_sequence(const ss_htsvoice *v, size_t n, ss_acoustic_seq *out)
{
    const size_t total = n * (size_t)v->nstates;
    out->nlabels = n;
    out->nstates = v->nstates;
    out->total_states = total;
    out->nstreams = v->nstreams;
    out->labels = calloc(n, sizeof *out->labels);
    out->dur_mean = malloc(total * sizeof(double));
    out->dur_vari = malloc(total * sizeof(double));
    out->gv_on = malloc(total);
    if (!out->labels || !out->dur_mean || !out->dur_vari || !out->gv_on)
        return -1;
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
            return -1;
        if (ss->msd && !(ss->voiced_weight = malloc(total * sizeof(double))))
            return -1;
    }
    return 0;
}

/* Per-label question memos: one for the duration trees (of[0]), one per
 * stream (of[1 + s]), cut from one buffer that is cleared per label; and the
 * label's token index (label_tokens.h), built once per label for the
 * duration and all stream trees, which answers their field patterns. */
typedef struct {
    unsigned char *buf;
    size_t total;
    unsigned char *of[1 + SS_VOICE_MAX_STREAMS];
    ss_label_tokens tokens;
    unsigned runs_mask;     /* the trees' field_runs together */
} question_memo;

/* 0, or -1 when out of memory. */
static int memo_alloc(const ss_htsvoice *v, question_memo *m)
{
    size_t memo_len[1 + SS_VOICE_MAX_STREAMS];
    m->total = 0;
    memo_len[0] = v->dur.trees.nquestions;
    m->total += memo_len[0];
    for (int s = 0; s < v->nstreams; s++) {
        memo_len[1 + s] = v->streams[s].pdf.trees.nquestions;
        m->total += memo_len[1 + s];
    }
    m->buf = malloc(m->total + 1);
    if (!m->buf)
        return -1;
    ss_label_tokens_init(&m->tokens);
    m->runs_mask = v->dur.trees.field_runs;
    for (int s = 0; s < v->nstreams; s++)
        m->runs_mask |= v->streams[s].pdf.trees.field_runs;
    m->of[0] = m->buf;
    for (int s = 0; s < v->nstreams; s++)
        m->of[1 + s] = m->of[s] + memo_len[s];
    return 0;
}

/* Copies the pdf p of one state of stream ss (mean, variance, voiced
 * weight) into state st. */
static void copy_stream_state(ss_stream_seq *ss, size_t st, const float *p)
{
    size_t w = (size_t)ss->vlen * (size_t)ss->nwin;
    for (size_t j = 0; j < w; j++) {
        ss->mean[st * w + j] = p[j];
        ss->vari[st * w + j] = p[w + j];
    }
    if (ss->msd)
        ss->voiced_weight[st] = p[2 * w];
}

/* Label i (0-based): its name, duration pdfs, GV switch and every stream's
 * pdfs per state. 0, or -1 with err. */
static int lookup_label(const ss_htsvoice *v, const char *line, size_t i, question_memo *m,
                        ss_acoustic_seq *out, char *err, size_t errlen)
{
    const size_t ns = (size_t)v->nstates;
    char e2[200];
    memset(m->buf, 0, m->total);
    if (!line) {
        snprintf(err, errlen, "label %zu is NULL", i + 1);
        return -1;
    }
    size_t len;
    const char *name = ss_label_name(line, &len);
    if (!name || len == 0) {
        snprintf(err, errlen, "label %zu is not 'name' or 'start end name': '%.60s'", i + 1, line);
        return -1;
    }
    out->labels[i] = strndup(name, len);
    if (!out->labels[i]) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *lab = out->labels[i];
    if (ss_label_tokens_index(&m->tokens, lab, len, m->runs_mask) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const float *d = ss_voice_model_lookup_tokens(&v->dur, 2, lab, len, &m->tokens, m->of[0], e2, sizeof e2);
    if (!d) {
        snprintf(err, errlen, "duration model, label %zu: %s", i + 1, e2);
        return -1;
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
            const float *p = ss_voice_model_lookup_tokens(&vs->pdf, (int)k + 2, lab, len, &m->tokens,
                                                          m->of[1 + s], e2, sizeof e2);
            if (!p) {
                snprintf(err, errlen, "stream %s, label %zu: %s", vs->name, i + 1, e2);
                return -1;
            }
            copy_stream_state(&out->streams[s], st, p);
        }
    }
    return 0;
}

/* The GV pdfs of the streams that use GV, from the first label. 0, or -1
 * with err. */
static int lookup_gv(const ss_htsvoice *v, ss_acoustic_seq *out, char *err, size_t errlen)
{
    char e2[200];
    for (int s = 0; s < v->nstreams; s++) {
        const ss_voice_stream *vs = &v->streams[s];
        ss_stream_seq *ss = &out->streams[s];
        if (!vs->use_gv)
            continue;
        const float *g = ss_voice_model_lookup(&vs->gv, 2, out->labels[0], strlen(out->labels[0]), e2, sizeof e2);
        if (!g) {
            snprintf(err, errlen, "GV model of %s: %s", vs->name, e2);
            return -1;
        }
        ss->gv_mean = malloc((size_t)ss->vlen * sizeof(double));
        ss->gv_vari = malloc((size_t)ss->vlen * sizeof(double));
        if (!ss->gv_mean || !ss->gv_vari) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (int j = 0; j < ss->vlen; j++) {
            ss->gv_mean[j] = g[j];
            ss->gv_vari[j] = g[ss->vlen + j];
        }
    }
    return 0;
}

/* Shifts the log F0 means of the MSD streams by pitch_semitones plus the
 * label's own shift, kept within 20 Hz..20 kHz. */
static void shift_pitch(ss_acoustic_seq *out, double pitch_semitones, const double *label_pitch)
{
    const size_t ns = (size_t)out->nstates;
    for (int s = 0; s < out->nstreams; s++) {
        ss_stream_seq *ss = &out->streams[s];
        if (!ss->msd)
            continue;
        size_t w = (size_t)ss->vlen * (size_t)ss->nwin;
        for (size_t st = 0; st < out->total_states; st++) {
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
}

int ss_acoustic_lookup(const ss_htsvoice *v, const char *const *lines, size_t n,
                       double pitch_semitones, const double *label_pitch, ss_acoustic_seq *out,
                       char *err, size_t errlen)
{
    question_memo memo = {0};
    memset(out, 0, sizeof *out);
    if (n == 0) {
        snprintf(err, errlen, "no labels");
        return -1;
    }
    if (alloc_sequence(v, n, out) != 0 || memo_alloc(v, &memo) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (lookup_label(v, lines[i], i, &memo, out, err, errlen) != 0)
            goto fail;
    free(memo.buf);
    memo.buf = NULL;
    ss_label_tokens_free(&memo.tokens);
    if (lookup_gv(v, out, err, errlen) != 0)
        goto fail;
    shift_pitch(out, pitch_semitones, label_pitch);
    return 0;
fail:
    free(memo.buf);
    ss_label_tokens_free(&memo.tokens);
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
