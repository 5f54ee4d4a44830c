/* Tenants, users and API keys in Redis (API.md §1, §6, §7).
 *
 * Keys:
 *   ss:tenants                 SET of tenant ids
 *   ss:tenant:{tid}            HASH tenant_id name created_at
 *   ss:tenant_name:{name}      STRING tenant id (names are unique)
 *   ss:tenant:{tid}:users      SET of user ids
 *   ss:user:{uid}              HASH user_id tenant_id name role grants created_at
 *   ss:apikey:{sha256 hex}     HASH key_id user_id tenant_id name hint created_at [revoked_at]
 *   ss:apikey_id:{key_id}      STRING the key's sha256 hex
 *   ss:user:{uid}:apikeys      SET of key ids
 * A key's secret is never stored: only its SHA-256 and an 8-character hint.
 * Revocation keeps the record (for the audit trail) with revoked_at set.
 * Every write is one Lua script, so a crash never leaves half an identity;
 * the same scripts serve the gateway (async) and the CLI (sync). */
#ifndef SS_GATEWAY_IDENTITY_STORE_H
#define SS_GATEWAY_IDENTITY_STORE_H

#include <hiredis/hiredis.h>
#include <jansson.h>

/* ARGV: tenant_id name created_at -> 1, or error "tenant name exists" */
extern const char IDENTITY_CREATE_TENANT_LUA[];
/* ARGV: user_id tenant_id name role grants created_at -> 1, or error "no such tenant" */
extern const char IDENTITY_CREATE_USER_LUA[];
/* ARGV: sha256 key_id user_id name hint created_at -> tenant id, or error "no such user" */
extern const char IDENTITY_CREATE_KEY_LUA[];
/* ARGV: key_id owner_user_id("" = any) revoked_at -> 1, or nil when absent/not owned */
extern const char IDENTITY_REVOKE_KEY_LUA[];
/* ARGV: sha256 -> nil | {"revoked"} | {key_fields, user_fields, tenant_fields} */
extern const char IDENTITY_LOOKUP_KEY_LUA[];
/* ARGV: user_id -> {key_fields, ...} */
extern const char IDENTITY_LIST_KEYS_LUA[];

/* A flat HGETALL-style reply ([k1, v1, k2, v2, ...]) as a JSON object of
 * strings; NULL when the reply is not such an array. */
json_t *identity_hash_to_json(const redisReply *flat);

#endif
