/* SSML subset -> normalised tokens. Elements: speak, p, s, break (time,
 * strength), prosody (rate, pitch), say-as (interpret-as characters,
 * spell-out, cardinal, number, ordinal, date, telephone), sub (alias),
 * phoneme (alphabet x-cmu / arpabet / cmu, and ipa for common English IPA),
 * emphasis (an accent on the word, as festival's EMPH).
 * Unknown elements are skipped with their text kept (voice, mark, audio,
 * ...); unknown attributes are ignored. Entities &amp; &lt; &gt; &quot;
 * &apos; and numeric &#..; are decoded. Our own small XML reader: no
 * external dependency, no recursion (an explicit stack, depth <= 64).
 * Malformed markup -> -1 and "SSML error at byte N (line L:C): reason". */
#ifndef SS_ENGINE_SSML_PARSER_H
#define SS_ENGINE_SSML_PARSER_H

#include <stddef.h>

#include "node/engine/frontend/ssml_ipa.h" /* ss_ipa_to_arpabet, for callers of this header */
#include "node/engine/frontend/text_token.h"

#define SS_SSML_MAX_DEPTH 64

int ss_ssml_to_tokens(const char *text, size_t len, ss_token_list *out, char *err, size_t errlen);

#endif
