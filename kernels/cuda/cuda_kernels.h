/* The CUDA implementation of kernels.h, callable from C.
 *
 * Same signatures and the same meaning as ss_kern_mlpg / ss_kern_excitation /
 * ss_kern_mlsa, so the node can pick CPU or CUDA at run time through the
 * table in kernels/kernels_select.h. Differences that callers must know:
 *   - the CUDA functions allocate device memory per call (the host buffers
 *     are gathered into packed device arrays, one launch per call, results
 *     scattered back); `work` of ss_cuda_mlpg is not used (may be NULL);
 *   - inputs are checked on the host with the shared validation
 *     (kernels/kernels_validate.h) BEFORE anything is launched, so invalid
 *     input gives the CPU path's error and leaves every state untouched;
 *   - every CUDA runtime call and every launch is checked; a failure returns
 *     -1 with "cuda: <what>: <runtime message>" in err (states untouched);
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
#include "kernels/kernels.h"
#ifdef SS_CUDA_DEFINED_ALIGNAS
#undef _Alignas
#undef SS_CUDA_DEFINED_ALIGNAS
#endif

int ss_cuda_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen);
int ss_cuda_excitation(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen);
int ss_cuda_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
