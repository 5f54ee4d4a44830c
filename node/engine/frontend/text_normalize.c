/* Text normalisation (see text_normalize.h for the classes).
 *
 * Three passes, each linear:
 *  1. clean (text_normalize_clean.c): decode UTF-8 into a byte string the
 *     recognisers can read, keeping for every byte its offset in the original;
 *  2. split on white space into raw tokens;
 *  3. read each raw token with the first recogniser of RULES below that takes
 *     it (text_normalize_rules.h says what a recogniser is; they live in
 *     text_normalize_{say_as,web,numbers,dates,words}.c). A recogniser may
 *     take the following raw tokens too (a.m./p.m., units, month-day-year,
 *     "$2 million"). The token's trailing punctuation goes on its last word;
 *  . ? ! mark a sentence end. */
#include "node/engine/frontend/text_normalize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/text_normalize_clean.h"
#include "node/engine/frontend/text_normalize_rules.h"

#define RULE(name) {#name, ss_norm_match_##name, ss_norm_emit_##name}

/* The recognisers in the order they are tried. The order is part of the
 * behaviour: the say-as modes override everything; e-mail and URLs come
 * before anything that reads digits or dots; currency, times and dates before
 * the number shapes they contain (10:30, 2024-01-03, 3/4/2021 is a date before
 * it is a fraction); abbreviations before decades/ordinals; phone numbers
 * before plain numbers; `word` takes whatever is left. */
static const ss_norm_rule RULES[] = {
    RULE(punctuation_only),
    RULE(say_as_characters),
    RULE(say_as_telephone),
    RULE(say_as_number),
    RULE(email),
    RULE(url),
    RULE(currency),
    RULE(time),
    RULE(iso_date),
    RULE(us_date),
    RULE(month_day),
    RULE(abbreviation),
    RULE(decade),
    RULE(fraction),
    RULE(ordinal),
    RULE(phone),
    RULE(number),
    RULE(word),
};

/* Pass 2: the white-space separated tokens of the cleaned text. 0 ok, -1 out
 * of memory (*rt may be set either way; the caller frees it). */
static int split_raw_tokens(const ss_cleaned *c, ss_raw_tok **rt, size_t *nt)
{
    size_t cap = 16;
    *nt = 0;
    *rt = malloc(cap * sizeof **rt);
    if (!*rt) return -1;
    for (size_t i = 0; i < c->n;) {
        while (i < c->n && c->s[i] == ' ') i++;
        if (i >= c->n) break;
        size_t st = i;
        while (i < c->n && c->s[i] != ' ') i++;
        if (*nt == cap) {
            cap *= 2;
            ss_raw_tok *q = realloc(*rt, cap * sizeof **rt);
            if (!q) return -1;
            *rt = q;
        }
        (*rt)[*nt] = (ss_raw_tok){c->s + st, i - st, c->off[st], c->off[i - 1] + 1};
        (*nt)++;
    }
    return 0;
}

/* Sets up c for raw token t: strips leading quotes/brackets and trailing
 * punctuation, and looks at the next token. A token of only dashes and dots
 * has no core. */
static void read_token(ss_norm_ctx *c, size_t t, size_t before)
{
    const ss_raw_tok *r = &c->rt[t];
    c->t = t;
    c->s = r->s;
    c->n = r->n;
    c->s0 = r->s0;
    c->s1 = r->s1;
    c->before = before;
    while (c->n > 0 && strchr("\"'([{<", c->s[0])) c->s++, c->n--;
    c->core_n = c->n;
    c->punct = ss_norm_strip_trailing(c->s, &c->core_n);
    c->had_dot = c->core_n < c->n && memchr(c->s + c->core_n, '.', c->n - c->core_n) != NULL;
    c->nx = t + 1 < c->nt ? c->rt[t + 1].s : NULL;
    c->nxn = c->nx_core = t + 1 < c->nt ? c->rt[t + 1].n : 0;
    if (c->nx) ss_norm_strip_trailing(c->nx, &c->nx_core);
    int only_dash = c->n > 0;
    for (size_t k = 0; k < c->n; k++)
        if (c->s[k] != '-' && c->s[k] != '.') only_dash = 0;
    if (only_dash) c->core_n = 0;
}

/* Reads the token at c->t with the first rule that takes it; returns how
 * many raw tokens were read. */
static size_t read_with_rules(ss_norm_ctx *c)
{
    for (size_t r = 0; r < sizeof RULES / sizeof RULES[0]; r++) {
        size_t taken = RULES[r].match(c);
        if (taken) {
            RULES[r].emit(c, taken);
            return taken;
        }
    }
    return 1; /* not reached: `word` takes everything */
}

/* Reads raw tokens rt[from..) of one window into out. When the window is
 * the end of the text (final) every token is read; otherwise reading stops
 * at the first token whose look-ahead (SS_NORM_LOOKAHEAD tokens) would
 * reach past the window. Returns the index of the first token not read. */
static size_t read_raw_tokens(ss_norm_ctx *c, ss_token_list *out, size_t from, int final)
{
    size_t t = from;
    while (t < c->nt && !c->e.oom && (final || t + SS_NORM_LOOKAHEAD < c->nt)) {
        size_t before = out->n;
        read_token(c, t, before);
        t += read_with_rules(c);
        if (out->n > before && c->punct) {
            out->v[out->n - 1].punct = c->punct;
            if (c->punct == '.' || c->punct == '?' || c->punct == '!') out->v[out->n - 1].sentence_end = 1;
        }
    }
    return t;
}

/* Where the window after raw token `stop` must start so that its first
 * token read is rt[stop] and the one before it (a recogniser's look-back)
 * is there too: at the first raw token cleaned from the same source
 * character as rt[stop - 1] (" divided by " gives two tokens with one
 * source offset). */
static void resume_point(const ss_raw_tok *rt, size_t stop, size_t *at, size_t *skip)
{
    size_t first = stop - 1;
    while (first > 0 && rt[first - 1].s0 == rt[stop - 1].s0) first--;
    *at = rt[first].s0;
    *skip = stop - first;
}

int ss_normalize_window(const char *text, size_t start, size_t end, size_t skip, int final,
                        ss_token_list *out, size_t *resume_at, size_t *resume_skip, char *err,
                        size_t errlen)
{
    ss_cleaned cl = {0};
    ss_raw_tok *rt = NULL;
    size_t nt = 0;
    int rc = -1;
    if (ss_clean_text(text + start, end - start, NULL, start, &cl) || split_raw_tokens(&cl, &rt, &nt)) goto done;
    char wbuf[4096];
    ss_wordbuf b = {wbuf, 0, sizeof wbuf, 0};
    wbuf[0] = 0;
    ss_norm_ctx c = {.rt = rt, .nt = nt, .mode = SS_READ_AUTO, .e = {out, 0}, .b = &b};
    size_t stop = read_raw_tokens(&c, out, skip < nt ? skip : nt, final);
    if (c.e.oom) goto done;
    rc = 0;
    if (final || stop >= nt) {
        *resume_at = end;
        *resume_skip = 0;
    } else if (stop == skip) {
        *resume_at = start; /* nothing read: the caller needs a longer window */
        *resume_skip = skip;
    } else {
        resume_point(rt, stop, resume_at, resume_skip);
    }
done:
    if (rc) snprintf(err, errlen, "out of memory");
    free(rt);
    free(cl.s);
    free(cl.off);
    return rc;
}

int ss_normalize(const char *text, size_t len, const size_t *offmap, size_t base,
                 ss_read_as mode, ss_token_list *out, char *err, size_t errlen)
{
    ss_cleaned cl = {0};
    ss_raw_tok *rt = NULL;
    size_t nt = 0;
    int rc = -1;
    if (ss_clean_text(text, len, offmap, base, &cl) || split_raw_tokens(&cl, &rt, &nt)) goto done;
    char wbuf[4096];
    ss_wordbuf b = {wbuf, 0, sizeof wbuf, 0};
    wbuf[0] = 0;
    ss_norm_ctx c = {.rt = rt, .nt = nt, .mode = mode, .e = {out, 0}, .b = &b};
    read_raw_tokens(&c, out, 0, 1);
    rc = c.e.oom ? -1 : 0;
done:
    if (rc) snprintf(err, errlen, "out of memory");
    free(rt);
    free(cl.s);
    free(cl.off);
    return rc;
}
