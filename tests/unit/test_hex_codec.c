/* Unit tests for common/hex_codec: every byte value round-trips, digits of
 * either case read as single digits, and whole-string decoding refuses odd
 * lengths, upper case, other characters and output that does not fit. */
#include "common/hex_codec.h"

#include <criterion/criterion.h>
#include <string.h>

Test(hex_codec, every_byte_round_trips)
{
    unsigned char all[256], back[256];
    char text[513];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    ss_hex_encode(all, sizeof all, text);
    cr_assert_eq(strlen(text), 512);
    cr_assert(strncmp(text, "000102", 6) == 0);
    cr_assert_str_eq(text + 506, "fdfeff");
    cr_assert_eq(ss_hex_decode(text, 512, back, sizeof back), 256);
    cr_assert(memcmp(all, back, 256) == 0);
}

Test(hex_codec, empty_input)
{
    char text[1] = {'x'};
    ss_hex_encode("", 0, text);
    cr_assert_str_eq(text, "");
    unsigned char b;
    cr_assert_eq(ss_hex_decode("", 0, &b, 0), 0);
}

Test(hex_codec, single_digits_of_either_case)
{
    const char *digits = "0123456789abcdef", *upper = "ABCDEF";
    for (int i = 0; i < 16; i++)
        cr_assert_eq(ss_hex_digit(digits[i]), i);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(ss_hex_digit(upper[i]), 10 + i);
    for (int c = 0; c < 256; c++)
        if (!strchr("0123456789abcdefABCDEF", c) || c == 0)
            cr_assert_eq(ss_hex_digit((char)c), -1, "char %d", c);
}

Test(hex_codec, decode_refuses_what_encode_never_writes)
{
    unsigned char b[4];
    cr_assert_eq(ss_hex_decode("abc", 3, b, sizeof b), -1);      /* odd */
    cr_assert_eq(ss_hex_decode("AB", 2, b, sizeof b), -1);       /* upper case */
    cr_assert_eq(ss_hex_decode("0g", 2, b, sizeof b), -1);       /* not a digit */
    cr_assert_eq(ss_hex_decode("0 ", 2, b, sizeof b), -1);
    cr_assert_eq(ss_hex_decode("0011223344", 10, b, 4), -1);     /* does not fit */
    cr_assert_eq(ss_hex_decode("00112233", 8, b, 4), 4);
    cr_assert_eq(b[3], 0x33);
}
