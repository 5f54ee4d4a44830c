/* The standard gRPC health service (grpc.health.v1.Health) on the node's
 * gRPC port, for load balancers, Kubernetes gRPC probes and grpc-health-probe.
 *
 * Check answers SERVING when the node is ready (node_health.h) and
 * NOT_SERVING otherwise, for the service "" (the whole node) and
 * "scaiinfer.tts.v1.TtsNode"; any other service name is NOT_FOUND, as the
 * protocol says. Watch answers UNIMPLEMENTED (poll Check). Both are open:
 * they need no node_call_token (docs/SECURITY.md), since they reveal only
 * SERVING / NOT_SERVING. */
#ifndef SS_NODE_HEALTH_SERVICE_H
#define SS_NODE_HEALTH_SERVICE_H

#include "common/grpc_server.h"
#include "node/node_state.h"

#include <stddef.h>

#define SS_HEALTH_METHOD_CHECK "/grpc.health.v1.Health/Check"
#define SS_HEALTH_METHOD_WATCH "/grpc.health.v1.Health/Watch"

int ss_health_service_register(ss_grpc_server *srv, ss_node *node, char *err, size_t errlen);

#endif
