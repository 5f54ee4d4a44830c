/* Kernel inputs from a real utterance of the voice, for the kernel tests
 * (tests/unit/test_batch_scheduler.c, tests/gpu/gpu_parity.c, gpu_bench.c).
 * Header-only (static functions) because the unit binary and the GPU tools
 * are built by different rules.
 *
 * From labels: tree lookup and durations through the engine's param_gen
 * API, then
 *   - the MLPG problems of one stream over the whole utterance, built the
 *     way node/engine/synth/parameter_generation.c builds them (multi-space streams over the
 *     voiced frames; windows switched off at the edges and at voicing
 *     changes; GV switches per frame), one problem per dimension;
 *   - the parameter track (ss_param_generate, CPU) and from it the
 *     vocoder inputs: pitch periods and mel-cepstra, cut into phrases. */
#ifndef SS_TESTS_GPU_UTTERANCE_JOBS_H
#define SS_TESTS_GPU_UTTERANCE_JOBS_H

#include "kernels/kernels.h"
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTT_VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

/* One stream's MLPG problems; out is [T][vlen] (problem l writes column l). */
typedef struct {
    const ss_mlpg_windows *win;
    size_t T, vlen;
    double *mean, *ivar, *out;
    unsigned char *gvs;
    ss_mlpg_problem *probs;
} utt_mlpg;

static inline void utt_mlpg_free(utt_mlpg *m)
{
    free(m->mean);
    free(m->ivar);
    free(m->out);
    free(m->gvs);
    free(m->probs);
    memset(m, 0, sizeof *m);
}

/* As param_gen.c: huge variance -> ignore, tiny -> near-infinite precision. */
static inline double utt_safe_inverse(double x)
{
    if (x >= 1.0e19 || x <= -1.0e19)
        return 0.0;
    if (x <= 1.0e-19 && x >= 0)
        return 1.0e38;
    if (x >= -1.0e-19 && x < 0)
        return -1.0e38;
    return 1.0 / x;
}

/* 0, or -1 + err. A stream with no voiced frames gives T = 0 and no problems. */
static inline int utt_mlpg_build(const ss_htsvoice *v, const ss_acoustic_seq *seq, int s, utt_mlpg *m,
                                 char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    const ss_stream_seq *ss = &seq->streams[s];
    const ss_mlpg_windows *win = &v->streams[s].win;
    const size_t nw = (size_t)ss->nwin, vl = (size_t)ss->vlen, w = nw * vl, F = seq->nframes;
    size_t *frames = malloc((F ? F : 1) * sizeof *frames);
    if (!frames) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t T = 0;
    for (size_t f = 0; f < F; f++)
        if (!ss->msd || ss->voiced_weight[seq->frame_state[f]] > 0.5)
            frames[T++] = f;
    m->win = win;
    m->T = T;
    m->vlen = vl;
    if (T == 0) {
        free(frames);
        return 0;
    }
    m->mean = malloc(vl * T * nw * sizeof(double));
    m->ivar = malloc(vl * T * nw * sizeof(double));
    m->out = malloc(vl * T * sizeof(double));
    m->gvs = ss->gv_mean ? malloc(T) : NULL;
    m->probs = calloc(vl, sizeof *m->probs);
    if (!m->mean || !m->ivar || !m->out || !m->probs || (ss->gv_mean && !m->gvs)) {
        free(frames);
        utt_mlpg_free(m);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t t = 0; t < T; t++) {
        size_t f = frames[t], st = seq->frame_state[f];
        if (m->gvs)
            m->gvs[t] = seq->gv_on[st];
        for (size_t k = 0; k < nw; k++) {
            int in = 1;
            for (int sh = win->left[k]; sh <= win->right[k] && in; sh++) {
                long g = (long)f + sh;
                if (g < 0 || g >= (long)F ||
                    (ss->msd && !(ss->voiced_weight[seq->frame_state[g]] > 0.5)))
                    in = 0;
            }
            for (size_t l = 0; l < vl; l++) {
                size_t mi = vl * k + l;
                m->mean[(l * T + t) * nw + k] = ss->mean[st * w + mi];
                m->ivar[(l * T + t) * nw + k] = (in || k == 0) ? utt_safe_inverse(ss->vari[st * w + mi]) : 0.0;
            }
        }
    }
    for (size_t l = 0; l < vl; l++)
        m->probs[l] = (ss_mlpg_problem){
            .length = T,
            .mean = m->mean + l * T * nw,
            .ivar = m->ivar + l * T * nw,
            .gv_switch = m->gvs,
            .gv_mean = ss->gv_mean ? ss->gv_mean[l] : 0.0,
            .gv_vari = ss->gv_vari ? ss->gv_vari[l] : 0.0,
            .out = m->out + l,
            .out_stride = vl,
        };
    free(frames);
    return 0;
}

/* Vocoder inputs of a whole utterance. */
typedef struct {
    size_t nframes, frame_period;
    int order;          /* mel-cepstrum order (mcp_dim - 1) */
    double alpha;
    double *period;     /* [nframes] */
    double *mcep;       /* [nframes][order + 1] */
} utt_vocoder_input;

static inline void utt_vocoder_input_free(utt_vocoder_input *vi)
{
    free(vi->period);
    free(vi->mcep);
    memset(vi, 0, sizeof *vi);
}

static inline double utt_period_of_lf0(double l, double rate)
{
    return l == SS_LF0_UNVOICED ? 0.0
           : l <= log(20.0)     ? rate / 20.0
           : l >= log(20000.0)  ? rate / 20000.0
                                : rate / exp(l);
}

/* Labels -> lookup -> durations -> (optionally) MLPG problems of every
 * stream and the CPU parameter track -> vocoder inputs. seq must be freed
 * with ss_acoustic_seq_free. */
static inline int utt_prepare(const ss_htsvoice *v, const char *const *labels, size_t n,
                              ss_acoustic_seq *seq, utt_vocoder_input *vi, char *err, size_t errlen)
{
    memset(vi, 0, sizeof *vi);
    if (ss_acoustic_lookup(v, labels, n, 0.0, NULL, seq, err, errlen) != 0)
        return -1;
    if (ss_acoustic_durations(seq, 1.0, err, errlen) != 0) {
        ss_acoustic_seq_free(seq);
        return -1;
    }
    ss_param_track tr;
    if (ss_param_generate(v, seq, 0, seq->nframes, NULL, &tr, err, errlen) != 0) {
        ss_acoustic_seq_free(seq);
        return -1;
    }
    int mcp = -1;
    for (int s = 0; s < v->nstreams; s++)
        if (!v->streams[s].is_msd && mcp < 0)
            mcp = s;
    vi->nframes = tr.nframes;
    vi->frame_period = (size_t)v->frame_period;
    vi->order = tr.mcp_dim - 1;
    vi->alpha = mcp >= 0 ? v->streams[mcp].alpha : 0.42;
    vi->period = malloc((tr.nframes ? tr.nframes : 1) * sizeof(double));
    vi->mcep = malloc((tr.nframes ? tr.nframes : 1) * (size_t)tr.mcp_dim * sizeof(double));
    if (!vi->period || !vi->mcep) {
        ss_param_track_free(&tr);
        utt_vocoder_input_free(vi);
        ss_acoustic_seq_free(seq);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(vi->mcep, tr.mcp, tr.nframes * (size_t)tr.mcp_dim * sizeof(double));
    for (size_t f = 0; f < tr.nframes; f++)
        vi->period[f] = utt_period_of_lf0(tr.lf0[f], (double)v->sample_rate);
    ss_param_track_free(&tr);
    return 0;
}

/* Vocoder inputs from solved MLPG problems (mlpg[s] of stream s, outputs
 * written by any kernel implementation): the spectrum stream's [T][dim]
 * output is the mel-cepstrum sequence, the F0 stream's voiced-frame output
 * is spread over the voiced frames (others unvoiced). Equals utt_prepare's
 * track when the CPU kernel solved the problems. */
static inline int utt_vocoder_from_mlpg(const ss_htsvoice *v, const ss_acoustic_seq *seq,
                                        const utt_mlpg *mlpg, utt_vocoder_input *vi, char *err,
                                        size_t errlen)
{
    memset(vi, 0, sizeof *vi);
    int mcp = -1, lf0 = -1;
    for (int s = 0; s < seq->nstreams; s++) {
        if (seq->streams[s].msd && lf0 < 0)
            lf0 = s;
        else if (!seq->streams[s].msd && mcp < 0)
            mcp = s;
    }
    const size_t F = seq->nframes;
    if (mcp < 0 || lf0 < 0 || mlpg[mcp].T != F) {
        snprintf(err, errlen, "voice/problems do not match (spectrum stream over every frame)");
        return -1;
    }
    vi->nframes = F;
    vi->frame_period = (size_t)v->frame_period;
    vi->order = (int)mlpg[mcp].vlen - 1;
    vi->alpha = v->streams[mcp].alpha;
    vi->period = malloc((F ? F : 1) * sizeof(double));
    vi->mcep = malloc((F ? F : 1) * mlpg[mcp].vlen * sizeof(double));
    if (!vi->period || !vi->mcep) {
        utt_vocoder_input_free(vi);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(vi->mcep, mlpg[mcp].out, F * mlpg[mcp].vlen * sizeof(double));
    const ss_stream_seq *ls = &seq->streams[lf0];
    size_t t = 0;
    for (size_t f = 0; f < F; f++) {
        double l = SS_LF0_UNVOICED;
        if (ls->voiced_weight[seq->frame_state[f]] > 0.5 && t < mlpg[lf0].T)
            l = mlpg[lf0].out[t++];
        vi->period[f] = utt_period_of_lf0(l, (double)v->sample_rate);
    }
    return 0;
}

/* Reads a label file ("start end label" or "label" per line). NULL-safe free
 * with utt_labels_free. */
static inline char **utt_labels_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **lines = NULL, buf[2048];
    size_t cnt = 0, cap = 0;
    while (fgets(buf, sizeof buf, f)) {
        size_t len = strcspn(buf, "\r\n");
        buf[len] = 0;
        if (!len)
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nl = realloc(lines, cap * sizeof *nl);
            if (!nl)
                break;
            lines = nl;
        }
        lines[cnt++] = strdup(buf);
    }
    fclose(f);
    *n = cnt;
    return lines;
}

static inline void utt_labels_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
}

#endif
