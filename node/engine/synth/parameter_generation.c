/* Tree lookup, durations and the MLPG driver; see param_gen.h. */
#include "node/engine/synth/parameter_generation.h"

#include "node/engine/acoustic/state_durations.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INV_INF 1.0e38
#define INV_BIG 1.0e19
#define INV_SMALL 1.0e-19

/* 1/x with HTS's guards against overflow. */
static double safe_inverse(double x)
{
    if (x >= INV_BIG || x <= -INV_BIG)
        return 0.0;
    if (x <= INV_SMALL && x >= 0)
        return INV_INF;
    if (x >= -INV_SMALL && x < 0)
        return -INV_INF;
    return 1.0 / x;
}

static int is_number_token(const char *b, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)b[i]) && !(i == 0 && (b[i] == '-' || b[i] == '+')) && b[i] != '.')
            return 0;
    return 1;
}

const char *ss_label_name(const char *line, size_t *len)
{
    const char *tok[3];
    size_t tl[3];
    int nt = 0;
    const char *p = line;
    while (*p && nt < 3) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *b = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        tok[nt] = b;
        tl[nt] = (size_t)(p - b);
        nt++;
    }
    while (*p && isspace((unsigned char)*p))
        p++;
    if (nt == 1) {
        *len = tl[0];
        return tok[0];
    }
    if (nt == 3 && !*p && is_number_token(tok[0], tl[0]) && is_number_token(tok[1], tl[1])) {
        *len = tl[2];
        return tok[2];
    }
    return NULL;
}

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

void ss_param_track_free(ss_param_track *t)
{
    free(t->mcp);
    free(t->lf0);
    memset(t, 0, sizeof *t);
}

/* Solves one stream over frames [f0, f1) (voiced frames only for msd).
 * par receives [T][vlen]; frames[] lists the frames used. */
/* Dimensions solved per kernel call: bounds the mean/precision buffers to
 * DIM_BLOCK * T * nwin doubles each whatever the stream's width. */
#define DIM_BLOCK 8

static int generate_stream(const ss_kernel_route *route, const ss_htsvoice *v,
                           const ss_acoustic_seq *seq, int s, size_t f0, size_t f1, double *par,
                           size_t *frames, size_t *T_out, char *err, size_t errlen)
{
    const ss_stream_seq *ss = &seq->streams[s];
    const ss_mlpg_windows *win = &v->streams[s].win;
    const size_t nw = (size_t)ss->nwin, vl = (size_t)ss->vlen, w = nw * vl;
    size_t T = 0;
    for (size_t f = f0; f < f1; f++) {
        size_t st = seq->frame_state[f];
        if (!ss->msd || ss->voiced_weight[st] > 0.5)
            frames[T++] = f;
    }
    *T_out = T;
    if (T == 0)
        return 0;
    /* the CPU kernels called directly: blocks of DIM_BLOCK dimensions
     * (bounded scratch); a scheduler or another table: the whole stream in
     * one call (one batch entry, one launch). A table is called with the
     * CPU workspace (its contract); the scheduler brings its own. */
    const int via_scheduler = route && route->scheduler;
    const int cpu_table = !via_scheduler && (!route || !route->ops || route->ops == ss_kernel_ops_cpu());
    const size_t blk = cpu_table && vl > DIM_BLOCK ? DIM_BLOCK : vl;
    double *mean = malloc(blk * T * nw * sizeof(double));
    double *ivar = malloc(blk * T * nw * sizeof(double));
    unsigned char *inside = malloc(T * nw);
    unsigned char *gvs = ss->gv_mean ? malloc(T) : NULL;
    size_t wlen = via_scheduler ? 0 : ss_kern_mlpg_workspace(T);
    double *work = via_scheduler ? NULL : malloc(wlen * sizeof(double));
    ss_mlpg_problem *probs = malloc(blk * sizeof *probs);
    int rc = -1;
    if (!mean || !ivar || !inside || (!via_scheduler && !work) || !probs || (ss->gv_mean && !gvs)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    /* Per frame and window: does the window stay inside the range and the
     * voiced region? (dynamic windows are switched off where not, as HTS) */
    for (size_t t = 0; t < T; t++) {
        size_t f = frames[t];
        if (gvs)
            gvs[t] = seq->gv_on[seq->frame_state[f]];
        for (size_t k = 0; k < nw; k++) {
            int in = 1;
            for (int sh = win->left[k]; sh <= win->right[k] && in; sh++) {
                long g = (long)f + sh;
                if (g < (long)f0 || g >= (long)f1 ||
                    (ss->msd && !(ss->voiced_weight[seq->frame_state[g]] > 0.5)))
                    in = 0;
            }
            inside[t * nw + k] = (unsigned char)(in || k == 0);
        }
    }
    for (size_t l0 = 0; l0 < vl; l0 += blk) {
        size_t nb = vl - l0 < blk ? vl - l0 : blk;
        for (size_t t = 0; t < T; t++) {
            size_t st = seq->frame_state[frames[t]];
            for (size_t b = 0; b < nb; b++) {
                size_t l = l0 + b;
                for (size_t k = 0; k < nw; k++) {
                    size_t m = vl * k + l;
                    mean[(b * T + t) * nw + k] = ss->mean[st * w + m];
                    ivar[(b * T + t) * nw + k] = inside[t * nw + k] ? safe_inverse(ss->vari[st * w + m]) : 0.0;
                }
            }
        }
        for (size_t b = 0; b < nb; b++) {
            size_t l = l0 + b;
            probs[b] = (ss_mlpg_problem){
                .length = T,
                .mean = mean + b * T * nw,
                .ivar = ivar + b * T * nw,
                .gv_switch = gvs,
                .gv_mean = ss->gv_mean ? ss->gv_mean[l] : 0.0,
                .gv_vari = ss->gv_vari ? ss->gv_vari[l] : 0.0,
                .out = par + l,
                .out_stride = vl,
            };
        }
        if ((rc = ss_route_mlpg(route, win, probs, nb, work, wlen, err, errlen)) != 0)
            goto done;
    }
    rc = 0;
done:
    free(mean);
    free(ivar);
    free(inside);
    free(gvs);
    free(work);
    free(probs);
    return rc;
}

static int find_streams(const ss_acoustic_seq *seq, int *smcp, int *slf0, char *err, size_t errlen)
{
    *smcp = *slf0 = -1;
    for (int s = 0; s < seq->nstreams; s++) {
        if (seq->streams[s].msd && *slf0 < 0)
            *slf0 = s;
        else if (!seq->streams[s].msd && *smcp < 0)
            *smcp = s;
    }
    if (*smcp < 0 || *slf0 < 0 || seq->streams[*slf0].vlen != 1) {
        snprintf(err, errlen, "voice needs one spectrum stream and one 1-dimensional multi-space F0 stream");
        return -1;
    }
    return 0;
}

static int generate_lf0_range(const ss_kernel_route *route, const ss_htsvoice *v,
                              const ss_acoustic_seq *seq, int slf0, size_t f0, size_t f1,
                              double *lf0, char *err, size_t errlen)
{
    size_t n = f1 - f0, T;
    size_t *frames = malloc(n * sizeof(size_t));
    double *par = malloc(n * sizeof(double));
    if (!frames || !par) {
        free(frames);
        free(par);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = generate_stream(route, v, seq, slf0, f0, f1, par, frames, &T, err, errlen);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            lf0[i] = SS_LF0_UNVOICED;
        for (size_t t = 0; t < T; t++)
            lf0[frames[t] - f0] = par[t];
    }
    free(frames);
    free(par);
    return rc;
}

int ss_param_generate_lf0(const ss_htsvoice *v, const ss_acoustic_seq *seq, double *lf0_all,
                          char *err, size_t errlen)
{
    return ss_param_generate_lf0_routed(NULL, v, seq, lf0_all, err, errlen);
}

int ss_param_generate_lf0_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                                 const ss_acoustic_seq *seq, double *lf0_all, char *err,
                                 size_t errlen)
{
    int smcp, slf0;
    if (find_streams(seq, &smcp, &slf0, err, errlen) != 0)
        return -1;
    return generate_lf0_range(route, v, seq, slf0, 0, seq->nframes, lf0_all, err, errlen);
}

int ss_param_generate(const ss_htsvoice *v, const ss_acoustic_seq *seq, size_t f0, size_t f1,
                      const double *lf0_all, ss_param_track *out, char *err, size_t errlen)
{
    return ss_param_generate_routed(NULL, v, seq, f0, f1, lf0_all, out, err, errlen);
}

int ss_param_generate_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                             const ss_acoustic_seq *seq, size_t f0, size_t f1,
                             const double *lf0_all, ss_param_track *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (f0 >= f1 || f1 > seq->nframes) {
        snprintf(err, errlen, "bad frame range %zu..%zu of %zu", f0, f1, seq->nframes);
        return -1;
    }
    int smcp, slf0;
    if (find_streams(seq, &smcp, &slf0, err, errlen) != 0)
        return -1;
    size_t n = f1 - f0, T;
    out->nframes = n;
    out->mcp_dim = seq->streams[smcp].vlen;
    out->mcp = malloc(n * (size_t)out->mcp_dim * sizeof(double));
    out->lf0 = malloc(n * sizeof(double));
    size_t *frames = malloc(n * sizeof(size_t));
    if (!out->mcp || !out->lf0 || !frames) {
        free(frames);
        ss_param_track_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = generate_stream(route, v, seq, smcp, f0, f1, out->mcp, frames, &T, err, errlen);
    free(frames);
    if (rc == 0) {
        if (lf0_all)
            memcpy(out->lf0, lf0_all + f0, n * sizeof(double));
        else
            rc = generate_lf0_range(route, v, seq, slf0, f0, f1, out->lf0, err, errlen);
    }
    if (rc != 0)
        ss_param_track_free(out);
    return rc;
}
