/* Prosodic structure of an analysed sentence, made to match what festival
 * predicts for the slt voice (its training labels):
 *
 *  - phrase breaks (phrasing_breaks.c): festival's probabilistic break
 *    model over festival's POS tags (phrase_break_model.c, pos_tagger.c),
 *    and SSML breaks; a `pau` phone is inserted at each break and at both
 *    ends;
 *  - pitch accents and ToBI end tones (phrasing_accents.c), by festival's
 *    own f2b CART trees evaluated over festival's syllable features.
 *
 * Both work on the ss_sentence made by ss_flite_analyze(). */
#ifndef SS_ENGINE_PHRASING_H
#define SS_ENGINE_PHRASING_H

#include <stddef.h>

#include "node/engine/frontend/text_token.h"
#include "node/engine/frontend/utterance.h"

/* Decides word breaks (tokens[i] belongs to words[i]), builds s->phrases,
 * sets syllable break indices and inserts the pauses into s->phones.
 * -1 with a message (out of memory, festival's model data unreadable). */
int ss_phrasing_breaks(ss_sentence *s, const ss_token *tokens, char *err, size_t errlen);

/* Predicts accents and end tones for every syllable (needs the breaks).
 * yn_question: 1 if the sentence is a yes/no question (final rise). */
void ss_phrasing_accents(ss_sentence *s, int yn_question);

#endif
