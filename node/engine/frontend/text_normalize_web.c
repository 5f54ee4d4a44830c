/* The normaliser's web recognisers: e-mail addresses (bob at mail dot com)
 * and URLs (h t t p s colon slash slash ..., w w w dot ...). Runs of letters
 * and digits inside them get the generic reading; the separators are named.
 * See text_normalize_rules.h for the shape of a recogniser. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "node/engine/frontend/text_normalize_rules.h"

/* ---- e-mail ------------------------------------------------------------ */

size_t ss_norm_match_email(const ss_norm_ctx *c)
{
    const char *s = c->s, *at = memchr(s, '@', c->core_n);
    return at && at > s && memchr(at, '.', c->core_n - (size_t)(at - s)) && c->core_n < 256;
}

static const char *email_separator(char ch)
{
    return ch == '@' ? "at" : ch == '.' ? "dot" : ch == '-' ? "dash" : ch == '_' ? "underscore" : NULL;
}

void ss_norm_emit_email(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    const char *s = c->s;
    for (size_t i = 0; i < c->core_n;) {
        if (isalnum((unsigned char)s[i])) {
            size_t j = i;
            while (j < c->core_n && isalnum((unsigned char)s[j])) j++;
            ss_norm_say_mixed(&c->e, c->b, s + i, j - i, c->s0, c->s1);
            i = j;
        } else {
            const char *w = email_separator(s[i]);
            if (w) ss_norm_words(&c->e, w, c->s0, c->s1);
            i++;
        }
    }
}

/* ---- URL ----------------------------------------------------------------- */

size_t ss_norm_match_url(const ss_norm_ctx *c)
{
    const char *s = c->s;
    size_t n = c->core_n;
    return (n > 7 && (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8))) ||
           (n > 4 && !strncasecmp(s, "www.", 4));
}

static const char *url_separator(char ch)
{
    return ch == '.' ? "dot" : ch == '/' ? "slash" : ch == '-' ? "dash" : ch == '_' ? "underscore"
         : ch == ':' ? "colon" : NULL;
}

/* "http://" or "https://": letters and "colon slash slash"; returns its length. */
static size_t say_scheme(ss_norm_ctx *c)
{
    const char *s = c->s;
    for (const char *h = "http"; *h; h++) ss_norm_letter(&c->e, *h, c->s0, c->s1);
    size_t i = 4;
    if (s[i] == 's' || s[i] == 'S') { ss_norm_letter(&c->e, 's', c->s0, c->s1); i++; }
    ss_norm_words(&c->e, "colon slash slash", c->s0, c->s1);
    return i + 3;
}

void ss_norm_emit_url(ss_norm_ctx *c, size_t taken)
{
    (void)taken;
    const char *s = c->s;
    size_t i = !strncasecmp(s, "http", 4) ? say_scheme(c) : 0;
    while (i < c->core_n) {
        if (isalnum((unsigned char)s[i])) {
            size_t j = i;
            while (j < c->core_n && isalnum((unsigned char)s[j])) j++;
            if (ss_norm_ieq(s + i, j - i, "www")) {
                for (int k = 0; k < 3; k++) ss_norm_letter(&c->e, 'w', c->s0, c->s1);
            } else {
                ss_norm_say_mixed(&c->e, c->b, s + i, j - i, c->s0, c->s1);
            }
            i = j;
        } else {
            const char *w = url_separator(s[i]);
            if (w) ss_norm_words(&c->e, w, c->s0, c->s1);
            i++;
        }
    }
}
