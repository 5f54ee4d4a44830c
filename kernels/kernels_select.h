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

typedef struct {
    const char *name; /* "cpu" | "cuda" */
    /* work/work_len: CPU scratch (ss_kern_mlpg_workspace); CUDA ignores it */
    int (*mlpg)(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                double *work, size_t work_len, char *err, size_t errlen);
    int (*excitation)(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen);
    int (*mlsa)(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen);
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
