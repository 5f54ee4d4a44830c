/* Cell mode of the CPU MLSA kernel (mlsa_cells.c), called by ss_kern_mlsa
 * for states with cells = 1. Kept out of kernels.h: the only entry point is
 * ss_kern_mlsa, so the route and the CUDA selection see one kernel. */
#ifndef SS_KERNELS_CPU_MLSA_CELLS_H
#define SS_KERNELS_CPU_MLSA_CELLS_H

#include "kernels/kernels.h"

#include <stddef.h>

/* Filters one job in cell mode; wide = 1 runs the AVX2+FMA build (same
 * samples, bit for bit, as the portable build). 0, or -1 + err ("out of
 * memory", or a frame period that changed within the utterance). */
int ss_mlsa_cells_run(const ss_mlsa_job *j, int wide, char *err, size_t errlen);

#endif
