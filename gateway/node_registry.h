/* The node registry in Redis: what heartbeats write and what /v1/infra/nodes,
 * readyz and backend A resolution read.
 *
 * Keys (all under ss:):
 *   ss:nodes              ZSET node id -> last heartbeat (unix ms); the index
 *   ss:node:{id}          STRING JSON record of the last heartbeat, expires after
 *                         offline_retention_s (offline nodes stay listed that long)
 *   ss:node:{id}:alive    STRING "1" with a TTL of 3 heartbeat intervals: the node is
 *                         online exactly while this key exists
 *   ss:node:{id}:drain    STRING JSON {reason,at}: an operator drained the node (no TTL)
 *   ss:node:{id}:evict    SET voice ids the node must still evict (erasure reconciler)
 * Each write is one Lua script, so a reader never sees half a heartbeat.
 * Key names come from state_keys.h and reach the scripts in KEYS[]; reading
 * the whole registry is therefore two steps: the index (ZRANGE), then one
 * script over the keys of the nodes it lists (pruning ids whose record expired).
 *
 * Status: alive ? (drained by an operator or self-reported draining ? "draining"
 * : "online") : "offline". */
#ifndef SS_GATEWAY_NODE_REGISTRY_H
#define SS_GATEWAY_NODE_REGISTRY_H

#include "gateway/gateway.h"
#include "gateway/state_keys.h"

#include <hiredis/hiredis.h>

/* KEYS: record alive index drain evict, then per cached voice its record and
 * its warm-registry hash; ARGV: id json retention_s ttl_ms now_ms n voice-ids...
 * -> {drain flag exists, [voice ids to evict]}.
 * The warm registry (ss:voice:{id}:warm) records this node for every cached
 * voice that still exists (an erased voice is never re-registered). A pending
 * eviction the node no longer lists as cached is acknowledged (removed); the
 * ones it still caches are answered, so the node evicts them. */
extern const ss_redis_script NODE_REGISTRY_HEARTBEAT;
/* KEYS: record alive drain -> {record, alive, drain|nil} or nil */
extern const ss_redis_script NODE_REGISTRY_GET;
/* KEYS: record alive drain; ARGV: "1" drain | "0" undrain, drain JSON -> as GET */
extern const ss_redis_script NODE_REGISTRY_DRAIN;
/* KEYS: index, then record alive drain of each node; ARGV: the node ids
 * -> {{record, alive, drain|nil}, ...} of the nodes whose record exists */
extern const ss_redis_script NODE_REGISTRY_READ;

/* The Lua function NODE_REGISTRY_READ is made of, for scripts that read the
 * nodes along with other things: read_nodes(k, ids) reads KEYS[k] (the index)
 * and the three keys of each id that follow it. */
#define NODE_REGISTRY_READ_FN                                                            \
    "local function read_nodes(k, ids)\n"                                               \
    "  local out = {}\n"                                                                \
    "  for i, id in ipairs(ids) do\n"                                                   \
    "    local base = k + 3 * (i - 1)\n"                                                \
    "    local rec = redis.call('GET', KEYS[base + 1])\n"                               \
    "    if rec then\n"                                                                 \
    "      out[#out + 1] = {rec, redis.call('EXISTS', KEYS[base + 2]),\n"               \
    "                       redis.call('GET', KEYS[base + 3])}\n"                       \
    "    else\n"                                                                        \
    "      redis.call('ZREM', KEYS[k], id)\n"                                           \
    "    end\n"                                                                         \
    "  end\n"                                                                           \
    "  return out\n"                                                                    \
    "end\n"

/* Appends the index key and, for each id in `ids` (a ZRANGE reply), its
 * record, alive and drain keys to keys, and the id to ids_out. Returns 0,
 * or GW_KEY_LIST_NO_MEMORY. Ids that cannot make a key are left out. */
int node_registry_read_keys(const redisReply *ids, gw_key_list *keys, gw_key_list *ids_out);

/* The node objects of a NODE_REGISTRY_READ-style reply (malformed records
 * are left out and logged with request_id); NULL when out of memory. */
json_t *node_registry_objects(const redisReply *reply, const char *request_id);

/* Reads the whole registry (the two steps above). done runs once with the node
 * objects (done owns them) or NULL and the error. Returns -1 (done not called)
 * when there is no connection or no memory. */
typedef void (*node_registry_list_fn)(void *user, json_t *nodes, const char *err);
int node_registry_list(ss_redis *redis, const char *request_id, node_registry_list_fn done, void *user);

/* Node ids: 1..128 characters of [A-Za-z0-9_.:-]. */
bool node_id_valid(const char *id);

/* Turns one {record, alive, drain} triple of a LIST/GET/DRAIN reply into the
 * API's node object (API.md §6). NULL when the triple is malformed. */
json_t *node_object_from_reply(const redisReply *triple);

/* True when the node object is online, not draining, and has an engine
 * (optionally a given engine id): usable for backend A. */
bool node_object_usable(const json_t *node, const char *engine_id);

#endif
