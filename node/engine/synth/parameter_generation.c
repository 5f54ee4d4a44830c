/* The MLPG driver: parameter trajectories from a state sequence; see
 * parameter_generation.h. */
#include "node/engine/synth/parameter_generation.h"

#include <math.h>
#include <stdint.h>
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

/* The first 64-byte boundary in buf (NULL stays NULL); malloc's large
 * blocks are reused from the heap where aligned_alloc's were mapped and
 * unmapped, a page fault per page, every utterance. */
static double *align64(double *buf)
{
    return buf ? buf + ((64 - ((uintptr_t)buf & 63)) & 63) / sizeof(double) : NULL;
}

/* One stream's MLPG inputs over the frames used: where they come from and
 * the buffers they are laid out in for one block of dimensions. */
typedef struct {
    const ss_acoustic_seq *seq;
    const ss_stream_seq *ss;
    const size_t *frames;        /* [T] the frames used */
    size_t T, nw, vl;
    const unsigned char *inside; /* [T][nw] window inside range and voicing */
    size_t blk;                  /* dimensions per kernel call */
    size_t lanes;                /* the CPU kernel's lanes (ss_kern_mlpg_lanes) */
    int interleave;              /* 1: [blk / lanes][T][nw][lanes]; 0: [blk][T][nw] */
    double *mean, *ivar;         /* the block's inputs */
    double *inv;                 /* [blk][nw] scratch: one state's inverses */
} stream_inputs;

/* Per frame and window: does the window stay inside the range and the
 * voiced region? (dynamic windows are switched off where not, as HTS);
 * and the frames' GV switches when gvs is given. */
static void mark_windows(const stream_inputs *in, const ss_mlpg_windows *win, size_t f0, size_t f1,
                         unsigned char *inside, unsigned char *gvs)
{
    const ss_acoustic_seq *seq = in->seq;
    const ss_stream_seq *ss = in->ss;
    for (size_t t = 0; t < in->T; t++) {
        size_t f = in->frames[t];
        if (gvs)
            gvs[t] = seq->gv_on[seq->frame_state[f]];
        for (size_t k = 0; k < in->nw; k++) {
            int ok = 1;
            for (int sh = win->left[k]; sh <= win->right[k] && ok; sh++) {
                long g = (long)f + sh;
                if (g < (long)f0 || g >= (long)f1 ||
                    (ss->msd && !(ss->voiced_weight[seq->frame_state[g]] > 0.5)))
                    ok = 0;
            }
            inside[t * in->nw + k] = (unsigned char)(ok || k == 0);
        }
    }
}

/* Where dimension b of the block starts in the interleaved layout: its
 * lane group's block of [T][nw][lanes], then its lane. */
static size_t lane_offset(const stream_inputs *in, size_t b)
{
    return b / in->lanes * in->T * in->nw * in->lanes + b % in->lanes;
}

/* Means and inverse variances of dimensions [l0, l0 + nb) in the block's
 * layout. Interleaved is the CPU kernel's lane layout (groups of as many
 * dimensions as it has lanes, [T][nw][lanes] each, aligned), which it
 * reads in place; otherwise one problem after the other. A state lasts several frames: its inverse variances (a division
 * each) are computed once per run of its frames, not per frame. */
static void fill_block(const stream_inputs *in, size_t l0, size_t nb)
{
    const ss_stream_seq *ss = in->ss;
    const size_t T = in->T, nw = in->nw, vl = in->vl, w = nw * vl, lanes = in->lanes;
    size_t inv_state = SIZE_MAX, off[DIM_BLOCK];
    for (size_t b = 0; b < nb && in->interleave; b++)
        off[b] = lane_offset(in, b);
    for (size_t t = 0; t < T; t++) {
        const size_t st = in->seq->frame_state[in->frames[t]];
        if (st != inv_state) {
            for (size_t b = 0; b < nb; b++)
                for (size_t k = 0; k < nw; k++)
                    in->inv[b * nw + k] = safe_inverse(ss->vari[st * w + vl * k + l0 + b]);
            inv_state = st;
        }
        for (size_t k = 0; k < nw; k++) {
            const double *m = ss->mean + st * w + vl * k + l0;
            const int inside = in->inside[t * nw + k];
            for (size_t b = 0; b < nb; b++) {
                const size_t at = in->interleave ? (t * nw + k) * lanes + off[b] : (b * T + t) * nw + k;
                in->mean[at] = m[b];
                in->ivar[at] = inside ? in->inv[b * nw + k] : 0.0;
            }
        }
    }
}

static int generate_stream(const ss_kernel_route *route, const ss_htsvoice *v,
                           const ss_acoustic_seq *seq, int s, size_t f0, size_t f1, double *par,
                           size_t *frames, size_t *T_out, char *err, size_t errlen)
{
    const ss_stream_seq *ss = &seq->streams[s];
    const ss_mlpg_windows *win = &v->streams[s].win;
    const size_t nw = (size_t)ss->nwin, vl = (size_t)ss->vlen;
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
     * (bounded scratch), in the kernel's lane layout (groups of its lane
     * count: 8, or 4 on AVX2 without AVX-512); a scheduler or another
     * table: the whole stream in one call (one batch entry, one launch),
     * one problem after the other. A table is called with the CPU workspace
     * (its contract); the scheduler brings its own. */
    const int via_scheduler = route && route->scheduler;
    const int cpu_table = !via_scheduler && (!route || !route->ops || route->ops == ss_kernel_ops_cpu());
    const size_t lanes = ss_kern_mlpg_lanes();
    const size_t blk = cpu_table && vl > DIM_BLOCK ? DIM_BLOCK : vl;
    const size_t in_len = blk * T * nw + 8; /* + room to align to 64 bytes */
    double *mean_buf = malloc(in_len * sizeof(double));
    double *ivar_buf = malloc(in_len * sizeof(double));
    unsigned char *inside = malloc(T * nw);
    unsigned char *gvs = ss->gv_mean ? malloc(T) : NULL;
    size_t wlen = via_scheduler ? 0 : ss_kern_mlpg_workspace(T);
    double *work = via_scheduler ? NULL : malloc(wlen * sizeof(double));
    ss_mlpg_problem *probs = malloc(blk * sizeof *probs);
    double *inv = malloc(blk * nw * sizeof(double));
    const stream_inputs in = {.seq = seq, .ss = ss, .frames = frames, .T = T, .nw = nw, .vl = vl,
                              .inside = inside, .blk = blk, .lanes = lanes,
                              .interleave = cpu_table && blk == DIM_BLOCK && DIM_BLOCK % lanes == 0,
                              .mean = align64(mean_buf), .ivar = align64(ivar_buf), .inv = inv};
    int rc = -1;
    if (!mean_buf || !ivar_buf || !inside || (!via_scheduler && !work) || !probs || !inv || (ss->gv_mean && !gvs)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    mark_windows(&in, win, f0, f1, inside, gvs);
    for (size_t l0 = 0; l0 < vl; l0 += blk) {
        size_t nb = vl - l0 < blk ? vl - l0 : blk;
        fill_block(&in, l0, nb);
        for (size_t b = 0; b < nb; b++) {
            size_t l = l0 + b;
            probs[b] = (ss_mlpg_problem){
                .length = T,
                .mean = in.interleave ? in.mean + lane_offset(&in, b) : in.mean + b * T * nw,
                .ivar = in.interleave ? in.ivar + lane_offset(&in, b) : in.ivar + b * T * nw,
                .in_stride = in.interleave ? lanes : 1,
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
    free(mean_buf);
    free(ivar_buf);
    free(inside);
    free(gvs);
    free(work);
    free(probs);
    free(inv);
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
