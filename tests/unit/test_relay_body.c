/* Unit tests for gateway/relay_body: bytes arrive in pieces and come out
 * whole and in order; the cap and a reset behave; a refused piece stops the
 * body for good (no truncated answer is ever decoded). */
#include "gateway/relay_body.h"

#include <criterion/criterion.h>
#include <string.h>

Test(relay_body, pieces_come_out_whole_and_in_order)
{
    relay_body b = {0};
    unsigned char piece[1000];
    for (int i = 0; i < 200; i++) { /* 200 000 bytes: grows past 64 KiB twice */
        for (size_t j = 0; j < sizeof piece; j++)
            piece[j] = (unsigned char)(i * 7 + j);
        relay_body_append(&b, piece, sizeof piece);
    }
    cr_assert_eq(b.state, RELAY_BODY_OK);
    cr_assert_null(relay_body_problem(&b));
    cr_assert_eq(b.len, 200000u);
    cr_assert_geq(b.cap, b.len);
    for (size_t k = 0; k < b.len; k++)
        cr_assert_eq(b.bytes[k], (unsigned char)((k / 1000) * 7 + k % 1000), "byte %zu", k);
    relay_body_free(&b);
    cr_assert_null(b.bytes);
}

Test(relay_body, over_the_cap_stops_taking_bytes_until_reset)
{
    relay_body b = {0};
    const char head[] = "RIFF";
    relay_body_append(&b, head, 4);
    relay_body_append(&b, head, RELAY_BODY_MAX); /* refused before any byte is read */
    cr_assert_eq(b.state, RELAY_BODY_TOO_LARGE);
    cr_assert_str_eq(relay_body_problem(&b), "the relay's answer is over 64 MiB");
    relay_body_append(&b, head, 4);
    cr_assert_eq(b.len, 4u, "nothing is taken once the body is refused");
    relay_body_reset(&b);
    cr_assert_eq(b.state, RELAY_BODY_OK);
    cr_assert_eq(b.len, 0u);
    relay_body_append(&b, head, 4);
    cr_assert_eq(b.len, 4u);
    cr_assert_eq(memcmp(b.bytes, "RIFF", 4), 0);
    relay_body_free(&b);
}

Test(relay_body, exactly_the_cap_is_taken)
{
    relay_body b = {0};
    static const char zeros[65536];
    for (size_t n = 0; n < RELAY_BODY_MAX; n += sizeof zeros)
        relay_body_append(&b, zeros, sizeof zeros);
    cr_assert_eq(b.state, RELAY_BODY_OK);
    cr_assert_eq(b.len, (size_t)RELAY_BODY_MAX);
    relay_body_append(&b, zeros, 1);
    cr_assert_eq(b.state, RELAY_BODY_TOO_LARGE);
    relay_body_free(&b);
}
