/* Cell mode of the CPU MLSA kernel (mlsa_cells.c), called by ss_kern_mlsa
 * for states with cells = 1. Kept out of kernels.h: the only entry point is
 * ss_kern_mlsa, so the route and the CUDA selection see one kernel. */
#ifndef SS_KERNELS_CPU_MLSA_CELLS_H
#define SS_KERNELS_CPU_MLSA_CELLS_H

#include "kernels/kernels.h"

#include <stddef.h>

/* The builds of the per-sample loop; on the same grid all give the same
 * samples, bit for bit. The caller picks one the CPU has
 * (ss_mlsa_cells_best). */
typedef enum { SS_MLSA_CELLS_PORTABLE, SS_MLSA_CELLS_AVX2, SS_MLSA_CELLS_AVX512 } ss_mlsa_cells_build;

/* The fastest build this CPU runs. */
ss_mlsa_cells_build ss_mlsa_cells_best(void);

/* Cells per group of the utterance's grid that suit a build: 16 for
 * AVX-512 (one vector holds them), 8 otherwise (mlsa_cells.c, "The
 * grid"). The grid decides the samples, so two builds give the same
 * samples, bit for bit, when they run with the same value. */
int ss_mlsa_cells_per_group(ss_mlsa_cells_build build);
/* Filters one job in cell mode with the given build on a grid of
 * per_group (8 or 16) cells per group; every job of an utterance must use
 * the same value. 0, or -1 + err ("out of memory", a frame period that
 * changed within the utterance, or another per_group). */
int ss_mlsa_cells_run(const ss_mlsa_job *j, ss_mlsa_cells_build build, int per_group, char *err, size_t errlen);

#endif
