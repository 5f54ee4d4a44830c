/* CUDA MLSA filter (kernels.h semantics, see cuda_kernels.h).
 *
 * The filter is a recurrence per sample (every output feeds the next
 * sample's delay lines), so one phrase stream is inherently sequential: one
 * thread runs one job (a phrase of one request) carrying that stream's
 * filter state, and a batch of phrases from many concurrent requests runs as
 * many threads in one launch. The state keeps the CPU layout
 * (ss_mlsa_state: interleaved [tap][Pade stage] delay lines), copied to the
 * device, advanced in place in global memory (L1/L2 resident: ~3.7 KiB per
 * stream) and copied back, so a stream may switch between CPU and CUDA
 * kernels between chunks. Per sample: gain exp(b0), the first section on
 * b1, the second section (the FIR of b2..bm once per Pade stage, stages
 * independent within a sample), coefficients interpolated linearly as on
 * the CPU. Double precision; differs from the CPU kernel only by rounding
 * (FMA contraction, device exp), which the recursive filter carries along:
 * see docs/PERFORMANCE.md for the tolerance. */
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_check.h"
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

} // namespace

extern "C" int ss_cuda_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    if (ss_kern_mlsa_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    if (njobs == 0)
        return 0;
    size_t ncoef = 0, nsamples = 0;
    for (size_t k = 0; k < njobs; k++) {
        ncoef += jobs[k].nframes * (size_t)(jobs[k].state->order + 1);
        nsamples += jobs[k].nframes * jobs[k].frame_period;
    }
    int rc = -1;
    job_desc *hd = (job_desc *)calloc(njobs, sizeof *hd);
    ss_mlsa_state *hst = (ss_mlsa_state *)calloc(njobs, sizeof *hst);
    double *hmc = (double *)malloc((ncoef ? ncoef : 1) * sizeof(double));
    double *hsig = (double *)malloc((nsamples ? nsamples : 1) * sizeof(double));
    job_desc *dd = NULL;
    ss_mlsa_state *dst = NULL;
    double *dmc = NULL, *dex = NULL, *dout = NULL;
    if (!hd || !hst || !hmc || !hsig) {
        snprintf(err, errlen, "cuda: mlsa: out of host memory");
        goto fail;
    }
    {
        size_t co = 0, so = 0;
        for (size_t k = 0; k < njobs; k++) {
            const ss_mlsa_job *j = &jobs[k];
            const size_t w = (size_t)(j->state->order + 1);
            hd[k] = job_desc{co, so, j->nframes, j->frame_period};
            hst[k] = *j->state;
            if (j->nframes) {
                memcpy(hmc + co, j->mcep, j->nframes * w * sizeof(double));
                memcpy(hsig + so, j->excitation, j->nframes * j->frame_period * sizeof(double));
            }
            co += j->nframes * w;
            so += j->nframes * j->frame_period;
        }
    }
    SS_CUDA_TRY(cudaMalloc((void **)&dd, njobs * sizeof *dd));
    SS_CUDA_TRY(cudaMalloc((void **)&dst, njobs * sizeof *dst));
    SS_CUDA_TRY(cudaMalloc((void **)&dmc, (ncoef ? ncoef : 1) * sizeof(double)));
    SS_CUDA_TRY(cudaMalloc((void **)&dex, (nsamples ? nsamples : 1) * sizeof(double)));
    SS_CUDA_TRY(cudaMalloc((void **)&dout, (nsamples ? nsamples : 1) * sizeof(double)));
    SS_CUDA_TRY(cudaMemcpy(dd, hd, njobs * sizeof *dd, cudaMemcpyHostToDevice));
    SS_CUDA_TRY(cudaMemcpy(dst, hst, njobs * sizeof *dst, cudaMemcpyHostToDevice));
    SS_CUDA_TRY(cudaMemcpy(dmc, hmc, (ncoef ? ncoef : 1) * sizeof(double), cudaMemcpyHostToDevice));
    SS_CUDA_TRY(cudaMemcpy(dex, hsig, (nsamples ? nsamples : 1) * sizeof(double), cudaMemcpyHostToDevice));
    {
        unsigned blocks = (unsigned)((njobs + SS_CUDA_THREADS - 1) / SS_CUDA_THREADS);
        SS_CUDA_LAUNCH(mlsa_kernel, blocks, SS_CUDA_THREADS, dd, njobs, dst, dmc, dex, dout);
    }
    SS_CUDA_TRY(cudaGetLastError());
    SS_CUDA_TRY(cudaMemcpy(hsig, dout, (nsamples ? nsamples : 1) * sizeof(double), cudaMemcpyDeviceToHost));
    SS_CUDA_TRY(cudaMemcpy(hst, dst, njobs * sizeof *dst, cudaMemcpyDeviceToHost));
    for (size_t k = 0; k < njobs; k++) {
        const ss_mlsa_job *j = &jobs[k];
        *j->state = hst[k];
        if (j->nframes)
            memcpy(j->out, hsig + hd[k].sample_off, j->nframes * j->frame_period * sizeof(double));
    }
    rc = 0;
fail:
    cudaFree(dd);
    cudaFree(dst);
    cudaFree(dmc);
    cudaFree(dex);
    cudaFree(dout);
    free(hd);
    free(hst);
    free(hmc);
    free(hsig);
    return rc;
}
