/* Which base voice a clone starts from (issue 17 point 2): the one whose own
 * speaker statistics (model_profile.h, cg_profile.h: the voice speaking a
 * fixed paragraph, measured by the same analyser as references) are nearest
 * to the reference's. Conditioning then moves that voice the rest of the
 * way, so a male reference is spoken by a male voice instead of a female
 * voice pitched an octave down (far warping costs intelligibility).
 *
 * Distance (documented in docs/CLONING.md):
 *   d = |mean log F0 difference| in semitones
 *     + SS_CHOICE_SPECTRAL_WEIGHT x the RMS difference in dB between the two
 *       long-term average log spectra (lta_mcep at the analysis alpha), on 64
 *       frequencies uniform in perceptual (alpha 0.42) frequency from 0 to
 *       0.95 x the narrower of the two bandwidths, the level (mean
 *       difference) removed first: loudness is not a speaker trait.
 * One semitone of F0 weighs as much as one dB of spectral shape: between
 * the speakers we have (slt, rms, awb, kal) F0 differs by up to ~12
 * semitones and the spectra by 2-6 dB, so F0 separates the sexes and the
 * spectrum chooses among voices of the same pitch range.
 *
 * The choice is the smallest distance; ties go to the earlier base in the
 * caller's order, so the same set of bases always gives the same answer. */
#ifndef SS_ENGINE_BASE_CHOICE_H
#define SS_ENGINE_BASE_CHOICE_H

#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>

#define SS_CHOICE_SPECTRAL_WEIGHT 1.0

/* The F0 term of the distance: |a - b| mean log F0, in semitones. */
double ss_choice_f0_semitones(const ss_speaker_stats *a, const ss_speaker_stats *b);
/* The spectral term: level-free RMS log-spectral difference, dB. */
double ss_choice_spectral_db(const ss_speaker_stats *a, const ss_speaker_stats *b);
/* The whole distance (above). */
double ss_choice_distance(const ss_speaker_stats *ref, const ss_speaker_stats *base);

/* Index of the base nearest to ref among bases[0..n) (NULL entries are
 * skipped), or -1 when there is none. *distance (may be NULL) gets its
 * distance. */
long ss_choice_nearest(const ss_speaker_stats *ref, const ss_speaker_stats *const *bases, size_t n,
                       double *distance);

#endif
