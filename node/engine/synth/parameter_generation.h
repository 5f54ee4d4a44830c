/* Parameter generation: from a state sequence (acoustic/state_sequence.h)
 * to parameter trajectories, the MLPG driver.
 *
 * ss_param_generate solves MLPG + GV (kernels.h) over any frame range
 * [f0, f1): the whole utterance gives the reference result; streaming calls
 * it once per phrase. Multi-space (LF0) streams are solved over the voiced
 * frames of the range only, with dynamic windows switched off where they
 * would reach an unvoiced frame or the range edge, exactly like HTS.
 * The MLPG kernel runs where the route says (kernels/kernel_route.h); the
 * plain functions use the CPU kernels. On the CPU the dimensions of a
 * stream are solved in blocks of 8 (bounded scratch); through a scheduler or
 * another kernel table a stream's dimensions go in ONE call, so a batch
 * holds every dimension of every concurrent utterance. */
#ifndef SS_ENGINE_SYNTH_PARAMETER_GENERATION_H
#define SS_ENGINE_SYNTH_PARAMETER_GENERATION_H

#include "kernels/kernel_route.h"
#include "node/engine/acoustic/state_sequence.h"

#include <stddef.h>

#define SS_LF0_UNVOICED (-1.0e10)

typedef struct {
    size_t nframes;
    int mcp_dim;                /* vector length of the spectrum stream */
    double *mcp;                /* [nframes][mcp_dim] */
    double *lf0;                /* [nframes], SS_LF0_UNVOICED when unvoiced */
} ss_param_track;

/* Generates frames [f0, f1) into out (allocated; free with ss_param_track_free).
 * lf0_all: NULL to solve LF0 over the range too, or the utterance's LF0
 * from ss_param_generate_lf0 to copy from (streaming: F0 is one dimension,
 * so solving it once for the whole utterance is cheap and keeps its global
 * variance exactly as in one-shot synthesis). */
int ss_param_generate(const ss_htsvoice *v, const ss_acoustic_seq *seq, size_t f0, size_t f1,
                      const double *lf0_all, ss_param_track *out, char *err, size_t errlen);

/* LF0 of the whole utterance into lf0_all[nframes] (SS_LF0_UNVOICED when unvoiced). */
int ss_param_generate_lf0(const ss_htsvoice *v, const ss_acoustic_seq *seq, double *lf0_all,
                          char *err, size_t errlen);
/* The same with the MLPG work routed (route NULL = the CPU kernels). */
int ss_param_generate_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                             const ss_acoustic_seq *seq, size_t f0, size_t f1,
                             const double *lf0_all, ss_param_track *out, char *err, size_t errlen);
int ss_param_generate_lf0_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                                 const ss_acoustic_seq *seq, double *lf0_all, char *err,
                                 size_t errlen);
void ss_param_track_free(ss_param_track *t);

#endif
