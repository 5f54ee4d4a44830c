/* CUDA MLSA filter (kernels.h semantics, see cuda_kernels.h).
 *
 * The filter is a recurrence per sample (every output feeds the next
 * sample's delay lines), so one phrase stream is inherently sequential: one
 * thread runs one job (a phrase of one request) carrying that stream's
 * filter state, and a batch of phrases from many concurrent requests runs as
 * many threads in one launch. Descriptors, mel-cepstra, excitation and
 * states go to the device in one async copy from the lane's pinned staging;
 * states and samples come back in one (cuda_lane.h). The state keeps the
 * CPU layout (ss_mlsa_state: interleaved [tap][Pade stage] delay lines),
 * is advanced in place in global memory (L1/L2 resident: ~3.7 KiB per
 * stream) and copied back, so a stream may switch between CPU and CUDA
 * kernels between chunks. Per sample: gain exp(b0), the first section on
 * b1, the second section (the FIR of b2..bm once per Pade stage, stages
 * independent within a sample), coefficients interpolated linearly as on
 * the CPU. Double precision; differs from the CPU kernel only by rounding
 * (FMA contraction, device exp), which the recursive filter carries along:
 * see docs/PERFORMANCE.md for the tolerance. */
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_lane.h"
#include "kernels/kernels_validate.h"

#include <stdlib.h>
#include <string.h>

namespace {

__constant__ double pade5[SS_MLSA_PADE + 1] = {1.0,        0.4999391,    0.1107098,
                                               0.01369984, 0.0009564853, 0.00003041721};

struct job_desc {
    size_t coef_off;    /* first coefficient in the packed mel-cepstra */
    size_t sample_off;  /* first sample in the packed excitation/output */
    size_t nframes;
    size_t frame_period;
};

__device__ void mc2b(const double *mc, double *b, int m, double a)
{
    b[m] = mc[m];
    for (int i = m - 1; i >= 0; i--)
        b[i] = mc[i] - a * b[i + 1];
}

__device__ double section1(double x, double b1, double a, double aa, double *d)
{
    double *pt = d + SS_MLSA_PADE + 1;
    double out = 0.0;
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
        d[i] = aa * pt[i - 1] + a * d[i];
        pt[i] = d[i] * b1;
        double v = pt[i] * pade5[i];
        x += (i & 1) ? v : -v;
        out += v;
    }
    pt[0] = x;
    return out + x;
}

/* The five FIR stages on the interleaved delay lines fir[tap * LANES + lane]
 * (lane l = Pade stage l + 1; lane 5 stays zero and is not touched). */
__device__ double section2(double x, const double *b, int m, double a, double aa, double *fir,
                           double *pt)
{
    double ys[SS_MLSA_PADE];
    for (int l = 0; l < SS_MLSA_PADE; l++) {
        double d1 = aa * pt[l] + a * fir[1 * SS_MLSA_LANES + l];
        double prev = d1, oldk = fir[2 * SS_MLSA_LANES + l], y = 0.0;
        fir[1 * SS_MLSA_LANES + l] = d1;
        fir[2 * SS_MLSA_LANES + l] = d1;
        for (int k = 2; k <= m; k++) {
            double *next = &fir[(k + 1) * SS_MLSA_LANES + l];
            double on = *next;
            double nk = (oldk + a * on) - a * prev;
            *next = nk;
            y += nk * b[k];
            prev = nk;
            oldk = on;
        }
        ys[l] = y;
    }
    double out = 0.0;
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
        pt[i] = ys[i - 1];
        double v = pt[i] * pade5[i];
        x += (i & 1) ? v : -v;
        out += v;
    }
    pt[0] = x;
    return out + x;
}

__global__ void mlsa_kernel(const job_desc *descs, size_t njobs, ss_mlsa_state *states,
                            const double *mcep_all, const double *ex_all, double *out_all)
{
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= njobs)
        return;
    const job_desc d = descs[k];
    ss_mlsa_state *st = &states[k];
    const int m = st->order;
    const double a = st->alpha, aa = 1.0 - a * a;
    const double fp = (double)d.frame_period;
    double bnext[SS_MLSA_MAX_ORDER + 1], binc[SS_MLSA_MAX_ORDER + 1];
    for (size_t f = 0; f < d.nframes; f++) {
        const double *mc = mcep_all + d.coef_off + f * (size_t)(m + 1);
        if (!st->started) {
            mc2b(mc, st->b, m, a);
            st->started = 1;
        }
        mc2b(mc, bnext, m, a);
        for (int i = 0; i <= m; i++)
            binc[i] = (bnext[i] - st->b[i]) / fp;
        const double *ex = ex_all + d.sample_off + f * d.frame_period;
        double *out = out_all + d.sample_off + f * d.frame_period;
        for (size_t n = 0; n < d.frame_period; n++) {
            double x = ex[n];
            if (x != 0.0)
                x *= exp(st->b[0]);
            x = section1(x, st->b[1], a, aa, st->d1);
            x = section2(x, st->b, m, a, aa, st->fir, st->pt);
            out[n] = x;
            for (int i = 0; i <= m; i++)
                st->b[i] += binc[i];
        }
        for (int i = 0; i <= m; i++)
            st->b[i] = bnext[i];
    }
}

/* A part's arrays: inputs [0, in_end) (descs, mel-cepstra, excitation,
 * then the states, which are also outputs), outputs [states, end).
 * counts: n[0] jobs, n[1] coefficients, n[2] samples. */
struct mlsa_layout {
    size_t descs, mcep, ex, states, out, in_end, end;
};

mlsa_layout layout_for(const ss_lane_counts *c)
{
    ss_lane_layout l;
    mlsa_layout m;
    m.descs = l.add(c->n[0] * sizeof(job_desc));
    m.mcep = l.add(c->n[1] * sizeof(double));
    m.ex = l.add(c->n[2] * sizeof(double));
    m.states = l.add(c->n[0] * sizeof(ss_mlsa_state));
    m.in_end = l.end;
    m.out = l.add(c->n[2] * sizeof(double));
    m.end = l.end;
    return m;
}

void add_job(const void *ctx, size_t k, ss_lane_counts *c)
{
    const ss_mlsa_job *j = &((const ss_mlsa_job *)ctx)[k];
    c->n[1] += j->nframes * (size_t)(j->state->order + 1);
    c->n[2] += j->nframes * j->frame_period;
}

size_t layout_bytes(const ss_lane_counts *c)
{
    return layout_for(c).end;
}

/* Jobs [first, first + n) as one launch on the lane. */
int run_part(ss_kernel_lane *lane, const void *all, size_t first, size_t n, char *err, size_t errlen)
{
    const ss_mlsa_job *jobs = (const ss_mlsa_job *)all + first;
    ss_lane_counts c = {};
    for (size_t k = 0; k < n; k++)
        add_job(jobs, k, &c);
    c.n[0] = n;
    const mlsa_layout m = layout_for(&c);
    if (ss_lane_reserve(lane, m.end, m.end, err, errlen) != 0)
        return -1;
    char *h = lane->host, *d = lane->dev;
    job_desc *hd = (job_desc *)(h + m.descs);
    ss_mlsa_state *hst = (ss_mlsa_state *)(h + m.states);
    double *hmc = (double *)(h + m.mcep), *hex = (double *)(h + m.ex);
    const double *hout = (const double *)(h + m.out);
    size_t co = 0, so = 0;
    for (size_t k = 0; k < n; k++) {
        const ss_mlsa_job *j = &jobs[k];
        const size_t w = (size_t)(j->state->order + 1);
        hd[k] = job_desc{co, so, j->nframes, j->frame_period};
        hst[k] = *j->state;
        if (j->nframes) {
            memcpy(hmc + co, j->mcep, j->nframes * w * sizeof(double));
            memcpy(hex + so, j->excitation, j->nframes * j->frame_period * sizeof(double));
        }
        co += j->nframes * w;
        so += j->nframes * j->frame_period;
    }
    SS_CUDA_TRY(cudaMemcpyAsync(d, h, m.in_end, cudaMemcpyHostToDevice, lane->stream));
    {
        unsigned blocks = (unsigned)((n + SS_CUDA_THREADS - 1) / SS_CUDA_THREADS);
        SS_CUDA_LAUNCH(mlsa_kernel, blocks, SS_CUDA_THREADS, lane->stream,
                       (const job_desc *)(d + m.descs), n, (ss_mlsa_state *)(d + m.states),
                       (const double *)(d + m.mcep), (const double *)(d + m.ex), (double *)(d + m.out));
    }
    SS_CUDA_TRY(cudaGetLastError());
    SS_CUDA_TRY(cudaMemcpyAsync(h + m.states, d + m.states, m.out + so * sizeof(double) - m.states,
                                cudaMemcpyDeviceToHost, lane->stream));
    SS_CUDA_TRY(cudaStreamSynchronize(lane->stream));
    for (size_t k = 0; k < n; k++) {
        const ss_mlsa_job *j = &jobs[k];
        *j->state = hst[k];
        if (j->nframes)
            memcpy(j->out, hout + hd[k].sample_off, j->nframes * j->frame_period * sizeof(double));
    }
    return 0;
fail:
    return -1;
}

} // namespace

extern "C" int ss_cuda_lane_mlsa(ss_kernel_lane *lane, const ss_mlsa_job *jobs, size_t njobs,
                                 char *err, size_t errlen)
{
    if (ss_kern_mlsa_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    return ss_lane_run(lane, "mlsa", jobs, njobs, add_job, layout_bytes, run_part, err, errlen);
}

extern "C" int ss_cuda_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    if (ss_kern_mlsa_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    if (njobs == 0)
        return 0;
    ss_kernel_lane *lane = ss_cuda_lane_new(0, err, errlen);
    if (!lane)
        return -1;
    int rc = ss_cuda_lane_mlsa(lane, jobs, njobs, err, errlen);
    ss_cuda_lane_free(lane);
    return rc;
}
