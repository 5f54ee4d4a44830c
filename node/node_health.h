/* Is this node ready for synthesis? One answer shared by the node's HTTP
 * /readyz (metrics port) and the gRPC grpc.health.v1.Health/Check, so a load
 * balancer, an orchestrator and an operator's curl all see the same thing.
 *
 * Ready = at least one engine loaded, not draining, and the work pool can
 * admit one more call (running + waiting < slots + queue_depth). Liveness
 * (/healthz) needs none of this: the process answers. */
#ifndef SS_NODE_NODE_HEALTH_H
#define SS_NODE_NODE_HEALTH_H

#include "node/node_state.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t engines;   /* engines loaded */
    bool draining;    /* SIGTERM/SIGINT received */
    int slots, queue_depth;
    int running, waiting;
    bool engines_ok, not_draining_ok, slots_ok;
    bool ready;       /* all three checks */
} ss_node_health;

/* A snapshot of the node's readiness; node may be NULL (not set up yet:
 * nothing is ok). Thread-safe: the pool locks itself, draining is atomic. */
void ss_node_health_get(ss_node *node, ss_node_health *out);

/* Pure: fills the *_ok fields and `ready` from the counts. */
void ss_node_health_judge(ss_node_health *h);

/* The /readyz body: {"status":"ok"|"unavailable","ready":bool,"checks":{...}}
 * as a malloc'd string. NULL when out of memory. */
char *ss_node_health_readyz_json(const ss_node_health *h, size_t *len);

#endif
