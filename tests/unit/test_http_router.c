/* Unit tests for gateway/http_router: the route table's segment matcher
 * (exact and {placeholder} routes, percent-decoding, wrong method with the
 * allowed list, unknown paths). The HTTP path itself is covered by the
 * integration tests against real processes. */
#include "gateway/http_router.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static gw_route_result match(const char *method, const char *path, char **params, int *n,
                             char *allow)
{
    const gw_route *route = NULL;
    return gw_route_match(method, path, &route, params, n, allow, 64);
}

Test(http_router, exact_and_placeholder_routes)
{
    char *params[GW_MAX_PARAMS] = {0};
    int n = 0;
    char allow[64];
    cr_assert_eq(match("GET", "/v1/infra/nodes", params, &n, allow), GW_ROUTE_FOUND);
    cr_assert_eq(n, 0);
    cr_assert_eq(match("GET", "/v1/infra/nodes/node%2D1", params, &n, allow), GW_ROUTE_FOUND);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(params[0], "node-1", "placeholders are percent-decoded");
    free(params[0]);
    cr_assert_eq(match("POST", "/v1/infra/nodes/abc/drain", params, &n, allow), GW_ROUTE_FOUND);
    cr_assert_str_eq(params[0], "abc");
    free(params[0]);
}

Test(http_router, wrong_method_lists_allowed)
{
    char *params[GW_MAX_PARAMS] = {0};
    int n = 0;
    char allow[64];
    cr_assert_eq(match("DELETE", "/v1/infra/nodes", params, &n, allow), GW_ROUTE_WRONG_METHOD);
    cr_assert_str_eq(allow, "GET");
    cr_assert_eq(match("GET", "/v1/infra/nodes/x/drain", params, &n, allow), GW_ROUTE_WRONG_METHOD);
    cr_assert_str_eq(allow, "POST");
}

Test(http_router, unknown_paths)
{
    char *params[GW_MAX_PARAMS] = {0};
    int n = 0;
    char allow[64];
    cr_assert_eq(match("GET", "/", params, &n, allow), GW_ROUTE_NONE);
    cr_assert_eq(match("GET", "/v1/infra/nodes/a/b", params, &n, allow), GW_ROUTE_NONE);
    cr_assert_eq(match("GET", "/v1/infra/nodes//drain", params, &n, allow), GW_ROUTE_NONE,
                 "an empty segment never fills a placeholder");
    cr_assert_eq(match("GET", "/v1/infra", params, &n, allow), GW_ROUTE_NONE);
}
