/* Node registry scripts and record conversion (see node_registry.h). */
#include "gateway/node_registry.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

const ss_redis_script NODE_REGISTRY_HEARTBEAT = {
    "node_registry_heartbeat",
    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n"
    "redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])\n"
    "redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])\n"
    "local n = tonumber(ARGV[6] or '0')\n"
    "local cached = {}\n"
    "for i = 1, n do\n"
    "  cached[ARGV[6 + i]] = true\n"
    "  if redis.call('EXISTS', KEYS[4 + 2 * i]) == 1 then\n"
    "    redis.call('HSET', KEYS[5 + 2 * i], ARGV[1], ARGV[5])\n"
    "  end\n"
    "end\n"
    "local left = {}\n"
    "for _, v in ipairs(redis.call('SMEMBERS', KEYS[5])) do\n"
    "  if cached[v] then left[#left + 1] = v else redis.call('SREM', KEYS[5], v) end\n"
    "end\n"
    "return {redis.call('EXISTS', KEYS[4]), left}\n", .durable = false};

const ss_redis_script NODE_REGISTRY_GET = {
    "node_registry_get",
    "local rec = redis.call('GET', KEYS[1])\n"
    "if not rec then return nil end\n"
    "return {rec, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3])}\n", .durable = false};

const ss_redis_script NODE_REGISTRY_DRAIN = {
    "node_registry_drain",
    "local rec = redis.call('GET', KEYS[1])\n"
    "if not rec then return nil end\n"
    "if ARGV[1] == '1' then redis.call('SET', KEYS[3], ARGV[2])\n"
    "else redis.call('DEL', KEYS[3]) end\n"
    "return {rec, redis.call('EXISTS', KEYS[2]), redis.call('GET', KEYS[3])}\n", .durable = false};

const ss_redis_script NODE_REGISTRY_READ = {
    "node_registry_read",
    NODE_REGISTRY_READ_FN
    "return read_nodes(1, ARGV)\n", .durable = false};

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

int node_registry_read_keys(const redisReply *ids, gw_key_list *keys, gw_key_list *ids_out)
{
    if (gw_key_list_add(keys, GW_KEY_NODES, NULL, NULL) != 0)
        return GW_KEY_LIST_NO_MEMORY;
    for (size_t i = 0; ids && ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++) {
        const redisReply *id = ids->element[i];
        if (id->type != REDIS_REPLY_STRING || !node_id_valid(id->str))
            continue;
        size_t before = keys->n;
        int rc = gw_key_list_add(keys, GW_KEY_NODE, id->str, NULL);
        if (rc == 0)
            rc = gw_key_list_add(keys, GW_KEY_NODE_ALIVE, id->str, NULL);
        if (rc == 0)
            rc = gw_key_list_add(keys, GW_KEY_NODE_DRAIN, id->str, NULL);
        if (rc == 0)
            rc = gw_key_list_push(ids_out, id->str);
        if (rc != 0) {
            while (keys->n > before)
                free(keys->keys[--keys->n]);
            return GW_KEY_LIST_NO_MEMORY;
        }
    }
    return 0;
}

json_t *node_registry_objects(const redisReply *reply, const char *request_id)
{
    json_t *nodes = json_array();
    for (size_t i = 0; nodes && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        json_t *n = node_object_from_reply(reply->element[i]);
        if (n)
            json_array_append_new(nodes, n);
        else
            ss_warn(request_id, "skipping a malformed node record");
    }
    return nodes;
}

typedef struct {
    ss_redis *redis;
    char request_id[SS_REQUEST_ID_MAX + 1];
    node_registry_list_fn done;
    void *user;
} list_call;

static void list_finish(list_call *c, json_t *nodes, const char *err)
{
    c->done(c->user, nodes, err);
    free(c);
}

static void on_read(void *arg, const redisReply *reply, const char *err)
{
    list_call *c = arg;
    if (err) {
        list_finish(c, NULL, err);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        list_finish(c, NULL, "unexpected reply to node_registry_read");
        return;
    }
    json_t *nodes = node_registry_objects(reply, c->request_id);
    list_finish(c, nodes, nodes ? NULL : "out of memory");
}

static void on_index(void *arg, const redisReply *reply, const char *err)
{
    list_call *c = arg;
    if (err) {
        list_finish(c, NULL, err);
        return;
    }
    gw_key_list keys = {0}, ids = {0};
    if (node_registry_read_keys(reply, &keys, &ids) != 0) {
        gw_key_list_free(&keys);
        gw_key_list_free(&ids);
        list_finish(c, NULL, "out of memory");
        return;
    }
    if (ids.n == 0) {
        gw_key_list_free(&keys);
        gw_key_list_free(&ids);
        json_t *none = json_array();
        list_finish(c, none, none ? NULL : "out of memory");
        return;
    }
    int rc = ss_redis_eval(c->redis, &NODE_REGISTRY_READ, (int)keys.n, (const char *const *)keys.keys,
                           (int)ids.n, (const char *const *)ids.keys, on_read, c);
    gw_key_list_free(&keys);
    gw_key_list_free(&ids);
    if (rc != 0)
        list_finish(c, NULL, ss_redis_connected(c->redis) ? "out of memory" : "not connected");
}

int node_registry_list(ss_redis *redis, const char *request_id, node_registry_list_fn done, void *user)
{
    list_call *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->redis = redis;
    snprintf(c->request_id, sizeof c->request_id, "%s", request_id ? request_id : "");
    c->done = done;
    c->user = user;
    char index[GW_STATE_KEY_MAX];
    gw_state_key(index, sizeof index, GW_KEY_NODES, NULL, NULL);
    if (ss_redis_command(redis, on_index, c, "ZRANGE", index, "0", "-1", NULL) != 0) {
        free(c);
        return -1;
    }
    return 0;
}
