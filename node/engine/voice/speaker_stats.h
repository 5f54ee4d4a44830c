/* What a stretch of speech says about its speaker, in the model's terms
 * (ENGINE.md step 8): log-F0 mean and spread over voiced frames (our pitch
 * tracker), the long-term average mel-cepstrum of voiced frames (32 kHz,
 * alpha 0.45, order 44) and a speaking-rate estimate.
 *
 * The same analysis runs on a reference clip and on the model's own output
 * (model_profile.h), so conditioning compares like with like.
 *
 * Speaking rate: syllable nuclei per second of active speech. Nuclei are
 * peaks of the 10 ms energy contour (smoothed over 50 ms) that are the
 * largest within +-60 ms, lie in a voiced frame, are active (preflight's
 * activity decision) and stand at least 3 dB above the lowest point since the
 * previous nucleus. Active time is preflight's 20 ms frames. */
#ifndef SS_ENGINE_SPEAKER_STATS_H
#define SS_ENGINE_SPEAKER_STATS_H

#include "node/engine/voice/mcep_analysis.h"

#include <stddef.h>

/* Fewest voiced frames (5 ms) a reference must have: 1.5 s of voicing. */
#define SS_SPEAKER_MIN_VOICED_FRAMES 300

typedef struct {
    double lf0_mean;        /* mean natural log F0 over voiced frames */
    double lf0_std;         /* its standard deviation */
    size_t voiced_frames;
    double speech_s;        /* active speech time */
    double syllable_rate;   /* nuclei per second of active speech */
    double bandwidth_hz;    /* what the clip holds (ss_mcep_effective_bandwidth), <= 16000 */
    double lta_mcep[SS_MCEP_ORDER + 1];
} ss_speaker_stats;

/* Analyses mono x[0..n) at rate (resampled to 32 kHz inside). 0, or -1 with
 * err ("too little voiced speech ..." when under the minimum). */
int ss_speaker_stats_compute(const float *x, size_t n, int rate, ss_speaker_stats *out, char *err,
                             size_t errlen);

#endif
