/* Heartbeats from the node to every configured gateway.
 *
 * One thread per gateway address (so a slow or dead gateway never delays the
 * others) sends HeartbeatRequest every heartbeat_interval_ms with
 * `authorization: Bearer <node token>`. While a gateway is unreachable it
 * retries with exponential backoff from 250 ms to 2 s, and logs only when the
 * state of that gateway changes (up -> unreachable -> up), never per attempt.
 * UNAUTHENTICATED is logged as an error: the gateway rejected our token.
 *
 * The reply's evict_voice_ids are applied to the voice cache (the erasure
 * reconciler's channel); drain_requested is logged when it changes (the
 * gateway already stops routing to a drained node). */
#ifndef SS_NODE_HEARTBEAT_CLIENT_H
#define SS_NODE_HEARTBEAT_CLIENT_H

#include "node/node_state.h"

#include <stddef.h>
#include <stdint.h>

#define SS_HEARTBEAT_METHOD "/scaiinfer.v1.HeartbeatService/Heartbeat"

typedef struct ss_heartbeat ss_heartbeat;

/* Builds the packed HeartbeatRequest describing `node` now. 0 or -1. */
int ss_heartbeat_build(ss_node *node, uint8_t **out, size_t *len);

/* Starts one thread per address in gateways_csv ("h:p,h:p"; blanks ignored).
 * The first heartbeats go out at once. NULL + err when the list is empty or
 * a thread cannot start. */
ss_heartbeat *ss_heartbeat_start(ss_node *node, const char *gateways_csv, const char *node_secret,
                                 char *err, size_t errlen);

/* Sends one heartbeat to every gateway at once (e.g. to report draining) and
 * waits up to wait_ms until each was answered or failed. Returns how many
 * gateways accepted it. */
int ss_heartbeat_beat_now(ss_heartbeat *hb, int wait_ms);

/* Stops the threads (an attempt in progress ends within its deadline) and
 * frees. NULL is fine. */
void ss_heartbeat_stop(ss_heartbeat *hb);

#endif
