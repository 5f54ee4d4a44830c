/* Tenant policy: defaults, validation, storage script, and the
 * GET/PUT /admin/policy handlers (see tenant_policy.h). */
#include "gateway/tenant_policy.h"

#include "gateway/gateway.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/log.h"

#include <string.h>

/* KEYS: policy; ARGV: default policy JSON -> the stored policy (provisioned on first read) */
static const ss_redis_script POLICY_GET = {
    "policy_get",
    "redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
    "return redis.call('GET', KEYS[1])\n", .durable = false};

/* KEYS: policy; ARGV: policy JSON -> what is stored (SET then GET in one script) */
static const ss_redis_script POLICY_PUT = {
    "policy_put",
    "redis.call('SET', KEYS[1], ARGV[1])\n"
    "return redis.call('GET', KEYS[1])\n",
    .durable = true};

json_t *tenant_policy_default(void)
{
    return json_pack("{s:[s,s],s:s,s:i,s:{s:i,s:i,s:i}}", "allowed_backends", "A", "B",
                     "default_backend", GW_POLICY_DEFAULT_BACKEND, "async_threshold_chars",
                     GW_POLICY_ASYNC_THRESHOLD_DEFAULT, "rate_limits", "per_key",
                     GW_RATE_LIMIT_PER_KEY_DEFAULT, "per_user", GW_RATE_LIMIT_PER_USER_DEFAULT,
                     "per_tenant", GW_RATE_LIMIT_PER_TENANT_DEFAULT);
}

static void bad(json_t *details, const char *field, const char *msg)
{
    json_array_append_new(details, ss_detail(field, msg));
}

static void int_field(const json_t *obj, const char *name, const char *path, long lo, long hi,
                      json_t *out, json_t *details)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be an integer from %ld to %ld", lo, hi);
        bad(details, path, msg);
        return;
    }
    json_object_set(out, name, v);
}

/* Fields of the body this page does not know. */
static void unknown_fields(const json_t *body, json_t *details)
{
    static const char *const known[] = {"allowed_backends", "default_backend", "async_threshold_chars",
                                        "rate_limits"};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || !strcmp(key, known[i]);
        if (!ok)
            bad(details, key, "unknown field");
    }
}

static void read_allowed_backends(const json_t *body, json_t *p, json_t *details)
{
    json_t *ab = json_object_get(body, "allowed_backends");
    if (!ab)
        return;
    bool has_a = false, has_b = false, fine = json_is_array(ab) && json_array_size(ab) > 0;
    size_t i;
    json_t *e;
    json_array_foreach(ab, i, e)
    {
        const char *s = json_string_value(e);
        if (s && !strcmp(s, "A") && !has_a)
            has_a = true;
        else if (s && !strcmp(s, "B") && !has_b)
            has_b = true;
        else
            fine = false;
    }
    if (!fine)
        bad(details, "allowed_backends", "must be a non-empty list of distinct \"A\" and \"B\"");
    else
        json_object_set(p, "allowed_backends", ab);
}

/* default_backend "A" or "B", and one of the allowed ones: when the body
 * did not name one and the default is not allowed, the first allowed one. */
static void read_default_backend(const json_t *body, json_t *p, json_t *details)
{
    json_t *db = json_object_get(body, "default_backend");
    if (db) {
        const char *s = json_string_value(db);
        if (!s || (strcmp(s, "A") && strcmp(s, "B")))
            bad(details, "default_backend", "must be \"A\" or \"B\"");
        else
            json_object_set(p, "default_backend", db);
    }
    const char *d = json_string_value(json_object_get(p, "default_backend"));
    bool d_allowed = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(p, "allowed_backends"), i, e) d_allowed =
        d_allowed || !strcmp(json_string_value(e), d);
    if (d_allowed || json_array_size(details) > 0)
        return;
    if (db)
        bad(details, "default_backend", "must be one of allowed_backends");
    else
        json_object_set(p, "default_backend", json_array_get(json_object_get(p, "allowed_backends"), 0));
}

static void read_rate_limits(const json_t *body, json_t *p, json_t *details)
{
    json_t *rl = json_object_get(body, "rate_limits");
    if (!rl)
        return;
    if (!json_is_object(rl)) {
        bad(details, "rate_limits", "must be an object");
        return;
    }
    json_t *out = json_object_get(p, "rate_limits");
    const char *key;
    json_t *v;
    json_object_foreach(rl, key, v)
    {
        char path[80];
        snprintf(path, sizeof path, "rate_limits.%s", key);
        if (strcmp(key, "per_key") && strcmp(key, "per_user") && strcmp(key, "per_tenant"))
            bad(details, path, "unknown field");
        else
            int_field(rl, key, path, 1, 1000000, out, details);
    }
}

json_t *tenant_policy_validate(const json_t *body, json_t **details)
{
    *details = json_array();
    json_t *p = tenant_policy_default();
    if (!json_is_object(body)) {
        bad(*details, "body", "must be a JSON object");
        json_decref(p);
        return NULL;
    }
    unknown_fields(body, *details);
    read_allowed_backends(body, p, *details);
    read_default_backend(body, p, *details);
    int_field(body, "async_threshold_chars", "async_threshold_chars", 1, 100000, p, *details);
    read_rate_limits(body, p, *details);
    if (json_array_size(*details) > 0) {
        json_decref(p);
        return NULL;
    }
    json_decref(*details);
    *details = NULL;
    return p;
}

static void on_policy(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_STRING) {
        gw_state_unavailable(r, "unexpected reply to the policy script");
        return;
    }
    json_t *p = json_loadb(reply->str, reply->len, 0, NULL);
    if (!p) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "stored policy is not JSON", NULL);
        return;
    }
    gw_reply_ok(r, p);
}

/* The caller's policy key; false after answering when there is none. */
static bool policy_key(gw_request *r, char *key, size_t cap)
{
    if (!*r->caller.tenant_id) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller belongs to no tenant",
                       json_pack("[{s:s,s:s}]", "field", "tenant_id", "message", "required"));
        return false;
    }
    if (gw_state_key(key, cap, GW_KEY_TENANT_POLICY, r->caller.tenant_id, NULL) != 0) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller's tenant id is too long", NULL);
        return false;
    }
    return true;
}

void gw_handle_policy_get(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!policy_key(r, key, sizeof key))
        return;
    json_t *def = tenant_policy_default();
    char *dj = def ? json_dumps(def, JSON_COMPACT) : NULL;
    json_decref(def);
    if (!dj) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    const char *keys[] = {key}, *args[] = {dj};
    gw_state_eval(r, &POLICY_GET, 1, keys, 1, args, on_policy, NULL, NULL);
    free(dj);
}

void gw_handle_policy_put(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!policy_key(r, key, sizeof key))
        return;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    json_t *details = NULL;
    json_t *p = tenant_policy_validate(body, &details);
    json_decref(body);
    if (!p) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "invalid policy", details);
        return;
    }
    char *pj = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (!pj) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ss_info(r->id, "tenant %s policy set by %s", r->caller.tenant_id, r->caller.user_id);
    const char *keys[] = {key}, *args[] = {pj};
    gw_state_eval(r, &POLICY_PUT, 1, keys, 1, args, on_policy, NULL, NULL);
    free(pj);
}
