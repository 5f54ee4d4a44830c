/* The normaliser's SSML say-as recognisers: in a say-as span the reading the
 * author asked for wins over the automatic classes (characters: letter by
 * letter; telephone: digit by digit; cardinal/ordinal: a number). They
 * decline tokens outside their mode, so in normal text they never fire.
 * See text_normalize_rules.h for the shape of a recogniser. */
#include <ctype.h>

#include "node/engine/frontend/text_normalize_rules.h"

size_t ss_norm_match_say_as_characters(const ss_norm_ctx *c)
{
    return c->mode == SS_READ_CHARACTERS;
}

/* Every letter, digit and symbol of the token, its punctuation included. */
void ss_norm_emit_say_as_characters(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    const char *s = c->s;
    for (size_t i = 0; i < c->n; i++) {
        if (isalpha((unsigned char)s[i])) {
            ss_norm_letter(&c->e, s[i], c->s0, c->s1);
        } else if (isdigit((unsigned char)s[i])) {
            ss_say_digits(c->b, s + i, 1);
            ss_norm_flush(&c->e, c->b, c->s0, c->s1);
        } else if (ss_norm_symbol_word(s[i])) {
            ss_norm_words(&c->e, ss_norm_symbol_word(s[i]), c->s0, c->s1);
        }
    }
}

size_t ss_norm_match_say_as_telephone(const ss_norm_ctx *c)
{
    return c->mode == SS_READ_TELEPHONE;
}

void ss_norm_emit_say_as_telephone(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    for (size_t i = 0; i < c->core_n; i++) {
        if (isdigit((unsigned char)c->s[i])) ss_say_digits(c->b, c->s + i, 1);
        else if (c->s[i] == '+') ss_wb_add(c->b, "plus");
    }
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}

size_t ss_norm_match_say_as_number(const ss_norm_ctx *c)
{
    return (c->mode == SS_READ_ORDINAL || c->mode == SS_READ_CARDINAL) && ss_norm_all_digits(c->s, c->core_n);
}

/* More than 15 digits are read digit by digit. */
void ss_norm_emit_say_as_number(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    if (c->core_n > 15) ss_say_digits(c->b, c->s, c->core_n);
    else if (c->mode == SS_READ_ORDINAL) ss_say_ordinal(c->b, c->s, c->core_n);
    else ss_say_cardinal(c->b, c->s, c->core_n);
    ss_norm_flush(&c->e, c->b, c->s0, c->s1);
}
