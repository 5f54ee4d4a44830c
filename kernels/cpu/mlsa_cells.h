/* Cell mode of the CPU MLSA kernel (mlsa_cells.c), called by ss_kern_mlsa
 * for states with cells = 1. Kept out of kernels.h: the only entry point is
 * ss_kern_mlsa, so the route and the CUDA selection see one kernel. */
#ifndef SS_KERNELS_CPU_MLSA_CELLS_H
#define SS_KERNELS_CPU_MLSA_CELLS_H

#include "kernels/kernels.h"

#include <stddef.h>

/* The builds of the per-sample loop; all give the same samples, bit for
 * bit. The caller picks one the CPU has (ss_mlsa_cells_best). */
typedef enum { SS_MLSA_CELLS_PORTABLE, SS_MLSA_CELLS_AVX2, SS_MLSA_CELLS_AVX512 } ss_mlsa_cells_build;

/* The fastest build this CPU runs. */
ss_mlsa_cells_build ss_mlsa_cells_best(void);

/* Filters one job in cell mode with the given build. 0, or -1 + err ("out
 * of memory", or a frame period that changed within the utterance). */
int ss_mlsa_cells_run(const ss_mlsa_job *j, ss_mlsa_cells_build build, char *err, size_t errlen);

#endif
