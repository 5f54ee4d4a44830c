/* Operator endpoints over the node registry: GET /v1/infra/nodes (filters
 * engine, status), GET /v1/infra/nodes/{id}, POST .../drain and .../undrain.
 *
 * The router lets only operators in (super_admin, tenant_admin, or the
 * configured operator token; see auth.c). Each handler runs
 * one registry script on the async Redis connection and answers from its
 * callback; with Redis unreachable the answer is a JSON 503 at once. */
#include "gateway/gateway.h"
#include "gateway/node_registry.h"

#include "common/log.h"

#include <string.h>
#include <time.h>

static void reply_state_unavailable(gw_request *r, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "state store (redis) unavailable: %s", why ? why : "not connected");
    gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, msg, NULL);
}

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

static void on_list(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err || reply->type != REDIS_REPLY_ARRAY) {
        reply_state_unavailable(r, err ? err : "unexpected reply");
        return;
    }
    const char *engine = gw_query(r, "engine");
    const char *status = gw_query(r, "status");
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *node = node_object_from_reply(reply->element[i]);
        if (!node) {
            ss_warn(r->id, "skipping a malformed node record");
            continue;
        }
        if (node_matches(node, engine, status))
            json_array_append(items, node);
        json_decref(node);
    }
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
    if (ss_redis_command(r->gw->redis, on_list, r, "EVAL", NODE_REGISTRY_LIST_LUA, "0", NULL) != 0)
        reply_state_unavailable(r, NULL);
}

static void on_single(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err) {
        reply_state_unavailable(r, err);
        return;
    }
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
static bool node_keys(gw_request *r, char *rec, char *alive, char *drain, size_t cap)
{
    const char *id = r->params[0];
    if (!node_id_valid(id)) {
        gw_reply_error(r, SS_ERR_NODE_NOT_FOUND, "no node with this id", NULL);
        return false;
    }
    snprintf(rec, cap, "ss:node:%s", id);
    snprintf(alive, cap, "ss:node:%s:alive", id);
    snprintf(drain, cap, "ss:node:%s:drain", id);
    return true;
}

void gw_handle_node_get(gw_request *r)
{
    char rec[200], alive[200], drain[200];
    if (!node_keys(r, rec, alive, drain, sizeof rec))
        return;
    if (ss_redis_command(r->gw->redis, on_single, r, "EVAL", NODE_REGISTRY_GET_LUA, "3", rec, alive,
                         drain, NULL) != 0)
        reply_state_unavailable(r, NULL);
}

static void set_drain(gw_request *r, bool drain_on)
{
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
    char rec[200], alive[200], drain[200];
    if (!node_keys(r, rec, alive, drain, sizeof rec)) {
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
    int rc = ss_redis_command(r->gw->redis, on_single, r, "EVAL", NODE_REGISTRY_DRAIN_LUA, "3", rec,
                              alive, drain, drain_on ? "1" : "0", dj, NULL);
    free(dj);
    if (rc != 0)
        reply_state_unavailable(r, NULL);
}

void gw_handle_node_drain(gw_request *r)
{
    set_drain(r, true);
}

void gw_handle_node_undrain(gw_request *r)
{
    set_drain(r, false);
}
