/* CUDA MLPG + GV (kernels.h semantics, see cuda_kernels.h).
 *
 * Parallelism: one thread per problem, i.e. per (utterance, stream
 * dimension) system. Within a system everything is a recurrence along time
 * (band LDL' factorisation, forward and back substitution, the GV gradient
 * steps that each need the whole trajectory), so time stays sequential and
 * the batch is spread across dimensions and utterances: one call of 40
 * utterances x 35 dimensions is 1400 independent threads. A block per
 * system with one working thread would leave 63 of 64 lanes idle, so
 * systems are packed 64 to a block instead; the per-thread arrays live in
 * global memory (packed workspace), which caches in L1/L2.
 *
 * Host side (on a lane, cuda_lane.h): the problems' host buffers are
 * gathered into packed arrays in the lane's pinned staging (descriptors,
 * mean and ivar [sum T][nwin], gv switches [sum T]); one async copy in, one
 * launch, one async copy of the outputs [sum T] back, all on the lane's
 * stream, then the outputs are scattered to out[t * out_stride]. The packed
 * arrays and the workspace live in the lane's device pool. Numerics are the CPU
 * kernel's (kernels/cpu/mlpg.c) in the same order, double precision; only
 * fused multiply-adds (nvcc contracts a*b+c) and the device sqrt/division
 * rounding differ. */
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_lane.h"
#include "kernels/kernels_validate.h"

#include <stdlib.h>
#include <string.h>

#define WIDTH 3
#define GV_ITERATIONS 5
#define GV_STEP_INIT 0.1
#define GV_STEP_DEC 0.5
#define GV_STEP_INC 1.2

namespace {

struct problem_desc {
    size_t off;   /* first frame in the packed arrays */
    size_t T;
    int has_gv;
    double gv_mean, gv_vari;
};

struct padded_windows {
    int nwin;
    int left[SS_MLPG_MAX_WIN], right[SS_MLPG_MAX_WIN];
    double pad[SS_MLPG_MAX_WIN][5];
};

__device__ void build_normal_equations(const padded_windows &w, size_t T, const double *mean,
                                       const double *ivar, double *wuw, double *wum)
{
    const int nw = w.nwin;
    for (size_t t = 0; t < T; t++) {
        double um = 0.0, u0 = 0.0, u1 = 0.0, u2 = 0.0;
        for (int i = 0; i < nw; i++) {
            const double *c = w.pad[i] + 1;
            for (int shift = w.left[i]; shift <= w.right[i]; shift++) {
                long ts = (long)t + shift;
                double cm = c[-shift];
                if (ts < 0 || ts >= (long)T || cm == 0.0)
                    continue;
                double wu = cm * ivar[(size_t)ts * nw + i];
                um += wu * mean[(size_t)ts * nw + i];
                double c0 = c[0 - shift], c1 = c[1 - shift], c2 = c[2 - shift];
                if (c0 != 0.0)
                    u0 += wu * c0;
                if (c1 != 0.0 && t + 1 < T)
                    u1 += wu * c1;
                if (c2 != 0.0 && t + 2 < T)
                    u2 += wu * c2;
            }
        }
        wum[t] = um;
        wuw[t * WIDTH + 0] = u0;
        wuw[t * WIDTH + 1] = u1;
        wuw[t * WIDTH + 2] = u2;
    }
}

__device__ void solve_band(size_t T, double *wuw, const double *wum, double *g, double *c)
{
    for (size_t t = 0; t < T; t++) {
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            wuw[t * WIDTH] -= wuw[(t - i) * WIDTH + i] * wuw[(t - i) * WIDTH + i] * wuw[(t - i) * WIDTH];
        for (size_t i = 1; i < WIDTH; i++) {
            for (size_t j = 1; i + j < WIDTH && t >= j; j++)
                wuw[t * WIDTH + i] -=
                    wuw[(t - j) * WIDTH + j] * wuw[(t - j) * WIDTH + i + j] * wuw[(t - j) * WIDTH];
            wuw[t * WIDTH + i] /= wuw[t * WIDTH];
        }
    }
    for (size_t t = 0; t < T; t++) {
        g[t] = wum[t];
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            g[t] -= wuw[(t - i) * WIDTH + i] * g[t - i];
    }
    for (size_t r = 0; r < T; r++) {
        size_t t = T - 1 - r;
        double v = g[t] / wuw[t * WIDTH];
        for (size_t i = 1; i < WIDTH && t + i < T; i++)
            v -= wuw[t * WIDTH + i] * c[t + i];
        c[t] = v;
    }
}

__device__ void gv_stats(const double *c, const unsigned char *sw, size_t T, size_t gv_len,
                         double *mean, double *vari)
{
    double m = 0.0, v = 0.0;
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            m += c[t];
    m /= (double)gv_len;
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            v += (c[t] - m) * (c[t] - m);
    v /= (double)gv_len;
    *mean = m;
    *vari = v;
}

__device__ double gv_derivative(const problem_desc &p, size_t nwin, size_t gv_len, double *c,
                                const unsigned char *sw, const double *wuw, const double *wum,
                                double *g)
{
    const size_t T = p.T;
    double mean, vari;
    const double w = 1.0 / (double)(nwin * T);
    gv_stats(c, sw, T, gv_len, &mean, &vari);
    double gvobj = -0.5 * vari * p.gv_vari * (vari - 2.0 * p.gv_mean);
    double dv = -2.0 * p.gv_vari * (vari - p.gv_mean) / (double)T;
    for (size_t t = 0; t < T; t++) {
        g[t] = wuw[t * WIDTH] * c[t];
        for (size_t i = 1; i < WIDTH; i++) {
            if (t + i < T)
                g[t] += wuw[t * WIDTH + i] * c[t + i];
            if (t + 1 > i)
                g[t] += wuw[(t - i) * WIDTH + i] * c[t - i];
        }
    }
    double hmmobj = 0.0;
    const double TT = (double)(T * T);
    for (size_t t = 0; t < T; t++) {
        double ct = c[t];
        hmmobj += w * ct * (wum[t] - 0.5 * g[t]);
        double h = -w * wuw[t * WIDTH] -
                   2.0 / TT *
                       ((double)(T - 1) * p.gv_vari * (vari - p.gv_mean) +
                        2.0 * p.gv_vari * (ct - mean) * (ct - mean));
        if (sw[t])
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]) + dv * (ct - mean));
        else
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]));
    }
    return -(hmmobj + gvobj);
}

__global__ void mlpg_kernel(padded_windows w, const problem_desc *descs, size_t nprobs,
                            const double *mean, const double *ivar, const unsigned char *sw_all,
                            double *out, double *work)
{
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= nprobs)
        return;
    const problem_desc p = descs[k];
    const size_t T = p.T, nw = (size_t)w.nwin;
    const double *pm = mean + p.off * nw, *pv = ivar + p.off * nw;
    double *wuw = work + p.off * (WIDTH + 2);
    double *wum = wuw + T * WIDTH;
    double *g = wum + T;
    double *c = out + p.off;
    build_normal_equations(w, T, pm, pv, wuw, wum);
    solve_band(T, wuw, wum, g, c);
    if (!p.has_gv)
        return;
    const unsigned char *sw = sw_all + p.off;
    size_t gv_len = 0;
    for (size_t t = 0; t < T; t++)
        gv_len += sw[t] ? 1 : 0;
    if (gv_len == 0)
        return;
    double m, v;
    gv_stats(c, sw, T, gv_len, &m, &v);
    double ratio = sqrt(p.gv_mean / v);
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            c[t] = ratio * (c[t] - m) + m;
    build_normal_equations(w, T, pm, pv, wuw, wum);
    double step = GV_STEP_INIT, prev = 0.0;
    for (int it = 1; it <= GV_ITERATIONS; it++) {
        double obj = gv_derivative(p, nw, gv_len, c, sw, wuw, wum, g);
        if (it > 1) {
            if (obj > prev)
                step *= GV_STEP_DEC;
            if (obj < prev)
                step *= GV_STEP_INC;
        }
        for (size_t t = 0; t < T; t++)
            if (sw[t])
                c[t] += step * g[t];
        prev = obj;
    }
}

/* Where a part's arrays lie in the pool (and, up to out_end, in the
 * pinned staging). counts: n[0] problems, n[1] frames, n[2] windows. */
struct mlpg_layout {
    size_t descs, mean, ivar, sw, out, work, in_end, out_end, dev_end;
};

mlpg_layout layout_for(const ss_lane_counts *c)
{
    const size_t n = c->n[0], F = c->n[1], nw = c->n[2];
    ss_lane_layout l;
    mlpg_layout m;
    m.descs = l.add(n * sizeof(problem_desc));
    m.mean = l.add(F * nw * sizeof(double));
    m.ivar = l.add(F * nw * sizeof(double));
    m.sw = l.add(F);
    m.in_end = l.end;
    m.out = l.add(F * sizeof(double));
    m.out_end = l.end;
    m.work = l.add(F * (WIDTH + 2) * sizeof(double));
    m.dev_end = l.end;
    return m;
}

struct mlpg_call {
    const ss_mlpg_problem *probs;
    size_t nwin;
    padded_windows pw;
};

void add_problem(const void *ctx, size_t k, ss_lane_counts *c)
{
    const mlpg_call *call = (const mlpg_call *)ctx;
    c->n[1] += call->probs[k].length;
    c->n[2] = call->nwin;
}

size_t layout_bytes(const ss_lane_counts *c)
{
    return layout_for(c).dev_end;
}

padded_windows pad_windows(const ss_mlpg_windows *win)
{
    padded_windows pw;
    memset(&pw, 0, sizeof pw);
    pw.nwin = win->nwin;
    for (int i = 0; i < win->nwin; i++) {
        pw.left[i] = win->left[i];
        pw.right[i] = win->right[i];
        for (int x = -1; x <= 1; x++) /* pad[i][3..4] (offsets 2, 3) stay 0 */
            pw.pad[i][x + 1] = (x >= win->left[i] && x <= win->right[i]) ? win->coef[i][x + 1] : 0.0;
    }
    return pw;
}

/* Problems [first, first + n) of the call as one launch on the lane. */
int run_part(ss_kernel_lane *lane, const void *ctx, size_t first, size_t n, char *err, size_t errlen)
{
    const mlpg_call *call = (const mlpg_call *)ctx;
    const padded_windows &pw = call->pw;
    const ss_mlpg_problem *probs = call->probs + first;
    const size_t nw = (size_t)pw.nwin;
    ss_lane_counts c = {};
    c.n[0] = n;
    c.n[2] = nw;
    for (size_t k = 0; k < n; k++)
        c.n[1] += probs[k].length;
    const size_t F = c.n[1];
    const mlpg_layout m = layout_for(&c);
    if (ss_lane_reserve(lane, m.dev_end, m.out_end, err, errlen) != 0)
        return -1;
    char *h = lane->host, *d = lane->dev;
    problem_desc *hd = (problem_desc *)(h + m.descs);
    double *hmean = (double *)(h + m.mean), *hivar = (double *)(h + m.ivar);
    unsigned char *hsw = (unsigned char *)(h + m.sw);
    const double *hout = (const double *)(h + m.out);
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        const ss_mlpg_problem *p = &probs[k];
        hd[k] = problem_desc{off, p->length, p->gv_switch != NULL, p->gv_mean, p->gv_vari};
        const size_t stride = p->in_stride > 1 ? p->in_stride : 1;
        if (stride == 1) {
            memcpy(hmean + off * nw, p->mean, p->length * nw * sizeof(double));
            memcpy(hivar + off * nw, p->ivar, p->length * nw * sizeof(double));
        } else {
            for (size_t e = 0; e < p->length * nw; e++) {
                hmean[off * nw + e] = p->mean[e * stride];
                hivar[off * nw + e] = p->ivar[e * stride];
            }
        }
        if (p->gv_switch)
            memcpy(hsw + off, p->gv_switch, p->length);
        else
            memset(hsw + off, 0, p->length);
        off += p->length;
    }
    SS_CUDA_TRY(cudaMemcpyAsync(d, h, m.in_end, cudaMemcpyHostToDevice, lane->stream));
    {
        unsigned blocks = (unsigned)((n + SS_CUDA_THREADS - 1) / SS_CUDA_THREADS);
        SS_CUDA_LAUNCH(mlpg_kernel, blocks, SS_CUDA_THREADS, lane->stream, pw,
                       (const problem_desc *)(d + m.descs), n, (const double *)(d + m.mean),
                       (const double *)(d + m.ivar), (const unsigned char *)(d + m.sw),
                       (double *)(d + m.out), (double *)(d + m.work));
    }
    SS_CUDA_TRY(cudaGetLastError());
    SS_CUDA_TRY(cudaMemcpyAsync(h + m.out, d + m.out, F * sizeof(double), cudaMemcpyDeviceToHost,
                                lane->stream));
    SS_CUDA_TRY(cudaStreamSynchronize(lane->stream));
    for (size_t k = 0; k < n; k++) {
        const ss_mlpg_problem *p = &probs[k];
        for (size_t t = 0; t < p->length; t++)
            p->out[t * p->out_stride] = hout[hd[k].off + t];
    }
    return 0;
fail:
    return -1;
}

} // namespace

extern "C" int ss_cuda_lane_mlpg(ss_kernel_lane *lane, const ss_mlpg_windows *win,
                                 const ss_mlpg_problem *probs, size_t nprobs, char *err, size_t errlen)
{
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    const mlpg_call call = {probs, (size_t)win->nwin, pad_windows(win)};
    return ss_lane_run(lane, "mlpg", &call, nprobs, add_problem, layout_bytes, run_part, err, errlen);
}

extern "C" int ss_cuda_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                            double *work, size_t work_len, char *err, size_t errlen)
{
    (void)work;
    (void)work_len;
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    if (nprobs == 0)
        return 0;
    ss_kernel_lane *lane = ss_cuda_lane_new(0, err, errlen);
    if (!lane)
        return -1;
    int rc = ss_cuda_lane_mlpg(lane, win, probs, nprobs, err, errlen);
    ss_cuda_lane_free(lane);
    return rc;
}
