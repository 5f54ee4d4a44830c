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
 * Each operation is one Lua script, so a reader never sees half a heartbeat.
 *
 * Status: alive ? (drained by an operator or self-reported draining ? "draining"
 * : "online") : "offline". */
#ifndef SS_GATEWAY_NODE_REGISTRY_H
#define SS_GATEWAY_NODE_REGISTRY_H

#include "gateway/gateway.h"

#include <hiredis/hiredis.h>

/* Lua scripts (EVAL bodies). */
extern const char NODE_REGISTRY_HEARTBEAT_LUA[];
extern const char NODE_REGISTRY_LIST_LUA[];
extern const char NODE_REGISTRY_GET_LUA[];
extern const char NODE_REGISTRY_DRAIN_LUA[];

/* Node ids: 1..128 characters of [A-Za-z0-9_.:-]. */
bool node_id_valid(const char *id);

/* Turns one {record, alive, drain} triple of a LIST/GET/DRAIN reply into the
 * API's node object (API.md §6). NULL when the triple is malformed. */
json_t *node_object_from_reply(const redisReply *triple);

/* True when the node object is online, not draining, and has an engine
 * (optionally a given engine id): usable for backend A. */
bool node_object_usable(const json_t *node, const char *engine_id);

#endif
