/* SPAM F0 (a phrase component plus tilt-shaped accents), the F0 model of
 * voices trained with it (rms): it replaces the F0 the frame trees predict.
 *
 * Per segment the phrase tree gives a log-F0 level (0 for pauses) held over
 * the segment's frames. Per syllable the accent tree picks an accent vector
 * (peak, amplitude, tilt) and a tilt event is drawn from the end of the
 * previous segment over the syllable's duration: a rise of
 * amp * (1 + tilt) / 2 over duration * (1 + tilt) / 2, then a fall of
 * amp * (1 - tilt) / 2, each half of it parabolic, added to the phrase
 * level; frames under an accent are exponentiated to Hz. Frames under no
 * accent keep the phrase level, which is below 50 Hz and so excites as
 * near-silence with the voice's noise, as the voice was built and tuned
 * (flite does the same). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_SPAMF0_H
#define SS_ENGINE_CLUSTERGEN_CG_SPAMF0_H

#include "node/engine/clustergen/cg_voice.h"

#include <stddef.h>

/* Overwrites f0[nframes] with the SPAM contour; f0_scale multiplies the
 * accented (Hz) frames. 0, or -1 with err. */
int ss_cg_spamf0(const ss_cg_voice *v, cst_utterance *u, double *f0, size_t nframes,
                 double f0_scale, char *err, size_t errlen);

#endif
