/* The model's own speaker statistics (speaker_stats.h), measured the way a
 * reference is measured: the voice speaks a fixed paragraph (below, not the
 * evaluation sentences) through our front end and engine, and the audio is
 * analysed. Conditioning then compares two measurements made by the same
 * analyser, so the analyser's own colour cancels.
 *
 * Computed once per loaded voice (about 20 s of speech, a fraction of a
 * second of CPU); deterministic. */
#ifndef SS_ENGINE_MODEL_PROFILE_H
#define SS_ENGINE_MODEL_PROFILE_H

#include "node/engine/engine.h"
#include "node/engine/frontend/frontend.h"
#include "node/engine/voice/speaker_stats.h"

/* The paragraph the profile speaks. */
extern const char *const ss_model_profile_text;

/* Synthesises text (NULL: ss_model_profile_text) with v at its native rate
 * and speed and measures it. 0, or -1 with err. */
int ss_model_profile_compute(const ss_voice *v, ss_frontend *fe, const char *text,
                             ss_speaker_stats *out, char *err, size_t errlen);

/* Synthesises text with v at speed into a malloc'd float buffer at the
 * native rate (sentences concatenated). 0, or -1 with err. */
int ss_model_speak(const ss_voice *v, ss_frontend *fe, const char *text, double speed, float **pcm,
                   size_t *n, char *err, size_t errlen);

#endif
