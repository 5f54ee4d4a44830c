/* CUDA excitation (kernels.h semantics, see cuda_kernels.h).
 *
 * One thread per job (a phrase of one request): the pulse counter, the
 * pitch glide and the noise generator are recurrences along the samples, so
 * a job is sequential and the parallelism is across the phrases of all the
 * requests in a batch. The state struct is copied to the device, advanced
 * there and copied back, so chunked generation continues seamlessly and a
 * state may move between the CPU and CUDA kernels. The generator is the
 * same integer LCG (bit-exact); the polar method uses the device sqrt (exact)
 * and log (within 1 ulp), so unvoiced samples agree to ~1e-16 relative. */
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/kernels_validate.h"

#include <stdlib.h>
#include <string.h>

namespace {

struct job_desc {
    size_t frame_off;   /* first frame in the packed periods */
    size_t sample_off;  /* first sample in the packed output */
    size_t nframes;
    size_t frame_period;
};

__device__ double uniform15(uint64_t *next)
{
    *next = *next * 1103515245ULL + 12345ULL;
    return (double)((*next / 65536ULL) % 32768ULL) / 32767.0;
}

__device__ double gaussian(ss_excitation_state *st)
{
    if (st->gauss_have_second) {
        st->gauss_have_second = 0;
        return st->gauss_r2 * st->gauss_s;
    }
    double r1, r2, s;
    do {
        r1 = 2.0 * uniform15(&st->rng_next) - 1.0;
        r2 = 2.0 * uniform15(&st->rng_next) - 1.0;
        s = r1 * r1 + r2 * r2;
    } while (s > 1.0 || s == 0.0);
    s = sqrt(-2.0 * log(s) / s);
    st->gauss_have_second = 1;
    st->gauss_r2 = r2;
    st->gauss_s = s;
    return r1 * s;
}

__global__ void excitation_kernel(const job_desc *descs, size_t njobs, ss_excitation_state *states,
                                  const double *periods, double *out_all)
{
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= njobs)
        return;
    const job_desc d = descs[k];
    ss_excitation_state st = states[k];
    const double *period = periods + d.frame_off;
    double *out = out_all + d.sample_off;
    const double fp = (double)d.frame_period;
    for (size_t f = 0; f < d.nframes; f++) {
        double p = period[f];
        if (!st.started) {
            st.period_curr = p;
            st.counter = p;
            st.period_inc = 0.0;
            st.started = 1;
        }
        if (st.period_curr != 0.0 && p != 0.0) {
            st.period_inc = (p - st.period_curr) / fp;
        } else {
            st.period_inc = 0.0;
            st.period_curr = p;
            st.counter = p;
        }
        for (size_t n = 0; n < d.frame_period; n++) {
            double x;
            if (st.period_curr == 0.0) {
                x = gaussian(&st);
            } else {
                st.counter += 1.0;
                if (st.counter >= st.period_curr) {
                    x = sqrt(st.period_curr);
                    st.counter -= st.period_curr;
                } else {
                    x = 0.0;
                }
            }
            st.period_curr += st.period_inc;
            *out++ = x;
        }
        st.period_curr = p;
    }
    states[k] = st;
}

} // namespace

extern "C" int ss_cuda_excitation(const ss_excitation_job *jobs, size_t njobs, char *err,
                                  size_t errlen)
{
    if (ss_kern_excitation_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    if (njobs == 0)
        return 0;
    size_t nframes = 0, nsamples = 0;
    for (size_t k = 0; k < njobs; k++) {
        nframes += jobs[k].nframes;
        nsamples += jobs[k].nframes * jobs[k].frame_period;
    }
    int rc = -1;
    job_desc *hd = (job_desc *)calloc(njobs, sizeof *hd);
    ss_excitation_state *hst = (ss_excitation_state *)calloc(njobs, sizeof *hst);
    double *hper = (double *)malloc((nframes ? nframes : 1) * sizeof(double));
    double *hout = (double *)malloc((nsamples ? nsamples : 1) * sizeof(double));
    job_desc *dd = NULL;
    ss_excitation_state *dst = NULL;
    double *dper = NULL, *dout = NULL;
    if (!hd || !hst || !hper || !hout) {
        snprintf(err, errlen, "cuda: excitation: out of host memory");
        goto fail;
    }
    {
        size_t fo = 0, so = 0;
        for (size_t k = 0; k < njobs; k++) {
            const ss_excitation_job *j = &jobs[k];
            hd[k] = job_desc{fo, so, j->nframes, j->frame_period};
            hst[k] = *j->state;
            if (j->nframes)
                memcpy(hper + fo, j->period, j->nframes * sizeof(double));
            fo += j->nframes;
            so += j->nframes * j->frame_period;
        }
    }
    SS_CUDA_TRY(cudaMalloc((void **)&dd, njobs * sizeof *dd));
    SS_CUDA_TRY(cudaMalloc((void **)&dst, njobs * sizeof *dst));
    SS_CUDA_TRY(cudaMalloc((void **)&dper, (nframes ? nframes : 1) * sizeof(double)));
    SS_CUDA_TRY(cudaMalloc((void **)&dout, (nsamples ? nsamples : 1) * sizeof(double)));
    SS_CUDA_TRY(cudaMemcpy(dd, hd, njobs * sizeof *dd, cudaMemcpyHostToDevice));
    SS_CUDA_TRY(cudaMemcpy(dst, hst, njobs * sizeof *dst, cudaMemcpyHostToDevice));
    SS_CUDA_TRY(cudaMemcpy(dper, hper, (nframes ? nframes : 1) * sizeof(double), cudaMemcpyHostToDevice));
    {
        unsigned blocks = (unsigned)((njobs + SS_CUDA_THREADS - 1) / SS_CUDA_THREADS);
        SS_CUDA_LAUNCH(excitation_kernel, blocks, SS_CUDA_THREADS, dd, njobs, dst, dper, dout);
    }
    SS_CUDA_TRY(cudaGetLastError());
    SS_CUDA_TRY(cudaMemcpy(hout, dout, (nsamples ? nsamples : 1) * sizeof(double), cudaMemcpyDeviceToHost));
    SS_CUDA_TRY(cudaMemcpy(hst, dst, njobs * sizeof *dst, cudaMemcpyDeviceToHost));
    for (size_t k = 0; k < njobs; k++) {
        const ss_excitation_job *j = &jobs[k];
        *j->state = hst[k];
        if (j->nframes)
            memcpy(j->out, hout + hd[k].sample_off, j->nframes * j->frame_period * sizeof(double));
    }
    rc = 0;
fail:
    cudaFree(dd);
    cudaFree(dst);
    cudaFree(dper);
    cudaFree(dout);
    free(hd);
    free(hst);
    free(hper);
    free(hout);
    return rc;
}
