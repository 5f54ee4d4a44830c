/* Phone and word timestamps from final state durations and label fields.
 *
 * A phone lasts the sum of its states' frames. Its name is the label's
 * current-phone field (between '-' and '+'). Words are found from the label
 * position fields: p6/p7 (phone position in syllable, forward/backward) and
 * b4/b5 (syllable position in word): a word starts at p6 = 1 and b4 = 1 and
 * ends at p7 = 1 and b5 = 1; phones whose fields are "x" (pauses) belong to
 * no word. */
#ifndef SS_ENGINE_SYNTH_TIMESTAMPS_H
#define SS_ENGINE_SYNTH_TIMESTAMPS_H

#include "node/engine/engine.h"
#include "node/engine/acoustic/state_sequence.h"

int ss_timestamps_compute(const ss_acoustic_seq *seq, double frame_ms, ss_synth_result *out,
                          char *err, size_t errlen);

#endif
