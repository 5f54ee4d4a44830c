/* Text normalisation: raw text -> speakable words (ss_token_list), each with
 * the byte range it came from in the caller's original input.
 *
 * Classes handled (table-driven where it is a table; see docs/FRONTEND.md):
 * cardinals, decimals, negatives, thousands separators; currency ($ EUR GBP,
 * with cents); percent; ordinals; years vs plain numbers; dates (Jan. 3,
 * 2024 / 2024-01-03 / 3/4/2021 = March fourth); times (10:30 a.m., 17:05);
 * phone numbers digit by digit; abbreviations and titles; units; acronyms
 * (letters, or a word when pronounceable or listed); URLs and e-mail
 * addresses; symbols (& @ + = #); Unicode quotes, dashes, ellipses;
 * emoji, control characters and invalid UTF-8 dropped.
 *
 * Sentence ends are marked on the token (ss_token.sentence_end) at . ? !
 * that are not part of an abbreviation. Cost is linear in the input. */
#ifndef SS_ENGINE_TEXT_NORMALIZE_H
#define SS_ENGINE_TEXT_NORMALIZE_H

#include <stddef.h>

#include "node/engine/frontend/text_token.h"

/* How a span must be read (SSML say-as); SS_READ_AUTO = normal text. */
typedef enum {
    SS_READ_AUTO = 0,
    SS_READ_CHARACTERS,
    SS_READ_CARDINAL,
    SS_READ_ORDINAL,
    SS_READ_DATE,
    SS_READ_TELEPHONE,
} ss_read_as;

/* Normalises text[0..len) and appends tokens to out. offmap, when not NULL,
 * gives the original byte offset of each byte of text (SSML text after
 * entity decoding); otherwise offsets are base + index. 0 ok, -1 on out of
 * memory (message in err). Never fails on content: what cannot be spoken
 * is dropped. */
int ss_normalize(const char *text, size_t len, const size_t *offmap, size_t base,
                 ss_read_as mode, ss_token_list *out, char *err, size_t errlen);

/* One window text[start..end) of a longer plain text (the streamed front
 * end, text_stream.h): raw tokens from the skip-th on are read into out, all
 * of them when the window ends the text (final), else only those whose
 * recognisers see nothing past the window. *resume_at / *resume_skip say
 * where the next window starts and how many of its raw tokens were read
 * already (kept for look-back); *resume_at == start with the same skip
 * means nothing could be read and the window must grow. start and end must
 * be character boundaries (end: an ASCII byte or the end of the text).
 * Offsets are into text. 0 ok,
 * -1 out of memory. */
int ss_normalize_window(const char *text, size_t start, size_t end, size_t skip, int final,
                        ss_token_list *out, size_t *resume_at, size_t *resume_skip, char *err,
                        size_t errlen);

#endif
