/* What one scaispeak-node process is: identity, capacity, engines, voice
 * cache, admission pool and the draining flag. Filled once by main (or a
 * test) before the gRPC server and the heartbeat threads start; afterwards
 * only `draining` changes (atomically) and the cache and pool lock
 * themselves. Shared by the TtsNode service and the heartbeat client. */
#ifndef SS_NODE_NODE_STATE_H
#define SS_NODE_NODE_STATE_H

#include "kernels/batch_scheduler.h"
#include "kernels/device_probe.h"
#include "node/node_labels.h"
#include "node/node_engine.h"
#include "node/voice_cache.h"
#include "node/work_pool.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SS_NODE_VERSION "0.1.0"

typedef struct {
    char node_id[128];
    char address[256];       /* host:port the gateways dial back */
    int64_t started_at;      /* unix seconds */
    char kernels[8];         /* "cuda" | "cpu" */
    ss_device_facts gpu;
    ss_labels labels;
    int slots;
    int queue_depth;
    uint32_t default_chunk_ms;
    uint32_t first_chunk_ms; /* the first_chunk_ms setting */
    int heartbeat_interval_ms;
    ss_node_engine **engines;
    size_t nengines;
    ss_voice_cache *voices;
    ss_work_pool *pool;
    ss_batch_scheduler *scheduler; /* CUDA kernels only (borrowed); NULL on the CPU */
    atomic_bool draining;
} ss_node;

/* Calls admitted and not finished (running + waiting for a slot). */
int ss_node_in_flight(ss_node *node);

/* The engine for an id ("" = the first one), or NULL. */
ss_node_engine *ss_node_find_engine(ss_node *node, const char *engine_id);

/* Marks the node draining (idempotent); returns true when it was not yet. */
bool ss_node_set_draining(ss_node *node, const char *why);

#endif
