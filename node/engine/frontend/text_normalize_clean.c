/* The normaliser's cleaning pass (see text_normalize_clean.h).
 *
 * Decodes UTF-8 into a byte string the recognisers can read, keeping for
 * every byte its offset in the original. Curly quotes become ' and ", dashes
 * - (en) or " -- " (em), the ellipsis "...", accented Latin letters their base
 * letter, the currency signs and the degree sign one-byte markers (see
 * text_normalize_rules.h), x and the division sign words; control
 * characters, emoji, other scripts and invalid UTF-8 become a space (so they
 * drop out but still separate words). Linear in the input. */
#include "node/engine/frontend/text_normalize_clean.h"

#include <stdlib.h>

#include "node/engine/frontend/text_normalize_rules.h"

/* Latin-1 supplement letters U+00C0..U+00FF -> ASCII base letter. */
static const char LATIN1[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";

static void put_clean(ss_cleaned *c, const char *str, size_t off)
{
    for (; *str; str++) {
        c->s[c->n] = *str;
        c->off[c->n] = off;
        c->n++;
    }
}

/* Length of the valid UTF-8 sequence at p (code point in *cp), 0 if invalid. */
static int decode_utf8(const unsigned char *p, size_t n, unsigned *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    int len = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || (size_t)len > n) return 0;
    unsigned v = p[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
        v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* What a code point at or above 0x80 (other than the Latin-1 letters)
 * becomes; `one` is a 2-byte scratch for a one-byte marker. */
static const char *replace_non_ascii(unsigned cp, char one[2])
{
    switch (cp) {
    case 0x2018: case 0x2019: case 0x201B: case 0x2032: return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x2033: case 0xAB: case 0xBB: return "\"";
    case 0x2013: case 0x2212: case 0x2010: case 0x2011: return "-";
    case 0x2014: case 0x2015: return " -- ";
    case 0x2026: return "...";
    case 0x20AC: one[0] = SS_MK_EURO; return one;
    case 0xA3: one[0] = SS_MK_POUND; return one;
    case 0xB0: one[0] = SS_MK_DEGREE; return one;
    case 0xD7: return " times ";
    case 0xF7: return " divided by ";
    default: return " "; /* emoji, other scripts, NBSP, ... */
    }
}

int ss_clean_text(const char *text, size_t len, const size_t *offmap, size_t base, ss_cleaned *c)
{
    /* Worst case: a 2-byte character becomes 12 bytes ("÷" -> " divided by "). */
    c->s = malloc(len * 6 + 16);
    c->off = malloc((len * 6 + 16) * sizeof(size_t));
    c->n = 0;
    if (!c->s || !c->off) return -1;
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t off = offmap ? offmap[i] : base + i;
        unsigned cp;
        int k = decode_utf8(p + i, len - i, &cp);
        if (k == 0) { i++; continue; } /* invalid UTF-8: dropped */
        i += (size_t)k;
        char one[2] = {0, 0};
        const char *rep = one;
        if (cp < 0x80) {
            if (cp < 0x20 || cp == 0x7F) rep = " "; /* tab, new line and other controls */
            else one[0] = (char)cp;
        } else if (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) {
            one[0] = LATIN1[cp - 0xC0];
        } else {
            rep = replace_non_ascii(cp, one);
        }
        put_clean(c, rep, off);
    }
    c->s[c->n] = 0;
    return 0;
}
