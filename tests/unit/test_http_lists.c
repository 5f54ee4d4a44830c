/* Unit tests for gateway/http_lists: comma-separated header lists. */
#include "gateway/http_lists.h"

#include <criterion/criterion.h>
#include <string.h>

Test(http_lists, elements_trimmed_and_empties_skipped)
{
    const char *cursor = " gzip ,, chunked\t,", *v;
    size_t len;
    v = gw_list_next(&cursor, &len);
    cr_assert(v && len == 4 && !strncmp(v, "gzip", 4));
    v = gw_list_next(&cursor, &len);
    cr_assert(v && len == 7 && !strncmp(v, "chunked", 7));
    cr_assert_null(gw_list_next(&cursor, &len));
    const char *none = NULL;
    cr_assert_null(gw_list_next(&none, &len));
}

Test(http_lists, membership_is_case_insensitive_and_whole_element)
{
    cr_assert(gw_list_has("keep-alive, Upgrade", "upgrade"));
    cr_assert(gw_list_has("WebSocket", "websocket"));
    cr_assert(!gw_list_has("upgraded", "upgrade"));
    cr_assert(!gw_list_has("", "upgrade"));
    cr_assert(!gw_list_has(NULL, "upgrade"));
}
