/* The normaliser's recognisers: the state one raw token is read in, the
 * shape every recogniser has, and the reading helpers they share.
 *
 * ss_normalize (text_normalize.c) splits the cleaned text on white space into
 * raw tokens and, for each, tries the recognisers of its table in order; the
 * first whose `match` takes the token wins and its `emit` appends the spoken
 * words. A recogniser may look at the next raw tokens (a.m./p.m., units,
 * "million", month-day-year) and take them too: `match` returns how many raw
 * tokens it takes, counting the current one (0 = not mine). `match` only
 * looks; `emit` reads the same tokens again and writes, so the two must
 * agree on what they take.
 *
 * The recognisers live by class: text_normalize_say_as.c (SSML say-as
 * modes), text_normalize_web.c (e-mail, URLs), text_normalize_numbers.c
 * (currency, decades, fractions, ordinals, phone numbers, numbers with
 * units), text_normalize_dates.c (times and dates), text_normalize_words.c
 * (punctuation-only tokens, abbreviations, plain words). Shared reading
 * helpers are in text_normalize_say.c. Internal to the front end. */
#ifndef SS_ENGINE_TEXT_NORMALIZE_RULES_H
#define SS_ENGINE_TEXT_NORMALIZE_RULES_H

#include <stddef.h>

#include "node/engine/frontend/text_normalize.h"
#include "node/engine/frontend/text_numbers.h"

/* One-byte markers the cleaning pass writes for characters the rules read. */
#define SS_MK_EURO '\x01'
#define SS_MK_POUND '\x02'
#define SS_MK_DEGREE '\x03'

/* How far a recogniser may look: at most SS_NORM_LOOKAHEAD - 1 raw tokens
 * past the current one (month-day-year reads two) and one before it (a
 * year's context word). The windowed reader (ss_normalize_window) keeps
 * that much of the text around every token it reads, so a text read window
 * by window gives exactly the tokens of the text read at once. A new
 * recogniser that looks further must raise this. */
#define SS_NORM_LOOKAHEAD 3

/* A white-space separated piece of the cleaned text. */
typedef struct {
    const char *s; /* into the cleaned text */
    size_t n;
    size_t s0, s1; /* byte range in the original input */
} ss_raw_tok;

/* Where words go: the caller's list, and whether a push ran out of memory
 * (sticky; ss_normalize reports it once at the end). */
typedef struct {
    ss_token_list *out;
    int oom;
} ss_emitter;

/* The token being read and what the recognisers may look at or change. */
typedef struct {
    const ss_raw_tok *rt; /* all raw tokens of the text */
    size_t nt;
    size_t t;              /* index of the current token */
    ss_read_as mode;       /* SSML say-as */
    /* The current token with leading quotes/brackets removed: s[0..n); its
     * core s[0..core_n) also lacks the trailing punctuation. */
    const char *s;
    size_t n, core_n;
    int had_dot;           /* the stripped trailing punctuation had a '.' */
    size_t s0, s1;         /* original range of the current token */
    /* The next raw token (NULL at the end), whole and without its trailing
     * punctuation. */
    const char *nx;
    size_t nxn, nx_core;
    size_t before;         /* out->n when this token started */
    /* Punctuation to put on the last word of the token: the token's own
     * (strongest trailing mark), which emit may replace (0 = none). */
    char punct;
    ss_emitter e;
    ss_wordbuf *b;         /* scratch for number words, flushed by ss_norm_flush */
} ss_norm_ctx;

/* A recogniser: see the top of this file. */
typedef struct {
    const char *name;
    size_t (*match)(const ss_norm_ctx *c);
    void (*emit)(ss_norm_ctx *c, size_t taken);
} ss_norm_rule;

/* ---- shared reading helpers (text_normalize_say.c) ---------------------- */

/* Pushes each space-separated word of `words` with the source range s0..s1. */
void ss_norm_words(ss_emitter *e, const char *words, size_t s0, size_t s1);
/* Pushes the letter's name (explicit phones, so "a" is not the article). */
void ss_norm_letter(ss_emitter *e, char ch, size_t s0, size_t s1);
/* Pushes the words collected in b and empties it. */
void ss_norm_flush(ss_emitter *e, ss_wordbuf *b, size_t s0, size_t s1);
/* The generic reading of a token core: runs of letters (words or acronyms),
 * digits (numbers) and symbols. */
void ss_norm_say_mixed(ss_emitter *e, ss_wordbuf *b, const char *s, size_t n, size_t s0, size_t s1);
/* "minus" + cardinal + "point" + digits. */
void ss_norm_say_number(ss_wordbuf *b, const char *ip, const char *fp, int neg);
/* Reads a number "-1,234.56" at s (len n): digits of the integer part (commas
 * removed) into ip and of the fraction into fp. Returns bytes consumed (0 if
 * none). */
size_t ss_norm_scan_number(const char *s, size_t n, char *ip, size_t ipcap, char *fp, size_t fpcap,
                           int *neg);
/* Strips trailing punctuation off s[0..*n); returns the strongest found. */
char ss_norm_strip_trailing(const char *s, size_t *n);
/* The word for a symbol character (& -> "and"), or NULL. */
const char *ss_norm_symbol_word(char c);
int ss_norm_all_digits(const char *s, size_t n);
/* s[0..n) equals b, ignoring case. */
int ss_norm_ieq(const char *a, size_t n, const char *b);

/* ---- shared tables ------------------------------------------------------ */

/* Month index 0..11 of a month name or abbreviation, -1 if none
 * (text_normalize_dates.c). */
int ss_norm_month_index(const char *s, size_t n);
extern const char *const SS_NORM_MONTHS[12];

/* ---- the recognisers, by class ------------------------------------------ */

#define SS_NORM_RULE(name)                                \
    size_t ss_norm_match_##name(const ss_norm_ctx *c);   \
    void ss_norm_emit_##name(ss_norm_ctx *c, size_t taken)

SS_NORM_RULE(punctuation_only);  /* text_normalize_words.c */
SS_NORM_RULE(say_as_characters); /* text_normalize_say_as.c */
SS_NORM_RULE(say_as_telephone);
SS_NORM_RULE(say_as_number);
SS_NORM_RULE(email);             /* text_normalize_web.c */
SS_NORM_RULE(url);
SS_NORM_RULE(currency);          /* text_normalize_numbers.c */
SS_NORM_RULE(time);              /* text_normalize_dates.c */
SS_NORM_RULE(iso_date);
SS_NORM_RULE(us_date);
SS_NORM_RULE(month_day);
SS_NORM_RULE(abbreviation);      /* text_normalize_words.c */
SS_NORM_RULE(decade);            /* text_normalize_numbers.c */
SS_NORM_RULE(fraction);
SS_NORM_RULE(ordinal);
SS_NORM_RULE(phone);
SS_NORM_RULE(number);
SS_NORM_RULE(word);              /* text_normalize_words.c */

#undef SS_NORM_RULE

#endif
