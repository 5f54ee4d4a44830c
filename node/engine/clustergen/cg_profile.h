/* A clustergen voice's own speaker statistics (voice/speaker_stats.h),
 * measured the way model_profile.h measures the HTS voice and the way a
 * reference is measured: the voice speaks the same fixed paragraph
 * (ss_model_profile_text) sentence by sentence through our clustergen
 * synthesis, and the audio (16 kHz) is analysed. Comparing a reference
 * with every base voice (base_choice.h) and fitting conditioning
 * (conditioning.h) then use measurements made by one analyser.
 * About 25 s of speech, a few hundred milliseconds of CPU; deterministic. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_PROFILE_H
#define SS_ENGINE_CLUSTERGEN_CG_PROFILE_H

#include "node/engine/clustergen/cg_voice.h"
#include "node/engine/voice/speaker_stats.h"

/* 0, or -1 with err. */
int ss_cg_profile_compute(ss_cg_voice *v, ss_speaker_stats *out, char *err, size_t errlen);

#endif
