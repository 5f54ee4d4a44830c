/* Identity scripts (see identity_store.h). */
#include "gateway/identity_store.h"

const char IDENTITY_CREATE_TENANT_LUA[] =
    "if redis.call('SETNX', 'ss:tenant_name:' .. ARGV[2], ARGV[1]) == 0 then\n"
    "  return redis.error_reply('tenant name exists')\n"
    "end\n"
    "redis.call('HSET', 'ss:tenant:' .. ARGV[1], 'tenant_id', ARGV[1], 'name', ARGV[2],\n"
    "           'created_at', ARGV[3])\n"
    "redis.call('SADD', 'ss:tenants', ARGV[1])\n"
    "return 1\n";

const char IDENTITY_CREATE_USER_LUA[] =
    "if redis.call('EXISTS', 'ss:tenant:' .. ARGV[2]) == 0 then\n"
    "  return redis.error_reply('no such tenant')\n"
    "end\n"
    "redis.call('HSET', 'ss:user:' .. ARGV[1], 'user_id', ARGV[1], 'tenant_id', ARGV[2],\n"
    "           'name', ARGV[3], 'role', ARGV[4], 'grants', ARGV[5], 'created_at', ARGV[6])\n"
    "redis.call('SADD', 'ss:tenant:' .. ARGV[2] .. ':users', ARGV[1])\n"
    "return 1\n";

const char IDENTITY_CREATE_KEY_LUA[] =
    "local tenant = redis.call('HGET', 'ss:user:' .. ARGV[3], 'tenant_id')\n"
    "if not tenant then return redis.error_reply('no such user') end\n"
    "redis.call('HSET', 'ss:apikey:' .. ARGV[1], 'key_id', ARGV[2], 'user_id', ARGV[3],\n"
    "           'tenant_id', tenant, 'name', ARGV[4], 'hint', ARGV[5], 'created_at', ARGV[6])\n"
    "redis.call('SET', 'ss:apikey_id:' .. ARGV[2], ARGV[1])\n"
    "redis.call('SADD', 'ss:user:' .. ARGV[3] .. ':apikeys', ARGV[2])\n"
    "return tenant\n";

const char IDENTITY_REVOKE_KEY_LUA[] =
    "local hash = redis.call('GET', 'ss:apikey_id:' .. ARGV[1])\n"
    "if not hash then return nil end\n"
    "local k = 'ss:apikey:' .. hash\n"
    "if ARGV[2] ~= '' and redis.call('HGET', k, 'user_id') ~= ARGV[2] then return nil end\n"
    "if redis.call('HEXISTS', k, 'revoked_at') == 0 then\n"
    "  redis.call('HSET', k, 'revoked_at', ARGV[3])\n"
    "end\n"
    "return 1\n";

const char IDENTITY_LOOKUP_KEY_LUA[] =
    "local key = redis.call('HGETALL', 'ss:apikey:' .. ARGV[1])\n"
    "if #key == 0 then return nil end\n"
    "if redis.call('HEXISTS', 'ss:apikey:' .. ARGV[1], 'revoked_at') == 1 then\n"
    "  return {'revoked'}\n"
    "end\n"
    "local uid = redis.call('HGET', 'ss:apikey:' .. ARGV[1], 'user_id')\n"
    "local user = redis.call('HGETALL', 'ss:user:' .. uid)\n"
    "if #user == 0 then return nil end\n"
    "local tid = redis.call('HGET', 'ss:user:' .. uid, 'tenant_id')\n"
    "return {key, user, redis.call('HGETALL', 'ss:tenant:' .. tid)}\n";

const char IDENTITY_LIST_KEYS_LUA[] =
    "local out = {}\n"
    "for _, id in ipairs(redis.call('SORT', 'ss:user:' .. ARGV[1] .. ':apikeys', 'ALPHA')) do\n"
    "  local hash = redis.call('GET', 'ss:apikey_id:' .. id)\n"
    "  if hash then out[#out + 1] = redis.call('HGETALL', 'ss:apikey:' .. hash) end\n"
    "end\n"
    "return out\n";

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
