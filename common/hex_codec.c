/* Hexadecimal text for bytes (see hex_codec.h). */
#include "common/hex_codec.h"

#include <stdint.h>

static const char DIGITS[] = "0123456789abcdef";

int ss_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ss_hex_encode(const void *in, size_t n, char *out)
{
    const uint8_t *b = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = DIGITS[b[i] >> 4];
        out[2 * i + 1] = DIGITS[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int lower_digit(char c)
{
    return c >= 'A' && c <= 'F' ? -1 : ss_hex_digit(c);
}

long ss_hex_decode(const char *hex, size_t len, void *out, size_t cap)
{
    if (len % 2 || len / 2 > cap)
        return -1;
    uint8_t *b = out;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = lower_digit(hex[2 * i]), lo = lower_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        b[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(len / 2);
}
