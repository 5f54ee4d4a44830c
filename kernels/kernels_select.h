/* Run-time choice between the kernel implementations.
 *
 * An ss_kernel_ops is a table of the three kernels.h operations; the CPU
 * table always exists, the CUDA table only in builds with nvcc
 * (SS_HAVE_CUDA). ss_kernels_select resolves the `kernels` setting:
 *   auto -> CUDA when the build has CUDA AND a device answers
 *           (cudaGetDeviceCount > 0, kernels/device_probe.h), else CPU;
 *   cuda -> CUDA, or an error saying why there is none (startup error);
 *   cpu  -> CPU.
 * `note` receives the one line to log at start, e.g.
 * "kernels: cpu (no CUDA device: CUDA runtime: ... (error 35))". The tables
 * are constant; selecting keeps no state (the caller keeps the pointer). */
#ifndef SS_KERNELS_SELECT_H
#define SS_KERNELS_SELECT_H

#include "kernels/kernels.h"

#include <stdbool.h>

/* A lane: the resources one GPU worker keeps between calls so that steady
 * state needs no allocation: its CUDA stream, a device memory pool bounded
 * by a limit, and pinned host staging buffers (kernels/cuda/cuda_lane.h).
 * Opaque; an implementation without such resources (the CPU) has no lanes. */
typedef struct ss_kernel_lane ss_kernel_lane;

/* What a lane holds, for heartbeats and /metrics. */
typedef struct {
    size_t device_bytes;   /* device memory held by the pool now (never above the limit) */
    size_t device_limit;   /* the pool's bound (0 = unbounded) */
    size_t pinned_bytes;   /* pinned host staging held now */
    size_t device_allocs;  /* device allocations made since the lane was created */
    size_t calls;          /* kernel calls served */
    size_t splits;         /* calls split into parts to stay within the bound */
} ss_kernel_lane_usage;

typedef struct {
    const char *name; /* "cpu" | "cuda" */
    /* work/work_len: CPU scratch (ss_kern_mlpg_workspace); CUDA ignores it.
     * On CUDA these direct calls make and free a lane per call: for tests
     * and tools; a node goes through lanes (the batch scheduler). */
    int (*mlpg)(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                double *work, size_t work_len, char *err, size_t errlen);
    int (*excitation)(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen);
    int (*mlsa)(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);
    /* Lanes; all NULL when the implementation has none (CPU). lane_new:
     * device_limit in bytes (0 = unbounded), NULL + err on failure. A call
     * on a lane whose jobs need more than the limit is run in parts that
     * fit; one job that alone exceeds it is an error. One lane is used by
     * one thread at a time. */
    ss_kernel_lane *(*lane_new)(size_t device_limit, char *err, size_t errlen);
    void (*lane_free)(ss_kernel_lane *lane);
    void (*lane_usage)(const ss_kernel_lane *lane, ss_kernel_lane_usage *out);
    int (*lane_mlpg)(ss_kernel_lane *lane, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                     size_t nprobs, char *err, size_t errlen);
    int (*lane_excitation)(ss_kernel_lane *lane, const ss_excitation_job *jobs, size_t njobs,
                           char *err, size_t errlen);
    int (*lane_mlsa)(ss_kernel_lane *lane, const ss_mlsa_job *jobs, size_t njobs, char *err,
                     size_t errlen);
} ss_kernel_ops;

const ss_kernel_ops *ss_kernel_ops_cpu(void);
/* NULL in builds without CUDA. */
const ss_kernel_ops *ss_kernel_ops_cuda(void);

/* want: "auto", "cuda" or "cpu". 0 with *ops and note set, or -1 + err. */
int ss_kernels_select(const char *want, const ss_kernel_ops **ops, char *note, size_t notelen,
                      char *err, size_t errlen);

/* True when this build has CUDA kernels and a CUDA device answers; reason
 * (when not NULL) says why not. */
bool ss_kernels_cuda_usable(char *reason, size_t reasonlen);

#endif
