/* Festival's probabilistic phrase-break model (Phrase_Method prob_models,
 * festival's phrasify.cc with english_phr_break_params): after each word,
 * break (B) or not (NB), chosen by a Viterbi search that combines
 *   P(prev, this, next wp20 POS | juncture)      (sec.ts20.quad)
 * with a 7-gram over the break sequence          (sec.B.hept),
 * B's n-gram probability scaled by gram_scale_s = 0.59. Words are festival's
 * Word items, punctuation included as words (tag punc). */
#ifndef SS_ENGINE_PHRASE_BREAK_MODEL_H
#define SS_ENGINE_PHRASE_BREAK_MODEL_H

#include <stddef.h>

#include "node/engine/frontend/festival_models.h"

typedef struct {
    const char *wp20;   /* the word's wp20 POS tag (ss_pos_wp20) */
    int inside_token;   /* not the last word of its text token, token of < 7 words:
                           festival halves the B likelihood */
} ss_break_word;

/* Sets brk[i] = 1 (B) or 0 (NB) for words[0..n); the last word is always B.
 * -1 on out of memory. */
int ss_phrase_break_predict(const ss_festival_models *m, const ss_break_word *words, size_t n,
                            int *brk, char *err, size_t errlen);

#endif
