/* The authenticate and authorize phases (API.md §1; request_phases.h).
 *
 * Authenticate reads `Authorization: Bearer <credential>`:
 *   - the configured operator token: accepted only on operator routes
 *     (/v1/infra), as a platform operator with no tenant (request_phases.c
 *     lets that caller past authorization and rate limiting);
 *   - an API key ("sgk_..."): one script reads the record under its
 *     SHA-256 and the user and tenant it names (IDENTITY_READ_KEY_CALLER:
 *     one round trip; the ids are validated here as before); revoked or
 *     unknown keys answer 401 AUTH_TOKEN_INVALID. The script also returns
 *     the identity's fingerprint (IDENTITY_FP_FN) and the caller is kept
 *     in the gateway's identity cache (identity_cache.h). On routes
 *     flagged GW_ROUTE_VERIFIES_IDENTITY (/speak, /v1/audio/speech) a
 *     cached caller is used without that read: r->identity_fp tells the
 *     handler's first script (speak_context.c) to recompute the
 *     fingerprint before it counts anything. When it changed (revoked,
 *     deleted, role/grants/tenant edited), when authorize would refuse the
 *     cached caller, or when the handler would refuse its body,
 *     gw_authenticate_again drops the entry and runs the request again
 *     from this phase without the cache: every answer, refusals and the
 *     failed-authentication count included, is what an uncached request
 *     gets (docs/SECURITY.md "Revocation takes effect on the next
 *     request"). JWT callers and the other routes never use the cache;
 *   - a JWT (three dot-separated parts) from ScaiKey: RS256/ES256 verified
 *     against the JWKS (jwks_cache.c; an unknown kid triggers one rate-limited
 *     refresh and one retry), exp/nbf/iss/aud checked; expired → 401
 *     SESSION_EXPIRED, anything else wrong → 401 AUTH_TOKEN_INVALID. Claims
 *     used: sub (user), tenant_id, role, scope (adds permissions). When sub
 *     names a user provisioned here (ss:user:{sub}), the token's tenant_id
 *     must be that user's tenant, else 401 AUTH_TOKEN_INVALID: the token's
 *     claims contradict each other, so no identity is established (the same
 *     answer as an API key whose record and user disagree; 403 would say
 *     "we know who you are"). A sub with no record here is a ScaiKey user
 *     with no ScaiSpeak data, bound by nothing but its token.
 * Every wrong or expired credential counts against its source address
 * (auth_failures.h); an address over auth_failures_per_minute gets 429
 * before its credential is looked at.
 * Authorize checks the route's need: NEED_CALLER (any user), NEED_OPERATOR
 * (super_admin or tenant_admin), or PERM_* bits (all required) → 403
 * AUTHZ_PERMISSION_DENIED when missing; the caller is known by then, so the
 * refusal goes through the rate limiter first and carries its
 * X-Scaispeak-Ratelimit-* headers (or becomes the 429). Secrets are compared
 * as SHA-256 digests with CRYPTO_memcmp, so timing reveals nothing about
 * them. */
#include "gateway/auth_failures.h"
#include "gateway/gateway.h"
#include "gateway/identity_cache.h"
#include "gateway/identity_store.h"
#include "gateway/jwks_cache.h"
#include "gateway/permissions.h"
#include "gateway/rate_limit.h"
#include "gateway/request_phases.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/api_keys.h"
#include "common/jwt.h"
#include "common/log.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool is_operator_token(const gw_server *gw, const char *given)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)given, strlen(given), a);
    SHA256((const unsigned char *)gw->operator_token, strlen(gw->operator_token), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

/* The peer's address, or "unknown" (counted together). */
static const char *source_address(gw_request *r)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
    char *host = NULL;
    ev_uint16_t port = 0;
    if (conn)
        evhttp_connection_get_peer(conn, &host, &port);
    return host && *host ? host : "unknown";
}

/* A presented credential that is wrong or expired: counted, then 401. */
static void refuse(gw_request *r, ss_api_error e, const char *message)
{
    auth_failures_record(source_address(r), time(NULL));
    gw_reply_error(r, e, message, NULL);
}

/* 429 when the source address has failed too often; true when answered. */
static bool refused_for_failures(gw_request *r)
{
    long retry_after = 0;
    const char *addr = source_address(r);
    if (!auth_failures_blocked(addr, r->gw->settings->auth_failures_per_minute, time(NULL), &retry_after))
        return false;
    ss_info(r->id, "authentication refused: too many failed authentications from %s", addr);
    char num[32];
    snprintf(num, sizeof num, "%ld", retry_after);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", num);
    json_t *body = ss_envelope_error(SS_ERR_RATE_LIMITED, "too many failed authentications; retry later",
                                     NULL, r->id);
    json_object_set_new(json_object_get(body, "error"), "retry_after", json_integer(retry_after));
    gw_reply_json(r, 429, body);
    return true;
}

static bool looks_like_jwt(const char *s)
{
    const char *d1 = strchr(s, '.');
    return d1 && strchr(d1 + 1, '.') != NULL;
}

/* A refusal of a known caller, answered once the rate limiter has counted
 * it (so it carries the rate-limit headers). */
typedef struct {
    char message[300];
    json_t *details;
} denial;

static void denial_free(void *p)
{
    denial *d = p;
    json_decref(d->details);
    free(d);
}

static void reply_denial(gw_request *r, void *user)
{
    denial *d = user;
    gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, d->message, json_incref(d->details));
    denial_free(d);
}

static void deny(gw_request *r, const char *message, json_t *details)
{
    denial *d = calloc(1, sizeof *d);
    if (!d) {
        json_decref(details);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    snprintf(d->message, sizeof d->message, "%s", message);
    d->details = details;
    gw_rate_limit_check(r, reply_denial, d, denial_free);
}

void gw_authorize(gw_request *r)
{
    const gw_caller *c = &r->caller;
    unsigned need = r->need;
    unsigned perms = need & PERM_ALL;
    bool operator_missing = (need & NEED_OPERATOR) && c->kind != CALLER_OPERATOR_TOKEN &&
                            !ss_role_is_operator((ss_role)c->role);
    if ((operator_missing || (perms && (c->permissions & perms) != perms)) && r->identity_fp[0]) {
        /* never refuse on cached data: the identity may have changed */
        gw_authenticate_again(r, "would be refused");
        return;
    }
    if (operator_missing) {
        deny(r, "operators only (super_admin or tenant_admin)", NULL);
        return;
    }
    if (perms && (c->permissions & perms) != perms) {
        json_t *missing = ss_permissions_json(perms & ~c->permissions);
        char *names = json_dumps(missing, JSON_COMPACT);
        char msg[300];
        snprintf(msg, sizeof msg, "missing permission %s", names ? names : "");
        free(names);
        json_decref(missing);
        deny(r, msg, NULL);
        return;
    }
    gw_phase_next(r);
}

static void copy_field(char *dst, size_t cap, const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    snprintf(dst, cap, "%s", v ? v : "");
}

/* Remembers r's caller for the key's next requests (identity_cache.h), when
 * the script gave the identity's fingerprint and the user hash is the one
 * the key names (the keys the verifying script reads are built from the
 * caller's ids). */
static void remember_caller(gw_request *r, const json_t *key, const redisReply *fp)
{
    const char *key_user = json_string_value(json_object_get(key, "user_id"));
    if (!r->gw->identity_cache || !fp || fp->type != REDIS_REPLY_STRING || !r->key_hash[0] || !key_user ||
        strcmp(key_user, r->caller.user_id) != 0)
        return;
    if (identity_cache_put(r->gw->identity_cache, r->key_hash, &r->caller, fp->str, r->started) != 0)
        ss_warn(r->id, "identity fingerprint of %zu bytes not cached", fp->len);
}

/* The caller of a live key: its user's and tenant's hashes (NULL when the
 * script did not read them) and the identity's fingerprint (NULL: none).
 * Takes `key`. */
static void caller_from_key(gw_request *r, json_t *key, const redisReply *user_hash,
                            const redisReply *tenant_hash, const redisReply *fp)
{
    json_t *usr = identity_hash_to_json(user_hash);
    json_t *ten = identity_hash_to_json(tenant_hash);
    const char *key_tenant = json_string_value(json_object_get(key, "tenant_id"));
    const char *user_tenant = json_string_value(json_object_get(usr, "tenant_id"));
    if (!usr || !ten || json_object_size(usr) == 0 || !key_tenant || !user_tenant ||
        strcmp(key_tenant, user_tenant) != 0) {
        json_decref(key);
        json_decref(usr);
        json_decref(ten);
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "API key not recognised");
        return;
    }
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
    remember_caller(r, key, fp);
    json_decref(key);
    json_decref(usr);
    json_decref(ten);
    gw_phase_next(r);
}

/* IDENTITY_READ_KEY_CALLER's answer: {record} or {record, user, tenant, fingerprint}. */
static void on_key_and_caller(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    bool is_array = reply->type == REDIS_REPLY_ARRAY;
    const redisReply *record = is_array && reply->elements >= 1 ? reply->element[0] : NULL;
    switch (identity_key_record_state(record)) {
    case IDENTITY_KEY_ABSENT:
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "API key not recognised");
        return;
    case IDENTITY_KEY_REVOKED:
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "API key revoked");
        return;
    case IDENTITY_KEY_LIVE:
        break;
    }
    json_t *key = identity_hash_to_json(record);
    if (!key) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    /* The ids must make the keys gw_state_key would (the script built them
     * from the same prefixes); a record naming an unusable id is refused. */
    const char *uid = json_string_value(json_object_get(key, "user_id"));
    const char *tid = json_string_value(json_object_get(key, "tenant_id"));
    char k_user[GW_STATE_KEY_MAX], k_tenant[GW_STATE_KEY_MAX];
    if (gw_state_key(k_user, sizeof k_user, GW_KEY_USER, uid, NULL) != 0 ||
        gw_state_key(k_tenant, sizeof k_tenant, GW_KEY_TENANT, tid, NULL) != 0 ||
        reply->elements < 3) {
        json_decref(key);
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "API key not recognised");
        return;
    }
    caller_from_key(r, key, reply->element[1], reply->element[2],
                    reply->elements > 3 ? reply->element[3] : NULL);
}

/* The tenant of the user a verified JWT names: nil (not provisioned here)
 * or the token's own tenant_id lets it on; anything else is refused. */
static void on_jwt_user_tenant(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type == REDIS_REPLY_NIL) {
        gw_phase_next(r);
        return;
    }
    if (reply->type != REDIS_REPLY_STRING) {
        gw_state_unavailable(r, "unexpected reply to the JWT user's tenant read");
        return;
    }
    if (strcmp(reply->str, r->caller.tenant_id) != 0) {
        ss_warn(r->id, "JWT for user %s names tenant \"%s\" but the user belongs to tenant %s; refused",
                r->caller.user_id, r->caller.tenant_id, reply->str);
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "the token's tenant_id is not the tenant of its user");
        return;
    }
    gw_phase_next(r);
}

/* Verifies the request's JWT; may_refresh allows one JWKS refresh on an
 * unknown kid (the request then resumes in on_jwks_refreshed). */
static void authenticate_jwt(gw_request *r, bool may_refresh);

static void on_jwks_refreshed(void *user)
{
    authenticate_jwt(user, false);
}

static void authenticate_jwt(gw_request *r, bool may_refresh)
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
    if (res == SS_JWT_UNKNOWN_KID && may_refresh && jwks_cache_refresh(jc, on_jwks_refreshed, r) == 0)
        return;
    if (res != SS_JWT_OK) {
        ss_info(r->id, "JWT rejected: %s", why);
        refuse(r, res == SS_JWT_EXPIRED ? SS_ERR_SESSION_EXPIRED : SS_ERR_AUTH_TOKEN_INVALID, why);
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
    char k_user[GW_STATE_KEY_MAX];
    if (!*c->user_id || (!*c->tenant_id && c->role != ROLE_SUPER_ADMIN)) {
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "JWT lacks sub or tenant_id");
        return;
    }
    if (gw_state_key(k_user, sizeof k_user, GW_KEY_USER, c->user_id, NULL) != 0) {
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "JWT sub is not a usable user id");
        return;
    }
    const char *argv[] = {"HGET", k_user, "tenant_id"};
    gw_state_command(r, 3, argv, on_jwt_user_tenant, NULL, NULL);
}

void gw_authenticate(gw_request *r)
{
    const char *auth = gw_header(r, "Authorization");
    if (!auth || !*auth) {
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_MISSING, "Authorization: Bearer <credential> is required", NULL);
        return;
    }
    if (refused_for_failures(r))
        return;
    if (strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
        refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "expected a Bearer credential");
        return;
    }
    const char *cred = auth + 7;
    if ((r->need & NEED_OPERATOR) && is_operator_token(r->gw, cred)) {
        r->caller.kind = CALLER_OPERATOR_TOKEN;
        r->caller.role = ROLE_SUPER_ADMIN;
        r->caller.permissions = PERM_ALL;
        gw_phase_next(r);
        return;
    }
    if (ss_api_key_well_formed(cred)) {
        char hash[SS_SHA256_HEX_LEN + 1], k_key[GW_STATE_KEY_MAX];
        ss_sha256_hex(cred, strlen(cred), hash);
        snprintf(r->key_hash, sizeof r->key_hash, "%s", hash);
        if ((r->route_flags & GW_ROUTE_VERIFIES_IDENTITY) && !r->identity_uncached && r->gw->identity_cache &&
            identity_cache_get(r->gw->identity_cache, hash, r->started, &r->caller, r->identity_fp)) {
            gw_phase_next(r); /* the handler's first script checks r->identity_fp */
            return;
        }
        gw_state_key(k_key, sizeof k_key, GW_KEY_APIKEY, hash, NULL); /* 64 hex digits always fit */
        char user_prefix[GW_STATE_KEY_MAX], tenant_prefix[GW_STATE_KEY_MAX];
        gw_state_key(user_prefix, sizeof user_prefix, GW_KEY_USER, "", NULL);
        gw_state_key(tenant_prefix, sizeof tenant_prefix, GW_KEY_TENANT, "", NULL);
        const char *keys[] = {k_key};
        const char *args[] = {user_prefix, tenant_prefix};
        gw_state_eval(r, &IDENTITY_READ_KEY_CALLER, 1, keys, 2, args, on_key_and_caller, NULL, NULL);
        return;
    }
    if (looks_like_jwt(cred)) {
        authenticate_jwt(r, true);
        return;
    }
    refuse(r, SS_ERR_AUTH_TOKEN_INVALID, "credential not recognised");
}

void gw_authenticate_again(gw_request *r, const char *why)
{
    ss_info(r->id, "cached identity of API key %s %s; reading it again", r->caller.key_id, why);
    if (r->gw->identity_cache)
        identity_cache_drop(r->gw->identity_cache, r->key_hash);
    memset(&r->caller, 0, sizeof r->caller);
    r->identity_fp[0] = '\0';
    r->identity_uncached = true;
    /* what the first run's handler added (an OpenAI instructions header) goes */
    evhttp_clear_headers(evhttp_request_get_output_headers(r->req));
    gw_phases_restart(r);
}
