/* The caller's own account: GET /v1/me and the caller's API keys
 * (POST/GET /v1/api-keys, DELETE /v1/api-keys/{key_id}).
 *
 * A new key is shown exactly once, in the 201 answer; afterwards only its
 * key_id, name and 8-character hint are ever returned. A caller sees and
 * revokes only their own keys: anyone else's key id answers 404. */
#include "gateway/gateway.h"
#include "gateway/identity_store.h"
#include "gateway/permissions.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/api_keys.h"
#include "common/log.h"

#include <stdlib.h>
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

typedef struct {
    char key[SS_API_KEY_LEN + 1];
    char key_id[40];
    char name[128];
    char hint[16];
    char created_at[32];
} create_ctx;

static void create_ctx_free(void *p)
{
    create_ctx *cx = p;
    memset(cx->key, 0, sizeof cx->key);
    free(cx);
}

static void on_key_created(gw_request *r, void *user, const redisReply *reply)
{
    create_ctx *cx = user;
    if (reply->type != REDIS_REPLY_STRING) { /* nil: the script found no such user */
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED,
                       "API keys are made for users provisioned in ScaiSpeak; this caller has none", NULL);
    } else {
        ss_info(r->id, "API key %s created for user %s", cx->key_id, r->caller.user_id);
        gw_reply_json(r, 201,
                      ss_envelope_ok(json_pack("{s:s,s:s,s:s,s:s,s:s,s:n}", "key_id", cx->key_id,
                                               "key", cx->key, "name", cx->name, "hint", cx->hint,
                                               "created_at", cx->created_at, "revoked_at"),
                                     r->id));
    }
    create_ctx_free(cx);
}

/* POST /v1/api-keys takes one optional field, name; anything else is a
 * problem, so that nobody believes a key was scoped or given a role (a key
 * always holds its user's permissions). Problems in details; their count,
 * or -1 when out of memory. */
static int key_body_problems(const json_t *body, json_t *details)
{
    if (!body)
        return 0;
    if (!json_is_object(body))
        return json_array_append_new(details, ss_detail("body", "must be a JSON object")) ? -1 : 1;
    int n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        const char *why = strcmp(k, "name") ? "unknown field: a key takes only name (it holds its user's permissions)"
                          : !json_is_string(v) || json_string_length(v) > 100 ? "must be a string of at most 100 characters"
                                                                              : NULL;
        if (why && json_array_append_new(details, ss_detail(k, why)) != 0)
            return -1;
        n += why != NULL;
    }
    return n;
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
    json_t *details = json_array();
    int problems = details ? key_body_problems(body, details) : -1;
    if (gw_reply_field_problems(r, problems, details)) {
        json_decref(body);
        return;
    }
    if (json_object_get(body, "name"))
        name = json_string_value(json_object_get(body, "name"));
    create_ctx *cx = calloc(1, sizeof *cx);
    if (!cx) {
        json_decref(body);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (ss_api_key_generate(cx->key, sizeof cx->key) != 0 ||
        ss_id_new("key_", 16, cx->key_id, sizeof cx->key_id) != 0) {
        create_ctx_free(cx);
        json_decref(body);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "cannot generate a key (no randomness)", NULL);
        return;
    }
    snprintf(cx->name, sizeof cx->name, "%s", name);
    json_decref(body);
    snprintf(cx->hint, sizeof cx->hint, "%.12s", cx->key);
    now_iso(cx->created_at, sizeof cx->created_at);
    char hash[SS_SHA256_HEX_LEN + 1];
    ss_sha256_hex(cx->key, strlen(cx->key), hash);
    char k_user[GW_STATE_KEY_MAX], k_key[GW_STATE_KEY_MAX], k_id[GW_STATE_KEY_MAX], k_list[GW_STATE_KEY_MAX];
    if (gw_state_key(k_user, sizeof k_user, GW_KEY_USER, r->caller.user_id, NULL) != 0 ||
        gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, hash, NULL) != 0 ||
        gw_state_key(k_id, sizeof k_id, GW_KEY_APIKEY_ID, cx->key_id, NULL) != 0 ||
        gw_state_key(k_list, sizeof k_list, GW_KEY_USER_APIKEYS, r->caller.user_id, NULL) != 0) {
        create_ctx_free(cx);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller's user id is not usable", NULL);
        return;
    }
    const char *keys[] = {k_user, k_key, k_id, k_list};
    const char *args[] = {hash, cx->key_id, r->caller.user_id, cx->name, cx->hint, cx->created_at};
    gw_state_eval(r, &IDENTITY_CREATE_KEY, 4, keys, 6, args, on_key_created, cx, create_ctx_free);
}

/* Listing is three reads, each naming the keys of the next: the user's key
 * ids (SORT), their records' digests (MGET apikey_id:*), the records. */
static void on_key_records(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to the key records read");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *k = identity_hash_to_json(reply->element[i]);
        if (!k || json_object_size(k) == 0) {
            json_decref(k);
            continue;
        }
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

static void reply_no_keys(gw_request *r)
{
    gw_reply_ok(r, json_pack("{s:[],s:n}", "items", "next_cursor"));
}

static void on_key_digests(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to MGET of key ids");
        return;
    }
    gw_key_list keys = {0};
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *d = reply->element[i];
        if (d->type != REDIS_REPLY_STRING)
            continue; /* the id's record is gone */
        if (gw_key_list_add(&keys, GW_KEY_APIKEY, d->str, NULL) == GW_KEY_LIST_NO_MEMORY) {
            gw_key_list_free(&keys);
            gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
    }
    if (keys.n == 0) {
        reply_no_keys(r);
        return;
    }
    gw_state_eval(r, &IDENTITY_READ_HASHES, (int)keys.n, (const char *const *)keys.keys, 0, NULL,
                  on_key_records, NULL, NULL);
    gw_key_list_free(&keys);
}

static void on_key_ids(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to SORT of the user's keys");
        return;
    }
    const char **args = calloc(reply->elements + 1, sizeof *args);
    gw_key_list keys = {0};
    bool oom = !args;
    for (size_t i = 0; !oom && i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING &&
            gw_key_list_add(&keys, GW_KEY_APIKEY_ID, reply->element[i]->str, NULL) == GW_KEY_LIST_NO_MEMORY)
            oom = true;
    if (oom) {
        free(args);
        gw_key_list_free(&keys);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (keys.n == 0) {
        free(args);
        reply_no_keys(r);
        return;
    }
    args[0] = "MGET";
    for (size_t i = 0; i < keys.n; i++)
        args[i + 1] = keys.keys[i];
    gw_state_command(r, (int)keys.n + 1, args, on_key_digests, NULL, NULL);
    free(args);
    gw_key_list_free(&keys);
}

void gw_handle_api_keys_list(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (gw_state_key(key, sizeof key, GW_KEY_USER_APIKEYS, r->caller.user_id, NULL) != 0) {
        reply_no_keys(r);
        return;
    }
    const char *argv[] = {"SORT", key, "ALPHA"};
    gw_state_command(r, 3, argv, on_key_ids, NULL, NULL);
}

static void on_key_revoked(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_INTEGER) {
        gw_reply_error(r, SS_ERR_API_KEY_NOT_FOUND, "no such API key among yours", NULL);
        return;
    }
    ss_info(r->id, "API key %s revoked by user %s", r->params[0], r->caller.user_id);
    gw_reply_ok(r, json_pack("{s:s,s:b}", "key_id", r->params[0], "revoked", 1));
}

/* Revocation: the key id's digest (GET), then the script over both keys. */
static void on_revoke_digest(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    char k_id[GW_STATE_KEY_MAX], k_key[GW_STATE_KEY_MAX];
    if (reply->type != REDIS_REPLY_STRING ||
        gw_state_key(k_id, sizeof k_id, GW_KEY_APIKEY_ID, r->params[0], NULL) != 0 ||
        gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, reply->str, NULL) != 0) {
        gw_reply_error(r, SS_ERR_API_KEY_NOT_FOUND, "no such API key among yours", NULL);
        return;
    }
    char at[32];
    now_iso(at, sizeof at);
    const char *keys[] = {k_id, k_key}, *args[] = {reply->str, r->caller.user_id, at};
    gw_state_eval(r, &IDENTITY_REVOKE_KEY, 2, keys, 3, args, on_key_revoked, NULL, NULL);
}

void gw_handle_api_keys_revoke(gw_request *r)
{
    char k_id[GW_STATE_KEY_MAX];
    if (strlen(r->params[0]) > 64 ||
        gw_state_key(k_id, sizeof k_id, GW_KEY_APIKEY_ID, r->params[0], NULL) != 0) {
        gw_reply_error(r, SS_ERR_API_KEY_NOT_FOUND, "no such API key among yours", NULL);
        return;
    }
    const char *argv[] = {"GET", k_id};
    gw_state_command(r, 2, argv, on_revoke_digest, NULL, NULL);
}
