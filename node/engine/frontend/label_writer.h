/* HTS full-context labels (HTS_TTS_ENG, the format festival's hts.scm writes
 * and the slt voice's trees ask about), one per phone including pauses. */
#ifndef SS_ENGINE_LABEL_WRITER_H
#define SS_ENGINE_LABEL_WRITER_H

#include <stddef.h>

#include "node/engine/frontend/utterance.h"

/* Fills s->labels (one string per phone). Needs words, syllables with
 * accents, phrases and pauses. -1 on out of memory. */
int ss_label_write(ss_sentence *s, char *err, size_t errlen);

#endif
