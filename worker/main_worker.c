/* scaispeak-worker: the background process — asynchronous synthesis jobs
 * (job_consumer.h, job_sweeper.h) and the erasure reconciler
 * (erasure_reconciler.h).
 *
 * One libevent loop with the async Redis connection (reconnects by itself)
 * and the same synthesis plumbing as the gateway, reused rather than
 * copied: a gw_server without HTTP holds the settings, Redis, the audio
 * thread pool (encoding, decoding and object-store I/O never run on the
 * loop), the object store, the gRPC bridge to nodes (gateway/node_call.h)
 * and the relay client (backend B). So a job resolves and calls its
 * backend exactly as POST /speak does.
 *
 * SIGTERM/SIGINT: the consumer stops taking jobs, gives the running ones
 * worker_drain_ms to finish and hands the rest back to the queue; then
 * the loop ends and everything is freed. A second signal exits at once
 * (the jobs' leases bring them back). */
#include "worker/erasure_reconciler.h"
#include "worker/job_consumer.h"
#include "worker/job_sweeper.h"

#include "gateway/gateway.h"
#include "gateway/node_call.h"
#include "gateway/relay_client.h"
#include "gateway/scaidrive_client.h"

#include "common/config.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/malloc_tuning.h"
#include "common/object_store.h"
#include "common/redis_async.h"
#include "common/sd_notify.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* Everything the worker holds, so one function frees it all. */
typedef struct {
    gw_server gw;
    erasure_reconciler *erasure;
    job_consumer *jobs;
    job_sweeper *sweeper;
    struct event *sigterm, *sigint;
    bool stopping;
} worker;

static void on_jobs_stopped(void *user)
{
    worker *w = user;
    event_base_loopexit(w->gw.base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    worker *w = arg;
    if (w->stopping) {
        ss_info(NULL, "signal %d again: exiting now", (int)sig);
        event_base_loopexit(w->gw.base, NULL);
        return;
    }
    w->stopping = true;
    ss_info(NULL, "signal %d: stopping", (int)sig);
    ss_sd_notify_logged("STOPPING=1");
    job_consumer_stop(w->jobs, on_jobs_stopped, w);
}

static void worker_free(worker *w)
{
    if (w->sigterm)
        event_free(w->sigterm);
    if (w->sigint)
        event_free(w->sigint);
    gw_node_calls_shutdown(&w->gw); /* calls in flight end here, while their owners still exist */
    if (w->gw.audio_pool)
        ss_loop_pool_free(w->gw.audio_pool);
    scaidrive_client_free(w->gw.scaidrive); /* after the pool: an upload may have a read job there */
    /* Redis before the components with requests in flight on it: their
     * callbacks run now, with an error, while their owners still exist
     * (the other way round the erasure reconciler's ran on freed memory:
     * ASan, test_jobs.py under SAN=1); new requests are refused meanwhile. */
    if (w->gw.redis)
        ss_redis_free(w->gw.redis);
    w->gw.redis = NULL;
    job_consumer_free(w->jobs);
    job_sweeper_free(w->sweeper);
    erasure_reconciler_free(w->erasure);
    if (w->gw.relay)
        relay_client_free(w->gw.relay);
    ss_object_store_close(w->gw.objects);
    if (w->gw.base)
        event_base_free(w->gw.base);
}

/* The gateway's synthesis plumbing, without HTTP. */
static int plumbing_start(gw_server *gw, const ss_settings *s, char *err, size_t errlen)
{
    gw->settings = s;
    if (ss_redis_target_from_settings(&gw->redis_target, s, err, errlen) != 0)
        return -1;
    if (!(gw->base = event_base_new()) || !(gw->redis = ss_redis_new(gw->base, &gw->redis_target, 2000))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!(gw->audio_pool = ss_loop_pool_new(gw->base, (int)s->audio_threads, err, errlen)))
        return -1;
    if (ss_object_store_open(s, &gw->objects, err, errlen) != SS_OBJECT_OK)
        return -1;
    if (gw_node_calls_init(gw, err, errlen) != 0)
        return -1;
    if (!(gw->relay = relay_client_new(gw->base, s, err, errlen)))
        return -1;
    if (!(gw->scaidrive = scaidrive_client_new(gw->base, s, gw->audio_pool, gw->objects, err, errlen)))
        return -1;
    return 0;
}

static int worker_start(worker *w, const ss_settings *s)
{
    char err[512] = "out of memory";
    /* Fixed heap thresholds, so a job's cost does not depend on what the
     * worker ran before it (common/malloc_tuning.h). */
    if (ss_malloc_tune_service(err, sizeof err) != 0) {
        ss_error(NULL, "cannot start: %s", err);
        return -1;
    }
    if (plumbing_start(&w->gw, s, err, sizeof err) != 0) {
        ss_error(NULL, "cannot start: %s", err);
        return -1;
    }
    if (!(w->erasure = erasure_reconciler_start(w->gw.base, w->gw.redis, s, gw_node_calls_client(&w->gw),
                                                w->gw.objects, gw_node_calls_authorization(&w->gw), err,
                                                sizeof err))) {
        ss_error(NULL, "cannot start the erasure reconciler: %s", err);
        return -1;
    }
    if (!(w->jobs = job_consumer_start(&w->gw, err, sizeof err)) ||
        !(w->sweeper = job_sweeper_start(&w->gw, err, sizeof err))) {
        ss_error(NULL, "cannot start the job consumer: %s", err);
        return -1;
    }
    w->sigterm = evsignal_new(w->gw.base, SIGTERM, on_signal, w);
    w->sigint = evsignal_new(w->gw.base, SIGINT, on_signal, w);
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
    char redis_where[400];
    ss_redis_target_describe(&w.gw.redis_target, redis_where, sizeof redis_where);
    ss_info(NULL, "scaispeak-worker started (redis %s, objects in %s): consumer %s runs up to %ld job(s); "
            "erasure reconciler every %ld ms",
            redis_where, settings->object_store_dir, job_consumer_name(w.jobs),
            settings->worker_jobs, settings->erasure_reconcile_interval_ms);
    ss_sd_notify_logged("READY=1");
    event_base_dispatch(w.gw.base);
    worker_free(&w);
    ss_config_free(settings);
    return 0;
}
