/* The node's /metrics endpoint: a tiny evhttp server on its own thread and
 * event_base, answering GET /metrics with the Prometheus text of the process
 * registry (common/metrics.h) and 404 for anything else. Kept apart from the
 * gRPC threads so a scrape never competes with synthesis dispatch. */
#ifndef SS_NODE_METRICS_HTTP_H
#define SS_NODE_METRICS_HTTP_H

#include <stddef.h>

typedef struct ss_metrics_http ss_metrics_http;

/* Binds bind_addr:port and starts the thread. NULL + err on failure. Calls
 * evthread_use_pthreads() (needed to stop the loop from another thread). */
ss_metrics_http *ss_metrics_http_start(const char *bind_addr, int port, char *err, size_t errlen);

/* Stops the loop, joins the thread, frees. NULL is fine. */
void ss_metrics_http_stop(ss_metrics_http *m);

#endif
