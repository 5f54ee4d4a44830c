/* Unit tests for the gateway's route matcher, error envelope and node-record
 * conversion (pure functions; the HTTP and Redis paths are covered by the
 * integration tests against real processes). */
#include "common/api_error.h"
#include "gateway/http_router.h"
#include "gateway/node_registry.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static gw_route_result match(const char *method, const char *path, char **params, int *n,
                             char *allow)
{
    const gw_route *route = NULL;
    return gw_route_match(method, path, &route, params, n, allow, 64);
}

Test(router, exact_and_placeholder_routes)
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

Test(router, wrong_method_lists_allowed)
{
    char *params[GW_MAX_PARAMS] = {0};
    int n = 0;
    char allow[64];
    cr_assert_eq(match("DELETE", "/v1/infra/nodes", params, &n, allow), GW_ROUTE_WRONG_METHOD);
    cr_assert_str_eq(allow, "GET");
    cr_assert_eq(match("GET", "/v1/infra/nodes/x/drain", params, &n, allow), GW_ROUTE_WRONG_METHOD);
    cr_assert_str_eq(allow, "POST");
}

Test(router, unknown_paths)
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

Test(envelope, error_shape_and_status)
{
    cr_assert_eq(ss_api_error_status(SS_ERR_PAYLOAD_TOO_LARGE), 413);
    cr_assert_eq(ss_api_error_status(SS_ERR_BACKEND_UNAVAILABLE), 502);
    json_t *e = ss_envelope_error(SS_ERR_ROUTE_NOT_FOUND, "no such route", NULL, "req_x");
    cr_assert_str_eq(json_string_value(json_object_get(e, "status")), "error");
    json_t *err = json_object_get(e, "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "ROUTE_NOT_FOUND");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "meta"), "request_id")),
                     "req_x");
    json_decref(e);
}

static redisReply *str_reply(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *int_reply(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *triple(const char *rec, int alive, const char *drain)
{
    redisReply *t = calloc(1, sizeof *t);
    t->type = REDIS_REPLY_ARRAY;
    t->elements = 3;
    t->element = calloc(3, sizeof(redisReply *));
    t->element[0] = str_reply(rec);
    t->element[1] = int_reply(alive);
    if (drain) {
        t->element[2] = str_reply(drain);
    } else {
        t->element[2] = calloc(1, sizeof(redisReply));
        t->element[2]->type = REDIS_REPLY_NIL;
    }
    return t;
}

static void free_triple(redisReply *t)
{
    for (size_t i = 0; i < t->elements; i++) {
        free(t->element[i]->str);
        free(t->element[i]);
    }
    free(t->element);
    free(t);
}

static const char *status_of(redisReply *t)
{
    static char buf[32];
    json_t *n = node_object_from_reply(t);
    cr_assert_not_null(n);
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(n, "status")));
    json_decref(n);
    return buf;
}

Test(node_registry, status_from_alive_and_drain)
{
    const char *rec = "{\"node_id\":\"n1\",\"engines\":[{\"engine_id\":\"e\"}],\"self_draining\":false}";
    const char *self = "{\"node_id\":\"n1\",\"engines\":[],\"self_draining\":true}";
    redisReply *t;
    t = triple(rec, 1, NULL);
    cr_assert_str_eq(status_of(t), "online");
    free_triple(t);
    t = triple(rec, 0, NULL);
    cr_assert_str_eq(status_of(t), "offline");
    free_triple(t);
    t = triple(rec, 1, "{\"reason\":\"maintenance\"}");
    cr_assert_str_eq(status_of(t), "draining");
    free_triple(t);
    t = triple(self, 1, NULL);
    cr_assert_str_eq(status_of(t), "draining");
    free_triple(t);
    t = triple("not json", 1, NULL);
    cr_assert_null(node_object_from_reply(t));
    free_triple(t);
}

Test(node_registry, usable_needs_online_and_engine)
{
    json_t *n = json_pack("{s:s,s:[{s:s}]}", "status", "online", "engines", "engine_id", "scaispeak-hts-en");
    cr_assert(node_object_usable(n, NULL));
    cr_assert(node_object_usable(n, "scaispeak-hts-en"));
    cr_assert_not(node_object_usable(n, "other"));
    json_object_set_new(n, "status", json_string("draining"));
    cr_assert_not(node_object_usable(n, NULL));
    json_decref(n);
    json_t *empty = json_pack("{s:s,s:[]}", "status", "online", "engines");
    cr_assert_not(node_object_usable(empty, NULL), "a node without an engine is not usable");
    json_decref(empty);
    cr_assert(node_id_valid("gpu-01.example:50061"));
    cr_assert_not(node_id_valid("bad id"));
    cr_assert_not(node_id_valid(""));
}
