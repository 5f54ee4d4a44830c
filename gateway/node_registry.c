/* Node registry scripts and record conversion (see node_registry.h). */
#include "gateway/node_registry.h"

#include <string.h>

const char NODE_REGISTRY_HEARTBEAT_LUA[] =
    /* KEYS: record alive index drain evict; ARGV: id json retention_s ttl_ms now_ms */
    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n"
    "redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])\n"
    "redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])\n"
    "return {redis.call('EXISTS', KEYS[4]), redis.call('SMEMBERS', KEYS[5])}\n";

const char NODE_REGISTRY_LIST_LUA[] =
    /* no KEYS; returns {{record, alive, drain|nil}, ...}, pruning the index */
    "local out = {}\n"
    "for _, id in ipairs(redis.call('ZRANGE', 'ss:nodes', 0, -1)) do\n"
    "  local rec = redis.call('GET', 'ss:node:' .. id)\n"
    "  if rec then\n"
    "    out[#out + 1] = {rec, redis.call('EXISTS', 'ss:node:' .. id .. ':alive'),\n"
    "                     redis.call('GET', 'ss:node:' .. id .. ':drain')}\n"
    "  else\n"
    "    redis.call('ZREM', 'ss:nodes', id)\n"
    "  end\n"
    "end\n"
    "return out\n";

const char NODE_REGISTRY_GET_LUA[] =
    /* KEYS: record alive drain; returns {record, alive, drain|nil} or nil */
    "local rec = redis.call('GET', KEYS[1])\n"
    "if not rec then return nil end\n"
    "return {rec, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3])}\n";

const char NODE_REGISTRY_DRAIN_LUA[] =
    /* KEYS: record alive drain; ARGV: "1" drain | "0" undrain, drain JSON */
    "local rec = redis.call('GET', KEYS[1])\n"
    "if not rec then return nil end\n"
    "if ARGV[1] == '1' then redis.call('SET', KEYS[3], ARGV[2])\n"
    "else redis.call('DEL', KEYS[3]) end\n"
    "return {rec, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3])}\n";

bool node_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

json_t *node_object_from_reply(const redisReply *t)
{
    if (!t || t->type != REDIS_REPLY_ARRAY || t->elements < 2 ||
        t->element[0]->type != REDIS_REPLY_STRING)
        return NULL;
    json_t *rec = json_loadb(t->element[0]->str, t->element[0]->len, 0, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return NULL;
    }
    bool alive = t->element[1]->type == REDIS_REPLY_INTEGER && t->element[1]->integer == 1;
    bool operator_drain = t->elements > 2 && t->element[2]->type == REDIS_REPLY_STRING;
    bool self_drain = json_is_true(json_object_get(rec, "self_draining"));
    const char *status = !alive ? "offline" : (operator_drain || self_drain) ? "draining" : "online";
    json_object_set_new(rec, "status", json_string(status));
    if (operator_drain) {
        json_t *d = json_loadb(t->element[2]->str, t->element[2]->len, 0, NULL);
        json_object_set_new(rec, "drain", d ? d : json_null());
    } else {
        json_object_set_new(rec, "drain", json_null());
    }
    json_object_del(rec, "last_heartbeat_ms");
    json_object_del(rec, "self_draining"); /* folded into status */
    return rec;
}

bool node_object_usable(const json_t *node, const char *engine_id)
{
    const char *status = json_string_value(json_object_get(node, "status"));
    if (!status || strcmp(status, "online") != 0)
        return false;
    json_t *engines = json_object_get(node, "engines");
    if (!json_is_array(engines) || json_array_size(engines) == 0)
        return false;
    if (!engine_id)
        return true;
    size_t i;
    json_t *e;
    json_array_foreach(engines, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "engine_id"));
        if (id && strcmp(id, engine_id) == 0)
            return true;
    }
    return false;
}
