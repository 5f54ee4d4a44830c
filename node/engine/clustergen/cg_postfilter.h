/* The clustergen voices' spectral postfilter (mlsa_beta), applied to the
 * mel-cepstra before our MLSA kernel: coefficients 2.. are scaled by
 * (1 + beta), which sharpens formants, and c0 is corrected so the frame's
 * energy (of the minimum-phase impulse response, 64 taps, after warping
 * back to a linear cepstrum) is unchanged. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_POSTFILTER_H
#define SS_ENGINE_CLUSTERGEN_CG_POSTFILTER_H

#include <stddef.h>

/* In place on mcep[nframes][dim]; nothing when beta <= 0 or dim < 3. */
void ss_cg_postfilter(double *mcep, size_t nframes, int dim, double alpha, double beta);

#endif
