/* Backend resolution (API.md §2), as a pure function of the tenant policy,
 * the caller's preference, the node registry and the relay's state.
 *
 * Order: the policy's default_backend first, then the other allowed one; the
 * caller's backend_preference (prefer_self_hosted / prefer_relay) moves its
 * backend to the front if the policy allows it, and never adds one. Backend A
 * candidates are the online, non-draining nodes with the voice's engine: the
 * first is chosen by power of two choices on load (in_flight / slots), the
 * next ones by load, at most GW_MAX_NODE_TRIES in all (a node that fails
 * before its first audio byte, or answers RESOURCE_EXHAUSTED, is followed by
 * the next). What could not be used, and why, is kept for the 502 details. */
#ifndef SS_GATEWAY_BACKEND_RESOLVE_H
#define SS_GATEWAY_BACKEND_RESOLVE_H

#include <jansson.h>
#include <stdbool.h>

#define GW_MAX_NODE_TRIES 2

typedef enum { BACKEND_A = 'A', BACKEND_B = 'B' } gw_backend;

typedef struct {
    char node_id[132];
    char address[160];
    double load;
} gw_node_choice;

typedef struct {
    gw_backend order[2];
    int norder;
    gw_node_choice nodes[GW_MAX_NODE_TRIES];
    int nnodes;
    json_t *unusable; /* [{field, message}] for the 502 details; caller decrefs */
} gw_backend_plan;

/* nodes: array of API node objects (node_registry.c); relay_reason: why B is
 * not usable (NULL when it is). rnd: a random 32-bit value (tests pass a
 * fixed one). Returns the number of backends in the plan's order (out->norder:
 * 0 when nothing can serve, the reasons then in out->unusable), or -1 when out
 * of memory (out then holds nothing to free). */
int gw_backend_plan_make(const json_t *policy, const char *preference, const json_t *nodes,
                         const char *engine_id, const char *relay_reason, unsigned rnd,
                         gw_backend_plan *out);

#endif
