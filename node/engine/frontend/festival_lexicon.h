/* Festival's own additions to the CMU lexicon (cmulex_addenda in
 * /usr/share/festival/dicts/cmu/cmulex.scm), for the words where they differ
 * from what flite's CMU lexicon says: festival's slt voice was trained on,
 * and speaks, these pronunciations ("before" = b iy f ao r, "they're" =
 * dh er, "isn't" = ih z n t, ...). */
#ifndef SS_ENGINE_FESTIVAL_LEXICON_H
#define SS_ENGINE_FESTIVAL_LEXICON_H

/* Festival's pronunciation of word (lower case) in ss_pron_parse's form
 * ("b iy0 f ao1 r"), or NULL when flite's lexicon is to be used. */
const char *ss_festival_lexicon_phones(const char *word);

#endif
