/* Unit tests for common/utf8: the validator against RFC 3629's table (every
 * code point's encoding passes; overlongs, surrogates, values above
 * U+10FFFF, stray and missing continuation bytes fail) and the counters. */
#include "common/utf8.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The UTF-8 encoding of cp (any value up to 0x1FFFFF, surrogates too). */
static size_t encode(unsigned cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

Test(utf8, every_code_point_passes_and_surrogates_and_beyond_fail)
{
    unsigned char b[4];
    for (unsigned cp = 0; cp <= 0x13FFFF; cp++) {
        size_t n = encode(cp, b);
        bool want = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        cr_assert_eq(ss_utf8_valid((const char *)b, n), want, "U+%04X", cp);
        /* one byte short is never well-formed */
        if (n > 1)
            cr_assert(!ss_utf8_valid((const char *)b, n - 1), "U+%04X cut", cp);
    }
}

Test(utf8, malformed_sequences_fail)
{
    static const struct {
        const char *bytes;
        size_t n;
    } bad[] = {
        {"\x80", 1},                 /* stray continuation */
        {"a\xbf" "b", 3},            /* stray continuation inside */
        {"\xc0\x80", 2},             /* overlong NUL */
        {"\xc1\xbf", 2},             /* overlong U+007F */
        {"\xe0\x80\x80", 3},         /* overlong, 3 bytes */
        {"\xe0\x9f\xbf", 3},         /* overlong U+07FF */
        {"\xf0\x80\x80\x80", 4},     /* overlong, 4 bytes */
        {"\xf0\x8f\xbf\xbf", 4},     /* overlong U+FFFF */
        {"\xed\xa0\x80", 3},         /* U+D800 */
        {"\xf4\x90\x80\x80", 4},     /* U+110000 */
        {"\xf5\x80\x80\x80", 4},     /* lead above F4 */
        {"\xff", 1},
        {"\xc3\x28", 2},             /* second byte not a continuation */
        {"\xe2\x82\x28", 3},         /* third byte not a continuation */
        {"\xf0\x9f\x98\x28", 4},     /* fourth byte not a continuation */
        {"\xe2\x82", 2},             /* cut at the end */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!ss_utf8_valid(bad[i].bytes, bad[i].n), "case %zu", i);
}

Test(utf8, wellformed_text_passes)
{
    const char *s = "Caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87";
    cr_assert(ss_utf8_valid(s, strlen(s)));
    cr_assert(ss_utf8_valid("", 0));
    cr_assert(ss_utf8_valid("a\0b", 3), "NUL is well-formed UTF-8");
    cr_assert_eq(ss_utf8_chars(s), 13);
    cr_assert_eq(ss_utf8_chars_n(s, strlen(s)), 13);
}

Test(utf8, repaired_replaces_what_is_not_wellformed)
{
    char *r = ss_utf8_repaired("ok \xc3\xa9 \xff \xe2\x82 \xf0\x9f\x98\x80 \xed\xa0\x80");
    cr_assert_str_eq(r, "ok \xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80 "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    cr_assert(ss_utf8_valid(r, strlen(r)));
    free(r);
    r = ss_utf8_repaired("");
    cr_assert_str_eq(r, "");
    free(r);
}

Test(utf8, prefix_ends_between_characters)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* 1 + 2 + 3 + 4 bytes */
    size_t n = strlen(s);
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};
    for (size_t max = 0; max < sizeof want / sizeof want[0]; max++)
        cr_assert_eq(ss_utf8_prefix(s, n, max), want[max], "max %zu", max);
}
