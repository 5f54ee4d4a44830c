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
