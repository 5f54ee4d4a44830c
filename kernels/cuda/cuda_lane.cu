/* CUDA lanes: stream, bounded device pool and pinned staging of one GPU
 * worker (see cuda_lane.h for the design), and the C entry points that make,
 * free and describe them (cuda_kernels.h). */
#include "kernels/cuda/cuda_lane.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1 << 20)

static size_t round_up_mib(size_t n)
{
    return (n + MIB - 1) / MIB * MIB;
}

/* Capacity to grow to for `need`: at least double the old one, whole MiB,
 * never above the limit (need itself is within it). */
static size_t grown(size_t cap, size_t need, size_t limit)
{
    size_t want = cap * 2 > need ? cap * 2 : need;
    want = round_up_mib(want);
    if (limit && want > limit)
        want = need > limit ? need : limit;
    return want;
}

int ss_lane_reserve(ss_kernel_lane *l, size_t device_bytes, size_t host_bytes, char *err,
                    size_t errlen)
{
    if (device_bytes > l->dev_cap) {
        size_t cap = grown(l->dev_cap, device_bytes, l->limit);
        /* The previous call synchronised the stream: nothing uses the pool. */
        if (l->dev) {
            SS_CUDA_TRY(cudaFree(l->dev));
            l->dev = NULL;
            l->dev_cap = 0;
        }
        cudaError_t e = cudaMalloc((void **)&l->dev, cap);
        if (e != cudaSuccess) {
            l->dev = NULL;
            snprintf(err, errlen, "cuda: cannot grow the lane's device pool to %zu MiB: %s",
                     cap / MIB, cudaGetErrorString(e));
            return -1;
        }
        l->dev_cap = cap;
        l->device_allocs++;
    }
    if (host_bytes > l->host_cap) {
        size_t cap = grown(l->host_cap, host_bytes, l->limit);
        if (l->host) {
            SS_CUDA_TRY(cudaFreeHost(l->host));
            l->host = NULL;
            l->host_cap = 0;
        }
        cudaError_t e = cudaMallocHost((void **)&l->host, cap);
        if (e != cudaSuccess) {
            l->host = NULL;
            snprintf(err, errlen, "cuda: cannot grow the lane's pinned buffer to %zu MiB: %s",
                     cap / MIB, cudaGetErrorString(e));
            return -1;
        }
        l->host_cap = cap;
    }
#ifdef SS_CUDA_HOST_EMULATION
    memset(l->dev, 0xff, l->dev_cap);
#endif
    return 0;
fail:
    return -1;
}

size_t ss_lane_plan(const ss_kernel_lane *l, const char *what, const void *jobs, size_t njobs,
                    ss_lane_add_fn add_job, ss_lane_bytes_fn bytes, size_t *ends, char *err,
                    size_t errlen)
{
    size_t parts = 0;
    ss_lane_counts part = {};
    for (size_t k = 0; k < njobs; k++) {
        ss_lane_counts with = part;
        add_job(jobs, k, &with);
        with.n[0]++;
        if (!l->limit || bytes(&with) <= l->limit) {
            part = with;
            continue;
        }
        ss_lane_counts alone = {};
        add_job(jobs, k, &alone);
        alone.n[0] = 1;
        if (bytes(&alone) > l->limit) {
            snprintf(err, errlen,
                     "cuda: %s job %zu needs %zu KiB of device memory, over the lane's limit of "
                     "%zu KiB (gpu_memory_mb / gpu_lanes)",
                     what, k, bytes(&alone) / 1024, l->limit / 1024);
            return 0;
        }
        ends[parts++] = k;
        part = alone;
    }
    ends[parts++] = njobs;
    return parts;
}

int ss_lane_run(ss_kernel_lane *l, const char *what, const void *jobs, size_t njobs,
                ss_lane_add_fn add_job, ss_lane_bytes_fn bytes, ss_lane_part_fn run_part, char *err,
                size_t errlen)
{
    if (njobs == 0)
        return 0;
    size_t *ends = (size_t *)malloc(njobs * sizeof *ends);
    if (!ends) {
        snprintf(err, errlen, "cuda: %s: out of host memory", what);
        return -1;
    }
    size_t parts = ss_lane_plan(l, what, jobs, njobs, add_job, bytes, ends, err, errlen);
    int rc = parts ? 0 : -1;
    for (size_t i = 0, first = 0; rc == 0 && i < parts; first = ends[i++])
        rc = run_part(l, jobs, first, ends[i] - first, err, errlen);
    free(ends);
    l->calls++;
    l->splits += parts > 1;
    return rc;
}

static void lane_release(ss_kernel_lane *l)
{
    if (l->dev)
        cudaFree(l->dev);
    if (l->host)
        cudaFreeHost(l->host);
    if (l->has_stream)
        cudaStreamDestroy(l->stream);
    free(l);
}

extern "C" ss_kernel_lane *ss_cuda_lane_new(size_t device_limit, char *err, size_t errlen)
{
    ss_kernel_lane *l = (ss_kernel_lane *)calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "cuda: lane: out of host memory");
        return NULL;
    }
    l->limit = device_limit;
    SS_CUDA_TRY(cudaStreamCreateWithFlags(&l->stream, cudaStreamNonBlocking));
    l->has_stream = true;
    return l;
fail:
    lane_release(l);
    return NULL;
}

extern "C" void ss_cuda_lane_free(ss_kernel_lane *lane)
{
    if (lane)
        lane_release(lane);
}

extern "C" void ss_cuda_lane_usage(const ss_kernel_lane *l, ss_kernel_lane_usage *out)
{
    memset(out, 0, sizeof *out);
    out->device_bytes = l->dev_cap;
    out->device_limit = l->limit;
    out->pinned_bytes = l->host_cap;
    out->device_allocs = l->device_allocs;
    out->calls = l->calls;
    out->splits = l->splits;
}
