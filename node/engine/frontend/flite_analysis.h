/* Linguistic analysis of one sentence with flite's English front end:
 * part of speech, lexicon (CMU) + letter-to-sound, syllables and stress.
 *
 * flite keeps global state (its lexicon caches, feature registries and the
 * voice object we build once), and its functions are not documented as
 * re-entrant. So: flite is initialised exactly once (pthread_once) and every
 * call into flite happens under one process-wide mutex. Analysis of a
 * sentence holds the mutex for ~1-2 ms; everything else in the front end
 * (normalisation, phrasing, labels) runs outside it, in parallel.
 *
 * A token "'s" (a possessive split off by the front end, festival-style) is
 * not looked up: its s/z joins the previous word, leaving a word of zero
 * syllables (or "ax z" after a sibilant).
 *
 * Pronunciation precedence: the token's explicit phones (SSML phoneme), then
 * the run-time lexicon, then festival's lexicon addenda where they differ
 * from flite's (festival_lexicon.h), then the homograph table, then flite's
 * CMU lexicon and letter-to-sound rules. */
#ifndef SS_ENGINE_FLITE_ANALYSIS_H
#define SS_ENGINE_FLITE_ANALYSIS_H

#include <stddef.h>

#include "node/engine/frontend/lexicon_runtime.h"
#include "node/engine/frontend/text_token.h"
#include "node/engine/frontend/utterance.h"

/* Initialises flite once (safe to call from any thread, any number of
 * times). -1 with a message when the lexicon cannot be set up. */
int ss_flite_init(char *err, size_t errlen);

/* Fills out->words, out->syls and out->phones (no pauses yet; word.brk = 1,
 * phrase = 0) for tokens[0..n). lex may be NULL. -1 with a message on
 * failure (out of memory, a bad explicit pronunciation). */
int ss_flite_analyze(const ss_token *tokens, size_t n, const ss_lexicon *lex, ss_sentence *out,
                     char *err, size_t errlen);

#endif
