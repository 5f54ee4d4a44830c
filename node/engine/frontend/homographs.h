/* Homograph disambiguation: words spelled alike but said differently by part
 * of speech or sense ("read" r iy d / r eh d, "record" noun / verb, "live"
 * verb / adjective, "bass" music / fish, ...).
 *
 * flite's CMU lexicon holds POS variants for many of these and its tagger's
 * coarse tag (n / v / j) picks one, but the tagger is weak on exactly the
 * contexts that decide homographs (an imperative "Read ..." at the start of a
 * sentence, "has read", "the live show"), and some words have no variant at
 * all ("read", "lead", "wound"). This step decides the sense from a small
 * ordered table of context rules (see homographs.c) and returns the
 * pronunciation of that sense, taken from flite's / festival's lexicon where
 * they have it. It is pure: no state, safe from any thread. */
#ifndef SS_ENGINE_HOMOGRAPHS_H
#define SS_ENGINE_HOMOGRAPHS_H

#include <stddef.h>

#include "node/engine/frontend/text_token.h"

typedef enum {
    SS_HG_NONE = 0, /* no rule decided */
    SS_HG_NOUN,
    SS_HG_VERB, /* base form / present */
    SS_HG_PAST, /* past tense or participle */
    SS_HG_ADJ,
    SS_HG_ALT /* the entry's other sense ("bass" the fish) */
} ss_homograph_sense;

/* The pronunciation ("r iy1 d", ARPAbet with stress digits) of
 * tokens[i].word in its sentence tokens[0..n), or NULL when the word is not
 * a homograph the table knows. pos[k] is flite's coarse tag of tokens[k]
 * ("n", "v", "j", "0", ...; NULL entries are allowed). When sense is not
 * NULL it receives the sense chosen. */
const char *ss_homograph_phones(const ss_token *tokens, const char *const *pos, size_t n,
                                size_t i, ss_homograph_sense *sense);

#endif
