/* Unit tests for common/ids: generated ids have their prefix and length and
 * differ; incoming X-Request-Id values are checked for shape. */
#include "common/ids.h"

#include <criterion/criterion.h>
#include <string.h>

Test(ids, request_id_shape)
{
    char id[64];
    cr_assert_eq(ss_id_new("req_", 20, id, sizeof id), 0);
    cr_assert_eq(strlen(id), 24);
    cr_assert(strncmp(id, "req_", 4) == 0);
    cr_assert(ss_request_id_acceptable(id));
    char other[64];
    ss_id_new("req_", 20, other, sizeof other);
    cr_assert_str_neq(id, other);
}

Test(ids, rejects_bad_incoming_ids)
{
    cr_assert_not(ss_request_id_acceptable(""));
    cr_assert_not(ss_request_id_acceptable("has space"));
    cr_assert_not(ss_request_id_acceptable("quote\"inside"));
    char longid[100];
    memset(longid, 'a', 99);
    longid[99] = 0;
    cr_assert_not(ss_request_id_acceptable(longid));
    cr_assert(ss_request_id_acceptable("abc-123_x.y:z"));
}

Test(ids, buffer_too_small)
{
    char id[8];
    cr_assert_eq(ss_id_new("req_", 20, id, sizeof id), -1);
}

Test(ids, random_bytes_cross_pool_refills_and_never_repeat)
{
    /* 3 x 700 bytes: each call crosses a 512-byte refill at some point */
    unsigned char a[700], b[700], c[700];
    cr_assert_eq(ss_random_bytes(a, sizeof a), 0);
    cr_assert_eq(ss_random_bytes(b, sizeof b), 0);
    cr_assert_eq(ss_random_bytes(c, sizeof c), 0);
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
    cr_assert_neq(memcmp(b, c, sizeof b), 0);
    /* no 16-byte window of one comes back in another (handed-out bytes are not reused) */
    for (size_t i = 0; i + 16 <= sizeof a; i += 16)
        for (size_t j = 0; j + 16 <= sizeof b; j++)
            cr_assert_neq(memcmp(a + i, b + j, 16), 0);
    int zeros = 0;
    for (size_t i = 0; i < sizeof c; i++)
        zeros += c[i] == 0;
    cr_assert_lt(zeros, 20, "the pool is scrubbed after use, never handed out scrubbed");
}
