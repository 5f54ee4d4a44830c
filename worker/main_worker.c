/* scaispeak-worker: the background process (async synthesis jobs, voice
 * intake re-runs, the erasure reconciler).
 *
 * One libevent loop with the async Redis connection (reconnects by itself),
 * the gRPC bridge for calls to nodes, the object store, and the consumers:
 * today the erasure reconciler (erasure_reconciler.h); the job queue arrives
 * with the jobs issue. SIGTERM/SIGINT: stop the timers, end calls in flight,
 * exit 0. */
#include "worker/erasure_reconciler.h"

#include "common/config.h"
#include "common/grpc_client.h"
#include "common/log.h"
#include "common/node_credentials.h"
#include "common/object_store.h"
#include "common/redis_async.h"
#include "common/sd_notify.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    ss_info(NULL, "signal %d: stopping", (int)sig);
    event_base_loopexit(arg, NULL);
}

/* Everything the worker holds, so one function frees it all. */
typedef struct {
    struct event_base *base;
    ss_redis *redis;
    ss_grpc_evclient *grpc;
    ss_object_store *objects;
    erasure_reconciler *erasure;
    struct event *sigterm, *sigint;
} worker;

static void worker_free(worker *w)
{
    if (w->sigterm)
        event_free(w->sigterm);
    if (w->sigint)
        event_free(w->sigint);
    if (w->grpc)
        ss_grpc_evclient_free(w->grpc); /* calls in flight end here, while the reconciler still exists */
    erasure_reconciler_free(w->erasure);
    ss_object_store_close(w->objects);
    if (w->redis)
        ss_redis_free(w->redis);
    if (w->base)
        event_base_free(w->base);
}

static int worker_start(worker *w, const ss_settings *s)
{
    char err[512] = "out of memory";
    w->base = event_base_new();
    if (w->base)
        w->redis = ss_redis_new(w->base, s->redis_host, (int)s->redis_port, s->redis_password, 2000);
    if (!w->redis) {
        ss_error(NULL, "cannot start: %s", err);
        return -1;
    }
    if (ss_object_store_open(s, &w->objects, err, sizeof err) != SS_OBJECT_OK) {
        ss_error(NULL, "cannot open the object store: %s", err);
        return -1;
    }
    const char *token = ss_credential_resolve(s, "node_call_token", s->node_call_token, SS_DEV_NODE_CALL_TOKEN,
                                              err, sizeof err);
    char auth[600];
    if (!token) {
        ss_error(NULL, "cannot start: %s", err);
        return -1;
    }
    snprintf(auth, sizeof auth, "Bearer %s", token);
    w->grpc = ss_grpc_evclient_new(w->base, err, sizeof err);
    if (!w->grpc || !(w->erasure = erasure_reconciler_start(w->base, w->redis, s, w->grpc, w->objects, auth, err,
                                                             sizeof err))) {
        ss_error(NULL, "cannot start the erasure reconciler: %s", err);
        return -1;
    }
    w->sigterm = evsignal_new(w->base, SIGTERM, on_signal, w->base);
    w->sigint = evsignal_new(w->base, SIGINT, on_signal, w->base);
    if (!w->sigterm || !w->sigint || event_add(w->sigterm, NULL) || event_add(w->sigint, NULL)) {
        ss_error(NULL, "cannot install the signal handlers");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak-worker", SS_SCOPE_WORKER, &rc);
    if (!settings)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    worker w = {0};
    if (worker_start(&w, settings) != 0) {
        worker_free(&w);
        ss_config_free(settings);
        return 1;
    }
    ss_info(NULL, "scaispeak-worker started (redis %s:%ld, objects in %s): erasure reconciler every %ld ms",
            settings->redis_host, settings->redis_port, settings->object_store_dir,
            settings->erasure_reconcile_interval_ms);
    ss_sd_notify_logged("READY=1");
    event_base_dispatch(w.base);
    ss_sd_notify_logged("STOPPING=1");
    worker_free(&w);
    ss_config_free(settings);
    return 0;
}
