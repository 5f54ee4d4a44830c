/* Festival's part-of-speech tagger (its "Classic POS" module) for the
 * phrase-break model: each word's candidate wp39 tags with log P(word | tag)
 * from the WSJ POS lexicon (unknown words: _OOV_, digits: _number_), and a
 * Viterbi search over the wp39 tag trigram. Words are festival's Word items,
 * punctuation included as words of their own (",", ".", "?"). */
#ifndef SS_ENGINE_POS_TAGGER_H
#define SS_ENGINE_POS_TAGGER_H

#include <stddef.h>

#include "node/engine/frontend/festival_models.h"

/* Tags words[0..n) into tags[0..n) (indices in m->pos_trigram's
 * vocabulary). -1 on out of memory. */
int ss_pos_tag(const ss_festival_models *m, const char *const *words, size_t n, int *tags,
               char *err, size_t errlen);

/* The wp20 tag festival's phrasing uses for a wp39 tag name
 * (english_pos_map_wp39_to_wp20); the name itself when unmapped. */
const char *ss_pos_wp20(const char *wp39);

#endif
