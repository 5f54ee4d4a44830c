/* A CUDA lane (C++ side, shared by the kernel wrappers): the resources one
 * GPU worker keeps between kernel calls, so that a node in steady state
 * allocates nothing per request.
 *
 *   - one CUDA stream (non-blocking): the lane's copies and launches are
 *     ordered on it and only it is synchronised, so lanes on other threads
 *     overlap;
 *   - one device pool: a single device allocation that every call lays its
 *     packed inputs, outputs and workspace out in (ss_lane_layout). It grows
 *     geometrically (at least doubling, whole MiB) when a call needs more,
 *     never beyond the lane's limit, and never shrinks, so after warm-up no
 *     call allocates (device_allocs stops moving; a test checks it);
 *   - one pinned host buffer: the staging area with the same layout as the
 *     pool's input and output part; inputs are packed into it, ONE async
 *     copy moves them to the device, ONE async copy brings the outputs back,
 *     then the results are scattered to the callers' buffers.
 *
 * Memory bound: `limit` bytes of device memory (0 = unbounded). A call whose
 * jobs need more is split into parts that fit (ss_lane_plan): jobs are
 * independent, so the parts give the same results. One job that alone needs
 * more than the limit is an error, found before anything runs.
 *
 * Not thread-safe: one lane is used by one thread at a time (the batch
 * scheduler gives each dispatcher its own). */
#ifndef SS_KERNELS_CUDA_LANE_H
#define SS_KERNELS_CUDA_LANE_H

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_kernels.h"

#include <stddef.h>

#define SS_LANE_ALIGN 256

struct ss_kernel_lane {
    cudaStream_t stream;
    bool has_stream;
    char *dev;            /* device pool */
    size_t dev_cap;
    char *host;           /* pinned staging */
    size_t host_cap;
    size_t limit;         /* device bytes; 0 = unbounded */
    size_t device_allocs; /* pool (re)allocations so far */
    size_t calls;
    size_t splits;
};

/* Offsets of a call's segments in the pool: add() returns the offset of a
 * segment of `bytes` and keeps every segment SS_LANE_ALIGN-aligned. */
struct ss_lane_layout {
    size_t end = 0;
    size_t add(size_t bytes)
    {
        size_t at = end;
        end += (bytes + SS_LANE_ALIGN - 1) / SS_LANE_ALIGN * SS_LANE_ALIGN;
        return at;
    }
};

/* Makes the pool hold at least device_bytes and the staging buffer at least
 * host_bytes (device_bytes <= limit: the caller planned for it). 0, or -1 +
 * err (the lane then holds nothing and may be reserved again). In host
 * emulation the pool is refilled with NaN bytes so unwritten outputs show. */
int ss_lane_reserve(ss_kernel_lane *l, size_t device_bytes, size_t host_bytes, char *err,
                    size_t errlen);

/* Splitting a call into parts that fit the limit. A kernel describes its
 * jobs by counts (counts.n[0] is the number of jobs; the others are the
 * kernel's own sums, frames or samples): add_job adds job k's share to c,
 * bytes gives the device bytes a part with counts c needs. ss_lane_plan fills
 * ends[] with each part's exclusive end (at most njobs parts) and returns the
 * number of parts, or 0 + err when one job alone is over the limit (`what`
 * names the kernel). Without a limit: one part. Planning comes before any
 * work, so a refused call changes nothing. */
struct ss_lane_counts {
    size_t n[4];
};
typedef void (*ss_lane_add_fn)(const void *jobs, size_t k, ss_lane_counts *c);
typedef size_t (*ss_lane_bytes_fn)(const ss_lane_counts *c);
size_t ss_lane_plan(const ss_kernel_lane *l, const char *what, const void *jobs, size_t njobs,
                    ss_lane_add_fn add_job, ss_lane_bytes_fn bytes, size_t *ends, char *err,
                    size_t errlen);

/* A kernel call on a lane, the same for every kernel: plan the parts, run
 * them in order with run_part(lane, jobs, first, n) (one launch each), stop
 * at the first failure, count the call and whether it was split. Input is
 * validated by the caller first. 0, or -1 + err. */
typedef int (*ss_lane_part_fn)(ss_kernel_lane *l, const void *jobs, size_t first, size_t n, char *err,
                               size_t errlen);
int ss_lane_run(ss_kernel_lane *l, const char *what, const void *jobs, size_t njobs,
                ss_lane_add_fn add_job, ss_lane_bytes_fn bytes, ss_lane_part_fn run_part, char *err,
                size_t errlen);

#endif
