/* HeartbeatService (spec NODE.md): the gRPC server nodes report to.
 *
 * Runs on the gRPC server's threads, not on the HTTP loop: one completion-
 * queue thread and the server's handler thread, where each heartbeat, in
 * arrival order, is authenticated (the node's own secret, bound to the node id it claims,
 * compared in constant time), bounded (heartbeat_check.h), turned into the node
 * record and written with one Lua script over this file's own synchronous
 * Redis connection (guarded by a mutex, reconnected on failure). A heartbeat
 * that cannot be recorded answers UNAVAILABLE so the node retries; the
 * answer leaves only after the script's reply, as before. Keeping the
 * blocking write off the queue thread keeps it answering while Redis is
 * slow. (Node calls used to share this queue; since 2026-12-07 they run on
 * the HTTP loop over common/h2_client.c, docs/PERFORMANCE.md.) */
#ifndef SS_GATEWAY_HEARTBEAT_SERVICE_H
#define SS_GATEWAY_HEARTBEAT_SERVICE_H

#include "common/settings.h"

#include <stddef.h>

typedef struct heartbeat_service heartbeat_service;
/* Binds grpc_bind:grpc_port and starts serving. NULL + err on failure,
 * including an empty or development node_auth_key outside dev_mode. */
heartbeat_service *heartbeat_service_start(const ss_settings *settings, char *err,
                                           size_t errlen);
/* Stops accepting, waits for in-flight heartbeats (grace_ms), frees. */
void heartbeat_service_stop(heartbeat_service *hs, int grace_ms);

#endif
