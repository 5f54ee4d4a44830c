/* Clustergen parameter prediction: per-frame CART lookups of F0 and of the
 * spectral model vector, then MLPG (our kernel) over the mel-cepstra.
 *
 * For each frame (cg_states.h) the tree set is chosen by the frame's state
 * name (voice types; unknown names take the first set). The F0 trees' leaves
 * are Hz (averaged over models; under 50 Hz means unvoiced); the spectral
 * trees' leaves index model vectors, stored min/range quantised (value =
 * min + q / 65535 * range per channel): mean/stddev pairs of F0, 25 static
 * and 25 delta mel-cepstra, 5 mixed-excitation strengths and a voicing
 * degree. F0 is then smoothed per syllable with a Catmull-Rom spline
 * through its start, middle and end, rescaled to the target mean/stddev
 * (f0_shift multiplies the mean; SSML's local f0 mean/range where set) and
 * clamped to 50..700 Hz; a frame is voiced unless it is a pause, when its
 * phone is a vowel or its voicing degree is over 0.5. The mel-cepstra come
 * from MLPG with static and delta windows (dynwin) and the model stddevs;
 * no global variance (these voices have none). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_PARAMS_H
#define SS_ENGINE_CLUSTERGEN_CG_PARAMS_H

#include "node/engine/clustergen/cg_voice.h"

#include <stddef.h>

typedef struct {
    size_t nframes;
    double *mcep;       /* [nframes][SS_CG_MCEP_DIM], c0 first */
    double *f0;         /* [nframes] Hz, 0 when unvoiced */
    double *strength;   /* [nframes][SS_CG_ME_BANDS], NULL without mixed excitation */
} ss_cg_params;

/* Predicts the parameters of u's nframes frames (ss_cg_build_states).
 * f0_scale multiplies the voice's mean F0 (1 = unchanged). */
int ss_cg_predict(const ss_cg_voice *v, cst_utterance *u, size_t nframes, double f0_scale,
                  ss_cg_params *out, char *err, size_t errlen);
void ss_cg_params_free(ss_cg_params *p);

#endif
