/* SSML prosody of an analysed sentence as per-label engine prosody.
 *
 * The front end keeps SSML <break time> on pause phones (pause_ms) and
 * <prosody rate/pitch> on words (rate, pitch_st); the engine takes them per
 * label (ss_label_prosody, engine.h). This maps one to the other: a pause
 * phone with pause_ms gets that length, a word's phones get its rate and
 * pitch. Returns NULL prosody when the sentence has none (the common case,
 * so the default path stays exactly libHTSEngine's). */
#ifndef SS_ENGINE_SYNTH_PROSODY_H
#define SS_ENGINE_SYNTH_PROSODY_H

#include "node/engine/engine.h"
#include "node/engine/frontend/utterance.h"

/* 0 with *out = malloc'd [se->n_phones] array or NULL (nothing to apply);
 * -1 out of memory. Free *out with free(). */
int ss_sentence_prosody(const ss_sentence *se, ss_label_prosody **out, char *err, size_t errlen);

#endif
