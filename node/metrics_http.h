/* The node's HTTP side port (metrics_port): a tiny evhttp server on its own
 * thread and event_base answering GET/HEAD
 *   /metrics  the Prometheus text of the process registry (common/metrics.h)
 *             with the process_* and build-info series refreshed first;
 *   /healthz  200 {"status":"ok"} while the process answers;
 *   /readyz   200 or 503 with the checks of node/node_health.h;
 * and 404 for anything else. HEAD has GET's status and headers, no body.
 * Kept apart from the gRPC threads so a scrape or a probe never competes with
 * synthesis dispatch; open like /metrics (bind it with metrics_bind). */
#ifndef SS_NODE_METRICS_HTTP_H
#define SS_NODE_METRICS_HTTP_H

#include "node/node_state.h"

#include <stddef.h>

typedef struct ss_metrics_http ss_metrics_http;

/* Binds bind_addr:port and starts the thread. `node` (borrowed, outlives the
 * server) answers /readyz. NULL + err on failure. Calls
 * evthread_use_pthreads() (needed to stop the loop from another thread). */
ss_metrics_http *ss_metrics_http_start(const char *bind_addr, int port, ss_node *node, char *err,
                                       size_t errlen);

/* Stops the loop, joins the thread, frees. NULL is fine. */
void ss_metrics_http_stop(ss_metrics_http *m);

#endif
