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

#include "common/redis_async.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>

/* Every key comes in KEYS[], built with gw_state_key() (state_keys.h).
 * Lookups that follow a stored id to another key (a key id to its record)
 * are two steps: a plain read, then a script over the keys it named. One
 * exception, IDENTITY_READ_KEY_CALLER: an API key's check on every request
 * follows the record to its user and tenant inside the script (a Redis
 * round trip and a gateway wake-up less per request, docs/PERFORMANCE.md
 * issue 12); the keys it builds come from ARGV prefixes made by
 * gw_state_key, and the gateway still validates the ids with gw_state_key
 * before it trusts what was read. Fine for one primary (with Sentinel); a
 * Redis Cluster would need a hash tag. */

/* KEYS: tenant_name:{name} tenant:{tid} tenants; ARGV: tenant_id name created_at
 * -> 1, or error "tenant name exists" */
extern const ss_redis_script IDENTITY_CREATE_TENANT;
/* KEYS: tenant:{tid} user:{uid} tenant:{tid}:users; ARGV: user_id tenant_id name role grants
 * created_at -> 1, or error "no such tenant" */
extern const ss_redis_script IDENTITY_CREATE_USER;
/* KEYS: user:{uid} apikey:{sha} apikey_id:{key_id} user:{uid}:apikeys;
 * ARGV: sha256 key_id user_id name hint created_at -> the user's tenant id, or nil (no such user) */
extern const ss_redis_script IDENTITY_CREATE_KEY;
/* After GET apikey_id:{key_id} gave sha:
 * KEYS: apikey_id:{key_id} apikey:{sha}; ARGV: sha owner_user_id("" = any) revoked_at
 * -> 1, or nil when absent, not owned, or changed meanwhile */
extern const ss_redis_script IDENTITY_REVOKE_KEY;
/* KEYS: any hashes -> {HGETALL of each} (the API key's user and tenant; a user's keys) */
extern const ss_redis_script IDENTITY_READ_HASHES;
/* identity_fp({flat1, flat2, flat3}): the fingerprint of an API key's
 * identity: the sha1 hex of the HGETALL replies of its record, its user and
 * its tenant, each field and value length-prefixed ("<len>:<bytes>"), the
 * pairs of each hash sorted (HGETALL's order is not part of a hash's
 * content) and each hash prefixed with its pair count, so no two different
 * contents give the same text. Any change of the three hashes (revocation,
 * deletion, role, grants, tenant, name) changes it. Shared by
 * IDENTITY_READ_KEY_CALLER (which returns it for identity_cache.h) and
 * speak_context.c's first script (which recomputes it before counting a
 * request whose caller came from the cache). */
#define IDENTITY_FP_FN                                                                          \
    "local function identity_fp(hashes)\n"                                                     \
    "  local parts = {}\n"                                                                     \
    "  for h, flat in ipairs(hashes) do\n"                                                     \
    "    local kv = {}\n"                                                                      \
    "    for i = 1, #flat - 1, 2 do\n"                                                         \
    "      kv[#kv + 1] = #flat[i] .. ':' .. flat[i] .. #flat[i + 1] .. ':' .. flat[i + 1]\n"   \
    "    end\n"                                                                                \
    "    table.sort(kv)\n"                                                                     \
    "    parts[h] = #kv .. '#' .. table.concat(kv)\n"                                          \
    "  end\n"                                                                                  \
    "  return redis.sha1hex(table.concat(parts, '|'))\n"                                       \
    "end\n"

/* KEYS: apikey:{sha}; ARGV: the user key's prefix (gw_state_key(GW_KEY_USER,
 * "")), the tenant key's -> {record} when the record lacks user_id or
 * tenant_id (absent key included), else {record, HGETALL user:{user_id},
 * HGETALL tenant:{tenant_id}, identity_fp of the three}; revoked keys too
 * (the caller decides). */
extern const ss_redis_script IDENTITY_READ_KEY_CALLER;

/* A flat HGETALL-style reply ([k1, v1, k2, v2, ...]) as a JSON object of
 * strings; NULL when the reply is not such an array. */
json_t *identity_hash_to_json(const redisReply *flat);

/* What an API key record (HGETALL apikey:{sha}) says: its ids, or that it is
 * absent or revoked. */
typedef enum { IDENTITY_KEY_ABSENT, IDENTITY_KEY_REVOKED, IDENTITY_KEY_LIVE } identity_key_state;
identity_key_state identity_key_record_state(const redisReply *flat);

#endif
