/* Operator endpoints over the node registry: GET /v1/infra/nodes (filters
 * engine, status), GET /v1/infra/nodes/{id}, POST .../drain and .../undrain.
 *
 * The router lets only operators in (super_admin, tenant_admin, or the
 * configured operator token; see auth.c). Draining and undraining act on
 * nodes every tenant shares, so they are for platform operators only
 * (API.md, /v1/infra): super_admin or the operator token; a tenant_admin gets 403. Each handler reads or writes the
 * registry on the async Redis connection and answers from its callback; the
 * state store's failures are answered by state_call.c. */
#include "gateway/gateway.h"
#include "gateway/node_registry.h"
#include "gateway/permissions.h"
#include "gateway/state_call.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool status_filter_valid(const char *s)
{
    return !s || !strcmp(s, "online") || !strcmp(s, "offline") || !strcmp(s, "draining");
}

static bool node_matches(const json_t *node, const char *engine, const char *status)
{
    if (status && strcmp(json_string_value(json_object_get(node, "status")), status) != 0)
        return false;
    if (!engine)
        return true;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(node, "engines"), i, e)
    {
        const char *id = json_string_value(json_object_get(e, "engine_id"));
        if (id && !strcmp(id, engine))
            return true;
    }
    return false;
}

static void on_list(void *user, json_t *nodes, const char *err)
{
    gw_request *r = user;
    if (!nodes) {
        gw_state_unavailable(r, err);
        return;
    }
    const char *engine = gw_query(r, "engine");
    const char *status = gw_query(r, "status");
    json_t *items = json_array();
    size_t i;
    json_t *node;
    json_array_foreach(nodes, i, node)
    {
        if (node_matches(node, engine, status))
            json_array_append(items, node);
    }
    json_decref(nodes);
    gw_reply_ok(r, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

void gw_handle_nodes_list(gw_request *r)
{
    const char *status = gw_query(r, "status");
    if (!status_filter_valid(status)) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "invalid filter",
                       json_pack("[{s:s,s:s}]", "field", "status", "message",
                                 "must be online, offline or draining"));
        return;
    }
    if (node_registry_list(r->gw->redis, r->id, on_list, r) != 0)
        gw_state_unavailable(r, ss_redis_connected(r->gw->redis) ? "out of memory" : "not connected");
}

static void on_single(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type == REDIS_REPLY_NIL) {
        gw_reply_error(r, SS_ERR_NODE_NOT_FOUND, "no node with this id", NULL);
        return;
    }
    json_t *node = node_object_from_reply(reply);
    if (!node) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "malformed node record", NULL);
        return;
    }
    gw_reply_ok(r, node);
}

/* Builds the three per-node keys; false (after answering 404) for a bad id. */
static bool node_keys(gw_request *r, char keys[3][GW_STATE_KEY_MAX])
{
    const char *id = r->params[0];
    if (!node_id_valid(id) || gw_state_key(keys[0], GW_STATE_KEY_MAX, GW_KEY_NODE, id, NULL) != 0 ||
        gw_state_key(keys[1], GW_STATE_KEY_MAX, GW_KEY_NODE_ALIVE, id, NULL) != 0 ||
        gw_state_key(keys[2], GW_STATE_KEY_MAX, GW_KEY_NODE_DRAIN, id, NULL) != 0) {
        gw_reply_error(r, SS_ERR_NODE_NOT_FOUND, "no node with this id", NULL);
        return false;
    }
    return true;
}

void gw_handle_node_get(gw_request *r)
{
    char keys[3][GW_STATE_KEY_MAX];
    if (!node_keys(r, keys))
        return;
    const char *k[] = {keys[0], keys[1], keys[2]};
    gw_state_eval(r, &NODE_REGISTRY_GET, 3, k, 0, NULL, on_single, NULL, NULL);
}

static bool is_platform_operator(const gw_caller *c)
{
    return c->kind == CALLER_OPERATOR_TOKEN || (ss_role)c->role == ROLE_SUPER_ADMIN;
}

static void set_drain(gw_request *r, bool drain_on)
{
    if (!is_platform_operator(&r->caller)) {
        ss_info(r->id, "%s of node %s refused: not a platform operator", drain_on ? "drain" : "undrain",
                r->params[0]);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED,
                       "draining shared nodes is for platform operators (super_admin or the operator token)",
                       NULL);
        return;
    }
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    const char *reason = "";
    if (body) {
        json_t *jr = json_object_get(body, "reason");
        if (!json_is_object(body) || (jr && !json_is_string(jr))) {
            json_decref(body);
            gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "invalid body",
                           json_pack("[{s:s,s:s}]", "field", "reason", "message",
                                     "body must be an object whose reason is a string"));
            return;
        }
        if (jr)
            reason = json_string_value(jr);
    }
    char keys[3][GW_STATE_KEY_MAX];
    if (!node_keys(r, keys)) {
        json_decref(body);
        return;
    }
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *d = json_pack("{s:s,s:s,s:s}", "reason", reason, "at", at, "request_id", r->id);
    char *dj = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    json_decref(body);
    if (!dj) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ss_info(r->id, "operator %s node %s", drain_on ? "drains" : "undrains", r->params[0]);
    const char *k[] = {keys[0], keys[1], keys[2]}, *args[] = {drain_on ? "1" : "0", dj};
    gw_state_eval(r, &NODE_REGISTRY_DRAIN, 3, k, 2, args, on_single, NULL, NULL);
    free(dj);
}

void gw_handle_node_drain(gw_request *r)
{
    set_drain(r, true);
}

void gw_handle_node_undrain(gw_request *r)
{
    set_drain(r, false);
}
