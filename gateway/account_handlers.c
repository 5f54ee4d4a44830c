/* The caller's own account: GET /v1/me and the caller's API keys
 * (POST/GET /v1/api-keys, DELETE /v1/api-keys/{key_id}).
 *
 * A new key is shown exactly once, in the 201 answer; afterwards only its
 * key_id, name and 8-character hint are ever returned. A caller sees and
 * revokes only their own keys: anyone else's key id answers 404. */
#include "gateway/gateway.h"
#include "gateway/identity_store.h"
#include "gateway/permissions.h"

#include "common/api_keys.h"
#include "common/log.h"

#include <string.h>
#include <time.h>

static void now_iso(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind_name(gw_caller_kind k)
{
    switch (k) {
    case CALLER_API_KEY: return "api_key";
    case CALLER_JWT: return "jwt";
    case CALLER_OPERATOR_TOKEN: return "operator_token";
    case CALLER_NONE: break;
    }
    return "none";
}

void gw_handle_me(gw_request *r)
{
    const gw_caller *c = &r->caller;
    gw_reply_ok(r, json_pack("{s:{s:s,s:s,s:s,s:s?},s:{s:s,s:s},s:s,s:o}", "caller", "kind",
                             kind_name(c->kind), "user_id", c->user_id, "name", c->user_name,
                             "key_id", *c->key_id ? c->key_id : NULL, "tenant", "tenant_id",
                             c->tenant_id, "name", c->tenant_name, "role",
                             ss_role_name((ss_role)c->role), "permissions",
                             ss_permissions_json(c->permissions)));
}

static void reply_redis_down(gw_request *r, const char *err)
{
    char msg[300];
    snprintf(msg, sizeof msg, "state store (redis) unavailable: %s", err ? err : "not connected");
    gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, msg, NULL);
}

typedef struct {
    gw_request *r;
    char key[SS_API_KEY_LEN + 1];
    char key_id[40];
    char name[128];
    char hint[16];
    char created_at[32];
} create_ctx;

static void on_key_created(void *user, const redisReply *reply, const char *err)
{
    create_ctx *cx = user;
    gw_request *r = cx->r;
    if (err && strstr(err, "no such user")) {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED,
                       "API keys are made for users provisioned in ScaiSpeak; this caller has none", NULL);
    } else if (err) {
        reply_redis_down(r, err);
    } else {
        ss_info(r->id, "API key %s created for user %s", cx->key_id, r->caller.user_id);
        (void)reply;
        gw_reply_json(r, 201,
                      ss_envelope_ok(json_pack("{s:s,s:s,s:s,s:s,s:s,s:n}", "key_id", cx->key_id,
                                               "key", cx->key, "name", cx->name, "hint", cx->hint,
                                               "created_at", cx->created_at, "revoked_at"),
                                     r->id));
    }
    memset(cx->key, 0, sizeof cx->key);
    free(cx);
}

void gw_handle_api_keys_create(gw_request *r)
{
    if (r->caller.kind != CALLER_API_KEY && r->caller.kind != CALLER_JWT) {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "API keys belong to users", NULL);
        return;
    }
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    const char *name = "";
    if (body) {
        json_t *jn = json_object_get(body, "name");
        if (!json_is_object(body) || (jn && (!json_is_string(jn) || json_string_length(jn) > 100))) {
            json_decref(body);
            gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "invalid body",
                           json_pack("[{s:s,s:s}]", "field", "name", "message",
                                     "must be a string of at most 100 characters"));
            return;
        }
        if (jn)
            name = json_string_value(jn);
    }
    create_ctx *cx = calloc(1, sizeof *cx);
    if (!cx || ss_api_key_generate(cx->key, sizeof cx->key) != 0 ||
        ss_id_new("key_", 16, cx->key_id, sizeof cx->key_id) != 0) {
        free(cx);
        json_decref(body);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "cannot generate a key", NULL);
        return;
    }
    cx->r = r;
    snprintf(cx->name, sizeof cx->name, "%s", name);
    json_decref(body);
    snprintf(cx->hint, sizeof cx->hint, "%.12s", cx->key);
    now_iso(cx->created_at, sizeof cx->created_at);
    char hash[SS_SHA256_HEX_LEN + 1];
    ss_sha256_hex(cx->key, strlen(cx->key), hash);
    if (ss_redis_command(r->gw->redis, on_key_created, cx, "EVAL", IDENTITY_CREATE_KEY_LUA, "0", hash,
                         cx->key_id, r->caller.user_id, cx->name, cx->hint, cx->created_at,
                         NULL) != 0) {
        memset(cx->key, 0, sizeof cx->key);
        free(cx);
        reply_redis_down(r, NULL);
    }
}

static void on_keys_listed(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err || reply->type != REDIS_REPLY_ARRAY) {
        reply_redis_down(r, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *k = identity_hash_to_json(reply->element[i]);
        if (!k)
            continue;
        json_t *out = json_pack("{s:O,s:O,s:O,s:O}", "key_id", json_object_get(k, "key_id"), "name",
                                json_object_get(k, "name"), "hint", json_object_get(k, "hint"),
                                "created_at", json_object_get(k, "created_at"));
        json_t *rev = json_object_get(k, "revoked_at");
        if (out) {
            json_object_set(out, "revoked_at", rev ? rev : json_null());
            json_array_append_new(items, out);
        }
        json_decref(k);
    }
    gw_reply_ok(r, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

void gw_handle_api_keys_list(gw_request *r)
{
    if (ss_redis_command(r->gw->redis, on_keys_listed, r, "EVAL", IDENTITY_LIST_KEYS_LUA, "0",
                         r->caller.user_id, NULL) != 0)
        reply_redis_down(r, NULL);
}

static void on_key_revoked(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err) {
        reply_redis_down(r, err);
        return;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        gw_reply_error(r, SS_ERR_API_KEY_NOT_FOUND, "no such API key among yours", NULL);
        return;
    }
    ss_info(r->id, "API key %s revoked by user %s", r->params[0], r->caller.user_id);
    gw_reply_ok(r, json_pack("{s:s,s:b}", "key_id", r->params[0], "revoked", 1));
}

void gw_handle_api_keys_revoke(gw_request *r)
{
    char at[32];
    now_iso(at, sizeof at);
    if (strlen(r->params[0]) > 64) {
        gw_reply_error(r, SS_ERR_API_KEY_NOT_FOUND, "no such API key among yours", NULL);
        return;
    }
    if (ss_redis_command(r->gw->redis, on_key_revoked, r, "EVAL", IDENTITY_REVOKE_KEY_LUA, "0",
                         r->params[0], r->caller.user_id, at, NULL) != 0)
        reply_redis_down(r, NULL);
}
