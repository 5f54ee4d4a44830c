/* Identity scripts (see identity_store.h). */
#include "gateway/identity_store.h"

#include <string.h>

const ss_redis_script IDENTITY_CREATE_TENANT = {
    "identity_create_tenant",
    "if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then\n"
    "  return redis.error_reply('tenant name exists')\n"
    "end\n"
    "redis.call('HSET', KEYS[2], 'tenant_id', ARGV[1], 'name', ARGV[2], 'created_at', ARGV[3])\n"
    "redis.call('SADD', KEYS[3], ARGV[1])\n"
    "return 1\n",
    .durable = true};

const ss_redis_script IDENTITY_CREATE_USER = {
    "identity_create_user",
    "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
    "  return redis.error_reply('no such tenant')\n"
    "end\n"
    "redis.call('HSET', KEYS[2], 'user_id', ARGV[1], 'tenant_id', ARGV[2],\n"
    "           'name', ARGV[3], 'role', ARGV[4], 'grants', ARGV[5], 'created_at', ARGV[6])\n"
    "redis.call('SADD', KEYS[3], ARGV[1])\n"
    "return 1\n",
    .durable = true};

const ss_redis_script IDENTITY_CREATE_KEY = {
    "identity_create_key",
    "local tenant = redis.call('HGET', KEYS[1], 'tenant_id')\n"
    "if not tenant then return nil end\n"
    "redis.call('HSET', KEYS[2], 'key_id', ARGV[2], 'user_id', ARGV[3],\n"
    "           'tenant_id', tenant, 'name', ARGV[4], 'hint', ARGV[5], 'created_at', ARGV[6])\n"
    "redis.call('SET', KEYS[3], ARGV[1])\n"
    "redis.call('SADD', KEYS[4], ARGV[2])\n"
    "return tenant\n",
    .durable = true};

const ss_redis_script IDENTITY_REVOKE_KEY = {
    "identity_revoke_key",
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end\n"
    "if redis.call('EXISTS', KEYS[2]) == 0 then return nil end\n"
    "if ARGV[2] ~= '' and redis.call('HGET', KEYS[2], 'user_id') ~= ARGV[2] then return nil end\n"
    "if redis.call('HEXISTS', KEYS[2], 'revoked_at') == 0 then\n"
    "  redis.call('HSET', KEYS[2], 'revoked_at', ARGV[3])\n"
    "end\n"
    "return 1\n",
    .durable = true};

const ss_redis_script IDENTITY_READ_HASHES = {
    "identity_read_hashes",
    "local out = {}\n"
    "for i, k in ipairs(KEYS) do out[i] = redis.call('HGETALL', k) end\n"
    "return out\n", .durable = false};

const ss_redis_script IDENTITY_READ_KEY_CALLER = {
    "identity_read_key_caller",
    IDENTITY_FP_FN
    "local rec = redis.call('HGETALL', KEYS[1])\n"
    "local uid, tid\n"
    "for i = 1, #rec, 2 do\n"
    "  if rec[i] == 'user_id' then uid = rec[i + 1] elseif rec[i] == 'tenant_id' then tid = rec[i + 1] end\n"
    "end\n"
    "if not uid or not tid then return {rec} end\n"
    "local usr, ten = redis.call('HGETALL', ARGV[1] .. uid), redis.call('HGETALL', ARGV[2] .. tid)\n"
    "return {rec, usr, ten, identity_fp({rec, usr, ten})}\n",
    .durable = false};

json_t *identity_hash_to_json(const redisReply *flat)
{
    if (!flat || flat->type != REDIS_REPLY_ARRAY || flat->elements % 2 != 0)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i + 1 < flat->elements; i += 2) {
        const redisReply *k = flat->element[i], *v = flat->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING)
            json_object_set_new(o, k->str, json_stringn(v->str, v->len));
    }
    return o;
}

identity_key_state identity_key_record_state(const redisReply *flat)
{
    if (!flat || flat->type != REDIS_REPLY_ARRAY || flat->elements == 0)
        return IDENTITY_KEY_ABSENT;
    for (size_t i = 0; i + 1 < flat->elements; i += 2) {
        const redisReply *k = flat->element[i];
        if (k->type == REDIS_REPLY_STRING && !strcmp(k->str, "revoked_at"))
            return IDENTITY_KEY_REVOKED;
    }
    return IDENTITY_KEY_LIVE;
}
