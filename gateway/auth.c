/* Caller authentication and the permission gate (API.md §1).
 *
 * `Authorization: Bearer <credential>`:
 *   - the configured operator token: accepted only on operator routes
 *     (/v1/infra), as a platform operator with no tenant;
 *   - an API key ("sgk_..."): its SHA-256 is looked up in Redis with one Lua
 *     script that also returns the user and tenant; revoked or unknown keys
 *     answer 401 AUTH_TOKEN_INVALID;
 *   - a JWT (three dot-separated parts) from ScaiKey: RS256/ES256 verified
 *     against the JWKS (jwks_cache.c; an unknown kid triggers one rate-limited
 *     refresh and one retry), exp/nbf/iss/aud checked; expired → 401
 *     SESSION_EXPIRED, anything else wrong → 401 AUTH_TOKEN_INVALID. Claims
 *     used: sub (user), tenant_id, role, scope (adds permissions).
 * Then the route's need is checked: NEED_CALLER (any user), NEED_OPERATOR
 * (super_admin or tenant_admin), or PERM_* bits (all required) → 403
 * AUTHZ_PERMISSION_DENIED when missing. Secrets are compared as SHA-256
 * digests with CRYPTO_memcmp, so timing reveals nothing about them. */
#include "gateway/gateway.h"
#include "gateway/identity_store.h"
#include "gateway/jwks_cache.h"
#include "gateway/permissions.h"
#include "gateway/rate_limit.h"

#include "common/api_keys.h"
#include "common/jwt.h"
#include "common/log.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    gw_request *r;
    unsigned need;
    gw_handler_fn next;
} auth_pending;

static bool is_operator_token(const gw_server *gw, const char *given)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)given, strlen(given), a);
    SHA256((const unsigned char *)gw->operator_token, strlen(gw->operator_token), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

static bool looks_like_jwt(const char *s)
{
    const char *d1 = strchr(s, '.');
    return d1 && strchr(d1 + 1, '.') != NULL;
}

/* Checks the need against a resolved caller; answers 403 and returns false
 * when it is not met. */
static bool need_met(gw_request *r, unsigned need)
{
    const gw_caller *c = &r->caller;
    if ((need & NEED_OPERATOR) && c->kind != CALLER_OPERATOR_TOKEN &&
        !ss_role_is_operator((ss_role)c->role)) {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED,
                       "operators only (super_admin or tenant_admin)", NULL);
        return false;
    }
    unsigned perms = need & PERM_ALL;
    if (perms && (c->permissions & perms) != perms) {
        json_t *missing = ss_permissions_json(perms & ~c->permissions);
        char *names = json_dumps(missing, JSON_COMPACT);
        char msg[300];
        snprintf(msg, sizeof msg, "missing permission %s", names ? names : "");
        free(names);
        json_decref(missing);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, msg, NULL);
        return false;
    }
    return true;
}

static void copy_field(char *dst, size_t cap, const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    snprintf(dst, cap, "%s", v ? v : "");
}

static void on_key_lookup(void *user, const redisReply *reply, const char *err)
{
    auth_pending *p = user;
    gw_request *r = p->r;
    unsigned need = p->need;
    gw_handler_fn next = p->next;
    free(p);
    if (err) {
        char msg[300];
        snprintf(msg, sizeof msg, "state store (redis) unavailable: %s", err);
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, msg, NULL);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        const char *why = (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1)
                              ? "API key revoked"
                              : "API key not recognised";
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID, why, NULL);
        return;
    }
    json_t *key = identity_hash_to_json(reply->element[0]);
    json_t *usr = identity_hash_to_json(reply->element[1]);
    json_t *ten = identity_hash_to_json(reply->element[2]);
    gw_caller *c = &r->caller;
    c->kind = CALLER_API_KEY;
    copy_field(c->key_id, sizeof c->key_id, key, "key_id");
    copy_field(c->user_id, sizeof c->user_id, usr, "user_id");
    copy_field(c->user_name, sizeof c->user_name, usr, "name");
    copy_field(c->tenant_id, sizeof c->tenant_id, usr, "tenant_id");
    copy_field(c->tenant_name, sizeof c->tenant_name, ten, "name");
    c->role = ss_role_parse(json_string_value(json_object_get(usr, "role")));
    c->permissions = ss_role_default_permissions((ss_role)c->role) |
                     ss_permissions_parse_list(json_string_value(json_object_get(usr, "grants")));
    json_decref(key);
    json_decref(usr);
    json_decref(ten);
    if (!need_met(r, need))
        return;
    gw_rate_limit(r, next);
}

/* Verifies the request's JWT; may_refresh allows one JWKS refresh on an
 * unknown kid (the request then resumes in on_jwks_refreshed). */
static void authenticate_jwt(gw_request *r, unsigned need, gw_handler_fn next, bool may_refresh);

static void on_jwks_refreshed(void *user)
{
    auth_pending *p = user;
    gw_request *r = p->r;
    unsigned need = p->need;
    gw_handler_fn next = p->next;
    free(p);
    authenticate_jwt(r, need, next, false);
}

static void authenticate_jwt(gw_request *r, unsigned need, gw_handler_fn next, bool may_refresh)
{
    jwks_cache *jc = r->gw->jwks;
    if (!jwks_cache_configured(jc)) {
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID,
                       "JWTs are not accepted: no ScaiKey JWKS is configured (jwks_path / jwks_url)", NULL);
        return;
    }
    const char *token = gw_header(r, "Authorization") + 7;
    ss_jwt_expect ex = {
        .issuer = r->gw->settings->jwt_issuer,
        .audience = r->gw->settings->jwt_audience,
        .leeway_s = r->gw->settings->jwt_leeway_s,
        .now = (long)time(NULL),
    };
    json_t *claims = NULL;
    char kid[128], why[256];
    ss_jwt_result res = ss_jwt_verify(jwks_cache_keys(jc), token, &ex, &claims, kid, sizeof kid, why,
                                      sizeof why);
    if (res == SS_JWT_UNKNOWN_KID && may_refresh) {
        auth_pending *p = malloc(sizeof *p);
        if (p) {
            *p = (auth_pending){r, need, next};
            if (jwks_cache_refresh(jc, on_jwks_refreshed, p) == 0)
                return;
            free(p);
        }
    }
    if (res != SS_JWT_OK) {
        ss_info(r->id, "JWT rejected: %s", why);
        gw_reply_error(r, res == SS_JWT_EXPIRED ? SS_ERR_SESSION_EXPIRED : SS_ERR_AUTH_TOKEN_INVALID,
                       why, NULL);
        return;
    }
    gw_caller *c = &r->caller;
    c->kind = CALLER_JWT;
    copy_field(c->user_id, sizeof c->user_id, claims, "sub");
    copy_field(c->user_name, sizeof c->user_name, claims, "name");
    copy_field(c->tenant_id, sizeof c->tenant_id, claims, "tenant_id");
    c->role = ss_role_parse(json_string_value(json_object_get(claims, "role")));
    c->permissions = ss_role_default_permissions((ss_role)c->role) |
                     ss_permissions_parse_list(json_string_value(json_object_get(claims, "scope")));
    json_decref(claims);
    if (!*c->user_id || (!*c->tenant_id && c->role != ROLE_SUPER_ADMIN)) {
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID, "JWT lacks sub or tenant_id", NULL);
        return;
    }
    if (!need_met(r, need))
        return;
    gw_rate_limit(r, next);
}

void gw_authenticate(gw_request *r, unsigned need, gw_handler_fn next)
{
    const char *auth = gw_header(r, "Authorization");
    if (!auth || !*auth) {
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_MISSING, "Authorization: Bearer <credential> is required", NULL);
        return;
    }
    if (strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID, "expected a Bearer credential", NULL);
        return;
    }
    const char *cred = auth + 7;
    if ((need & NEED_OPERATOR) && is_operator_token(r->gw, cred)) {
        r->caller.kind = CALLER_OPERATOR_TOKEN;
        r->caller.role = ROLE_SUPER_ADMIN;
        r->caller.permissions = PERM_ALL;
        next(r);
        return;
    }
    if (ss_api_key_well_formed(cred)) {
        char hash[SS_SHA256_HEX_LEN + 1];
        ss_sha256_hex(cred, strlen(cred), hash);
        auth_pending *p = malloc(sizeof *p);
        if (!p) {
            gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        *p = (auth_pending){r, need, next};
        if (ss_redis_command(r->gw->redis, on_key_lookup, p, "EVAL", IDENTITY_LOOKUP_KEY_LUA, "0",
                             hash, NULL) != 0) {
            free(p);
            gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "state store (redis) unavailable", NULL);
        }
        return;
    }
    if (looks_like_jwt(cred)) {
        authenticate_jwt(r, need, next, true);
        return;
    }
    gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID, "credential not recognised", NULL);
}
