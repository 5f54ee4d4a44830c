/* UTF-8 validation and counting (see utf8.h). */
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t ss_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

size_t ss_utf8_chars_n(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The length of the sequence a lead byte starts and the range its second
 * byte must be in (RFC 3629's table: E0 and F0 exclude overlongs, ED the
 * surrogates, F4 what is above U+10FFFF); 0 for a byte that starts none. */
static int sequence_of(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (lead == 0xE0)
            *lo = 0xA0;
        else if (lead == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (lead == 0xF0)
            *lo = 0x90;
        else if (lead == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0;
}

size_t ss_utf8_char_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    unsigned char lo, hi;
    int len = sequence_of(u[0], &lo, &hi);
    if (len == 0 || n < (size_t)len || u[1] < lo || u[1] > hi)
        return 0;
    for (int k = 2; k < len; k++)
        if (u[k] < 0x80 || u[k] > 0xBF)
            return 0;
    return (size_t)len;
}

bool ss_utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = ss_utf8_char_len(s + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

char *ss_utf8_repaired(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1); /* each byte at worst becomes EF BF BD */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = ss_utf8_char_len(s + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = 0;
    return out;
}

size_t ss_utf8_prefix(const char *s, size_t n, size_t max)
{
    size_t at = 0;
    while (at < n) {
        size_t k = ss_utf8_char_len(s + at, n - at);
        if (k == 0)
            k = 1; /* not well-formed: bytes one at a time */
        if (at + k > max)
            break;
        at += k;
    }
    return at;
}
