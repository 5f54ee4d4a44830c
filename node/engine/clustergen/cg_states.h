/* Clustergen state structure and durations: from flite's Segment relation
 * to HMM states and 5 ms frames, as the voice was trained.
 *
 * Each segment gets the states phone_states lists for its phone (unknown
 * phones take the first entry), in relations HMMstate (the states in order)
 * and segstate (segment -> its states). A state's duration is the average of
 * the duration trees' z-score predictions, un-normalised with the phone's
 * dur_stats mean and stddev, times the duration scale (and a token's
 * local_duration_stretch where SSML set one), at least one frame. Frames are
 * items of relation mcep, children of their state through mcep_link, so the
 * F0 and spectral trees can ask frame-, state- and phone-level features.
 * Every state and segment gets its "end" time (seconds). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_STATES_H
#define SS_ENGINE_CLUSTERGEN_CG_STATES_H

#include "node/engine/clustergen/cg_voice.h"

#include <stddef.h>

/* Builds states and frames in u. duration_scale > 0 (1 = the voice's pace,
 * 2 = twice as long). Returns the number of frames, or -1 with err. */
long ss_cg_build_states(const ss_cg_voice *v, cst_utterance *u, double duration_scale, char *err,
                        size_t errlen);

#endif
