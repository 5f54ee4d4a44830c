/* Input checks shared by every kernel implementation and by the batch
 * scheduler (kernels/batch_scheduler.c): one place decides what a valid kernel
 * call is and words the error, so a request rejected before a batched (or
 * CUDA) launch gets exactly the message the CPU kernel would have given for
 * the same call on its own. Each returns 0, or -1 with the message in err.
 *
 * The messages mirror kernels/cpu (owned by the engine): when those change,
 * change these; tests/unit/test_batch_scheduler.c compares the two. */
#ifndef SS_KERNELS_VALIDATE_H
#define SS_KERNELS_VALIDATE_H

#include "kernels/kernels.h" /* C++ (.cu): include kernels/cuda/cuda_kernels.h first */

#ifdef __cplusplus
extern "C" {
#endif

/* Windows and problems (not the workspace: batch and CUDA paths own theirs). */
int ss_kern_mlpg_validate(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                          char *err, size_t errlen);
/* Jobs and every pitch period (the CPU kernel checks periods as it goes). */
int ss_kern_excitation_validate(const ss_excitation_job *jobs, size_t njobs, char *err,
                                size_t errlen);
int ss_kern_mlsa_validate(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
