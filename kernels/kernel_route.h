/* Where the engine's kernel work goes: which kernel table, and whether it is
 * handed to a batch scheduler.
 *
 * The engine (node/engine/synth/parameter_generation.c, vocoder.c) never names a kernel
 * implementation; it calls ss_route_mlpg / ss_route_excitation /
 * ss_route_mlsa with the route its caller gave it:
 *   - scheduler set: the work is submitted to the scheduler, which batches
 *     it with the work of concurrent calls and runs it on the ops the
 *     scheduler was created with (ops below is then not used);
 *   - else ops set: a direct call through that table (CPU or CUDA);
 *   - NULL route, or both NULL: a direct call to the CPU kernels (what every
 *     caller that predates kernel selection gets).
 * A route is two borrowed pointers; it keeps no state of its own. */
#ifndef SS_KERNELS_KERNEL_ROUTE_H
#define SS_KERNELS_KERNEL_ROUTE_H

#include "kernels/batch_scheduler.h"
#include "kernels/kernels_select.h"

#include <stddef.h>

typedef struct {
    const ss_kernel_ops *ops;        /* NULL = the CPU kernels */
    ss_batch_scheduler *scheduler;   /* NULL = direct calls */
} ss_kernel_route;

/* Same contracts as the kernels.h functions. work/work_len are the CPU
 * scratch (ss_kern_mlpg_workspace); unused by CUDA and the scheduler. */
int ss_route_mlpg(const ss_kernel_route *r, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                  size_t nprobs, double *work, size_t work_len, char *err, size_t errlen);
int ss_route_excitation(const ss_kernel_route *r, const ss_excitation_job *jobs, size_t njobs,
                        char *err, size_t errlen);
int ss_route_mlsa(const ss_kernel_route *r, const ss_mlsa_job *jobs, size_t njobs, char *err,
                  size_t errlen);

#endif
