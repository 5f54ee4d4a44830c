/* The CUDA implementation of kernels.h, callable from C.
 *
 * Same signatures and the same meaning as ss_kern_mlpg / ss_kern_excitation /
 * ss_kern_mlsa, so the node can pick CPU or CUDA at run time through the
 * table in kernels/kernels_select.h. Differences that callers must know:
 *   - the ss_cuda_lane_* functions run on a lane (kernels/cuda/cuda_lane.h:
 *     one stream, a bounded device pool, pinned staging; no allocation once
 *     the pool has grown to the working size): the host buffers are
 *     gathered into packed arrays, one launch per part (a call over the
 *     lane's memory limit runs in parts), results scattered back;
 *   - the lane-less ss_cuda_mlpg/excitation/mlsa make an unbounded lane for
 *     the call and free it after (tests and tools; a node uses lanes);
 *     `work` of ss_cuda_mlpg is not used (may be NULL);
 *   - inputs are checked on the host with the shared validation
 *     (kernels/kernels_validate.h) BEFORE anything is launched, so invalid
 *     input gives the CPU path's error and leaves every state untouched;
 *   - every CUDA runtime call and every launch is checked; a failure returns
 *     -1 with "cuda: <what>: <runtime message>" in err (states untouched
 *     when the call ran as one part; after a split the parts before the
 *     failing one are complete);
 *   - arithmetic is double precision like the CPU kernels; results differ
 *     from them only by rounding (fused multiply-add contraction, the device
 *     exp/log), see docs/PERFORMANCE.md for the tolerances.
 * Only built when nvcc exists (SS_HAVE_CUDA). */
#ifndef SS_KERNELS_CUDA_KERNELS_H
#define SS_KERNELS_CUDA_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* kernels.h uses C11 _Alignas, which C++ spells alignas. */
#if defined(__cplusplus) && !defined(_Alignas)
#define _Alignas(x) alignas(x)
#define SS_CUDA_DEFINED_ALIGNAS 1
#endif
#include "kernels/kernels_select.h"
#ifdef SS_CUDA_DEFINED_ALIGNAS
#undef _Alignas
#undef SS_CUDA_DEFINED_ALIGNAS
#endif

int ss_cuda_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen);
int ss_cuda_excitation(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen);
int ss_cuda_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);

/* Lanes (kernels_select.h, ss_kernel_ops): device_limit in bytes, 0 =
 * unbounded. A lane is used by one thread at a time. */
ss_kernel_lane *ss_cuda_lane_new(size_t device_limit, char *err, size_t errlen);
void ss_cuda_lane_free(ss_kernel_lane *lane);
void ss_cuda_lane_usage(const ss_kernel_lane *lane, ss_kernel_lane_usage *out);
int ss_cuda_lane_mlpg(ss_kernel_lane *lane, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                      size_t nprobs, char *err, size_t errlen);
int ss_cuda_lane_excitation(ss_kernel_lane *lane, const ss_excitation_job *jobs, size_t njobs,
                            char *err, size_t errlen);
int ss_cuda_lane_mlsa(ss_kernel_lane *lane, const ss_mlsa_job *jobs, size_t njobs, char *err,
                      size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
