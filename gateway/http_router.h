/* The gateway's route table and path matcher.
 *
 * A route is (method, pattern, handler); patterns are '/'-separated segments
 * where "{name}" matches exactly one non-empty segment. Matching a path gives
 * either the handler, or "path known but not for this method" (405, with the
 * allowed methods for the Allow header), or nothing (404). */
#ifndef SS_GATEWAY_HTTP_ROUTER_H
#define SS_GATEWAY_HTTP_ROUTER_H

#include "gateway/gateway.h"

#include <stdio.h>

typedef struct {
    const char *method;
    const char *pattern;
    gw_handler_fn handler;
    unsigned need;  /* NEED_* or PERM_* bits checked before the handler */
    unsigned flags; /* GW_ROUTE_* (gateway.h) */
} gw_route;

typedef enum { GW_ROUTE_FOUND, GW_ROUTE_WRONG_METHOD, GW_ROUTE_NONE } gw_route_result;

/* Matches the raw (still percent-encoded) `path`; the segments matching
 * {placeholders} are decoded into params, which the caller frees. On
 * GW_ROUTE_WRONG_METHOD `allow` holds e.g. "GET, POST". */
gw_route_result gw_route_match(const char *method, const char *path, const gw_route **route,
                               char **params, int *nparams, char *allow, size_t allow_len);

/* The table (for docs and tests). */
const gw_route *gw_routes(size_t *count);
/* The table as "METHOD PATTERN" lines (scaispeak-gateway --print-routes: the
 * OpenAPI drift test compares them with docs/openapi.json). */
void gw_routes_print(FILE *out);

#endif
