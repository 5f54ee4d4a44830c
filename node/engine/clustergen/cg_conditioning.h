/* Speaker conditioning (voice/conditioning.h) on a clustergen voice: the
 * same parameters the HTS voice takes in its state PDFs, applied here to the
 * per-frame outputs of parameter generation (cg_params.h), before the
 * postfilter and the vocoder, since a clustergen voice has no PDFs to warp
 * (its F0 comes from trees and a spline, its spectrum from MLPG):
 *   F0: every voiced frame's log F0 lf becomes pivot + shift + scale*(lf -
 *       pivot), pivot being the voice's measured mean log F0
 *       (cg_profile.h), then clamped to 50..700 Hz like the voice's own;
 *   spectrum: cep_bias[0] is added to c0 of every frame and cep_bias[m],
 *       m >= 1, to the static c_m of voiced frames (the counterpart of the
 *       HTS voice's sonorant states); the bias is fitted in the voice's own
 *       terms (16 kHz, its all-pass constant: ss_conditioning_fit_at_rate),
 *       and the synthesis alpha stays the voice's;
 *   durations: the caller multiplies its duration scale by duration_scale.
 * Identity conditioning leaves every number untouched (byte-identical
 * audio): F0 is rewritten only when shift or scale differ from 0 and 1,
 * and a zero bias adds nothing. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_CONDITIONING_H
#define SS_ENGINE_CLUSTERGEN_CG_CONDITIONING_H

#include "node/engine/clustergen/cg_params.h"
#include "node/engine/voice/conditioning.h"

void ss_cg_condition_params(ss_cg_params *p, const ss_conditioning *c);

#endif
