/* CUDA excitation (kernels.h semantics, see cuda_kernels.h).
 *
 * One thread per job (a phrase of one request): the pulse counter, the
 * pitch glide and the noise generator are recurrences along the samples, so
 * a job is sequential and the parallelism is across the phrases of all the
 * requests in a batch. Descriptors, states and periods are packed into the
 * lane's pinned staging and copied in with one async copy; the states and
 * the samples come back with one (cuda_lane.h). The state struct is
 * advanced on the device and copied back, so chunked generation continues seamlessly and a
 * state may move between the CPU and CUDA kernels. The generator is the
 * same integer LCG (bit-exact); the polar method uses the device sqrt (exact)
 * and log (within 1 ulp), so unvoiced samples agree to ~1e-16 relative. */
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_lane.h"
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

/* A part's arrays: inputs [0, in_end) (descs, periods, then the states,
 * which are also outputs), outputs [states, end). counts: n[0] jobs,
 * n[1] frames, n[2] samples. */
struct exc_layout {
    size_t descs, periods, states, out, in_end, end;
};

exc_layout layout_for(const ss_lane_counts *c)
{
    ss_lane_layout l;
    exc_layout m;
    m.descs = l.add(c->n[0] * sizeof(job_desc));
    m.periods = l.add(c->n[1] * sizeof(double));
    m.states = l.add(c->n[0] * sizeof(ss_excitation_state));
    m.in_end = l.end;
    m.out = l.add(c->n[2] * sizeof(double));
    m.end = l.end;
    return m;
}

void add_job(const void *ctx, size_t k, ss_lane_counts *c)
{
    const ss_excitation_job *j = &((const ss_excitation_job *)ctx)[k];
    c->n[1] += j->nframes;
    c->n[2] += j->nframes * j->frame_period;
}

size_t layout_bytes(const ss_lane_counts *c)
{
    return layout_for(c).end;
}

/* Jobs [first, first + n) as one launch on the lane. */
int run_part(ss_kernel_lane *lane, const void *all, size_t first, size_t n, char *err, size_t errlen)
{
    const ss_excitation_job *jobs = (const ss_excitation_job *)all + first;
    ss_lane_counts c = {};
    for (size_t k = 0; k < n; k++)
        add_job(jobs, k, &c);
    c.n[0] = n;
    const exc_layout m = layout_for(&c);
    if (ss_lane_reserve(lane, m.end, m.end, err, errlen) != 0)
        return -1;
    char *h = lane->host, *d = lane->dev;
    job_desc *hd = (job_desc *)(h + m.descs);
    ss_excitation_state *hst = (ss_excitation_state *)(h + m.states);
    double *hper = (double *)(h + m.periods);
    const double *hout = (const double *)(h + m.out);
    size_t fo = 0, so = 0;
    for (size_t k = 0; k < n; k++) {
        const ss_excitation_job *j = &jobs[k];
        hd[k] = job_desc{fo, so, j->nframes, j->frame_period};
        hst[k] = *j->state;
        if (j->nframes)
            memcpy(hper + fo, j->period, j->nframes * sizeof(double));
        fo += j->nframes;
        so += j->nframes * j->frame_period;
    }
    SS_CUDA_TRY(cudaMemcpyAsync(d, h, m.in_end, cudaMemcpyHostToDevice, lane->stream));
    {
        unsigned blocks = (unsigned)((n + SS_CUDA_THREADS - 1) / SS_CUDA_THREADS);
        SS_CUDA_LAUNCH(excitation_kernel, blocks, SS_CUDA_THREADS, lane->stream,
                       (const job_desc *)(d + m.descs), n, (ss_excitation_state *)(d + m.states),
                       (const double *)(d + m.periods), (double *)(d + m.out));
    }
    SS_CUDA_TRY(cudaGetLastError());
    SS_CUDA_TRY(cudaMemcpyAsync(h + m.states, d + m.states, m.out + so * sizeof(double) - m.states,
                                cudaMemcpyDeviceToHost, lane->stream));
    SS_CUDA_TRY(cudaStreamSynchronize(lane->stream));
    for (size_t k = 0; k < n; k++) {
        const ss_excitation_job *j = &jobs[k];
        *j->state = hst[k];
        if (j->nframes)
            memcpy(j->out, hout + hd[k].sample_off, j->nframes * j->frame_period * sizeof(double));
    }
    return 0;
fail:
    return -1;
}

} // namespace

extern "C" int ss_cuda_lane_excitation(ss_kernel_lane *lane, const ss_excitation_job *jobs,
                                       size_t njobs, char *err, size_t errlen)
{
    if (ss_kern_excitation_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    return ss_lane_run(lane, "excitation", jobs, njobs, add_job, layout_bytes, run_part, err, errlen);
}

extern "C" int ss_cuda_excitation(const ss_excitation_job *jobs, size_t njobs, char *err,
                                  size_t errlen)
{
    if (ss_kern_excitation_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    if (njobs == 0)
        return 0;
    ss_kernel_lane *lane = ss_cuda_lane_new(0, err, errlen);
    if (!lane)
        return -1;
    int rc = ss_cuda_lane_excitation(lane, jobs, njobs, err, errlen);
    ss_cuda_lane_free(lane);
    return rc;
}
