/* scaispeak-gateway: the control plane process.
 *
 * Wires the pieces together on one libevent loop: configuration, the async
 * Redis connection, the HTTP server (http_server.c + http_router.c) and the
 * HeartbeatService gRPC server (its own threads). SIGTERM/SIGINT: stop
 * accepting HTTP connections and new heartbeats, let in-flight requests finish
 * (up to drain_timeout_s), exit 0.
 *
 * --print-routes and --print-error-codes print the route table and the error
 * table and exit, without configuration or Redis: the OpenAPI drift test
 * (tests/integration/test_openapi.py) reads them from the real binary. */
#include "gateway/gateway.h"
#include "gateway/heartbeat_service.h"
#include "gateway/http_router.h"
#include "gateway/identity_cache.h"
#include "gateway/jwks_cache.h"
#include "gateway/node_call.h"
#include "gateway/voice_store.h"
#include "gateway/webrtc.h"
#include "gateway/relay_client.h"
#include "gateway/relay_probe.h"
#include "gateway/scaidrive_client.h"

#include "common/config.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"
#include "common/sd_notify.h"

#include <event2/thread.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void on_drain_tick(evutil_socket_t fd, short what, void *arg);

typedef struct {
    gw_server *gw;
    struct event *tick;
    int waited_ms;
} drain_state;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    drain_state *ds = arg;
    gw_server *gw = ds->gw;
    if (gw->draining) {
        ss_warn(NULL, "second signal %d: exiting now", (int)sig);
        event_base_loopbreak(gw->base);
        return;
    }
    ss_info(NULL, "signal %d: draining (%d requests in flight)", (int)sig, gw->in_flight);
    gw->draining = true;
    ss_sd_notify_logged("STOPPING=1");
    gw_http_stop_accepting(gw);
    struct timeval tv = {0, 50000};
    event_add(ds->tick, &tv);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drain_state *ds = arg;
    ds->waited_ms += 50;
    long limit_ms = ds->gw->settings->drain_timeout_s * 1000;
    if (ds->gw->in_flight <= 0 || ds->waited_ms >= limit_ms) {
        if (ds->gw->in_flight > 0)
            ss_warn(NULL, "drain timeout: %d requests still in flight", ds->gw->in_flight);
        event_base_loopexit(ds->gw->base, NULL);
        return;
    }
    struct timeval tv = {0, 50000};
    event_add(ds->tick, &tv);
}

static void print_error_codes(FILE *out)
{
    for (int e = 0; e < SS_ERR__COUNT; e++)
        fprintf(out, "%s %d\n", ss_api_error_code((ss_api_error)e), ss_api_error_status((ss_api_error)e));
}

/* --print-routes / --print-error-codes: true when one was asked (printed). */
static bool print_table(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print-routes") == 0) {
            gw_routes_print(stdout);
            return true;
        }
        if (strcmp(argv[i], "--print-error-codes") == 0) {
            print_error_codes(stdout);
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    if (print_table(argc, argv))
        return fflush(stdout) == 0 ? 0 : 1;
    int rc = 0;
    ss_settings *settings =
        ss_config_from_args(argc, argv, "scaispeak-gateway", SS_SCOPE_GATEWAY, &rc);
    if (!settings)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    /* Every answer allocates and frees buffers of tens to hundreds of KB
     * (audio batches, encoder output): with glibc's defaults the heap top
     * was given back and taken again (brk, madvise) several times per
     * request, ~5 % of the loop's CPU. Keep up to 16 MiB of free heap; blocks
     * of 4 MiB and more (a JSON-form answer) are mmapped and returned at once. */
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    evthread_use_pthreads();

    gw_server gw = {0};
    gw.settings = settings;
    gw.base = event_base_new();
    gw.body_limit = settings->body_limit_bytes;
    const char *tok = settings->operator_token;
    if (*tok) {
        snprintf(gw.operator_token, sizeof gw.operator_token, "%s", tok);
    } else {
        if (ss_id_new("sgo_", 32, gw.operator_token, sizeof gw.operator_token) != 0) {
            ss_error(NULL, "operator_token not set and none can be generated (no randomness)");
            return 1;
        }
        ss_warn(NULL, "operator_token not set; generated one for this run: %s", gw.operator_token);
    }
    if (!gw.base) {
        ss_error(NULL, "event_base_new failed");
        return 1;
    }
    char why[400];
    if (ss_redis_target_from_settings(&gw.redis_target, settings, why, sizeof why) != 0) {
        ss_error(NULL, "%s", why);
        return 1;
    }
    gw.redis = ss_redis_new(gw.base, &gw.redis_target, 2000);
    if (gw.redis)
        ss_redis_on_connect(gw.redis, voice_store_ensure_defaults, &gw);
    gw.jwks = jwks_cache_new(gw.base, settings);
    if (!gw.jwks) {
        ss_error(NULL, "cannot create the JWKS cache");
        return 1;
    }
    gw.identity_cache = identity_cache_new(IDENTITY_CACHE_ENTRIES, IDENTITY_CACHE_TTL_S);
    if (!gw.identity_cache) {
        ss_error(NULL, "cannot create the identity cache: out of memory");
        return 1;
    }
    char err[512] = "";
    gw.relay = relay_client_new(gw.base, settings, err, sizeof err);
    gw.relay_probe = gw.relay ? relay_probe_new(gw.base, gw.relay, settings, err, sizeof err) : NULL;
    if (!gw.relay_probe) {
        ss_error(NULL, "cannot start the backend B relay client: %s", err);
        return 1;
    }
    gw_webrtc_probe(&gw, NULL, 0);
    gw.audio_pool = ss_loop_pool_new(gw.base, (int)settings->audio_threads, err, sizeof err);
    if (!gw.audio_pool) {
        ss_error(NULL, "cannot start the audio threads: %s", err);
        return 1;
    }
    if (ss_object_store_open(settings, &gw.objects, err, sizeof err) != SS_OBJECT_OK) {
        ss_error(NULL, "cannot open the object store: %s", err);
        return 1;
    }
    gw.scaidrive = scaidrive_client_new(gw.base, settings, gw.audio_pool, gw.objects, err, sizeof err);
    if (!gw.scaidrive) {
        ss_error(NULL, "cannot start the ScaiDrive client: %s", err);
        return 1;
    }
    /* The heartbeat server first: its threads also deliver the node calls'
     * completions (gw_node_calls_init_on_queue), so it stops after them. */
    heartbeat_service *hs = heartbeat_service_start(settings, err, sizeof err);
    if (!hs) {
        ss_error(NULL, "cannot start HeartbeatService: %s", err);
        return 1;
    }
    if (gw_node_calls_init_on_queue(&gw, heartbeat_service_queue(hs), err, sizeof err) != 0) {
        ss_error(NULL, "cannot start the node call bridge: %s", err);
        return 1;
    }
    if (!gw.redis || gw_http_start(&gw, err, sizeof err) != 0) {
        ss_error(NULL, "cannot start HTTP: %s", err);
        return 1;
    }

    drain_state ds = {.gw = &gw};
    ds.tick = evtimer_new(gw.base, on_drain_tick, &ds);
    struct event *sigterm = evsignal_new(gw.base, SIGTERM, on_signal, &ds);
    struct event *sigint = evsignal_new(gw.base, SIGINT, on_signal, &ds);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);

    char redis_where[400];
    ss_redis_target_describe(&gw.redis_target, redis_where, sizeof redis_where);
    ss_info(NULL, "scaispeak-gateway listening: http %s:%ld, heartbeat grpc %s:%ld, redis %s",
            settings->http_bind, settings->http_port, settings->grpc_bind, settings->grpc_port,
            redis_where);
    ss_sd_notify_logged("READY=1");
    event_base_dispatch(gw.base);

    event_free(sigterm);
    event_free(sigint);
    event_free(ds.tick);
    gw_http_stop_accepting(&gw);
    gw_node_calls_shutdown(&gw); /* cancels node calls still running; they answer their requests */
    heartbeat_service_stop(hs, 1000); /* after the node calls: its threads delivered their ends */
    ss_loop_pool_free(gw.audio_pool); /* audio still being encoded is finished and answered */
    scaidrive_client_free(gw.scaidrive); /* after the pool: an upload may have a read job there */
    ss_object_store_close(gw.objects); /* after the pool: its jobs read and write objects */
    /* Redis before what has requests in flight on it (worker/main_worker.c
     * says why): a request still waiting on Redis is answered with its
     * error while it exists. */
    ss_redis_free(gw.redis);
    gw.redis = NULL;
    gw_http_free(&gw);
    relay_probe_free(gw.relay_probe);
    relay_client_free(gw.relay);
    jwks_cache_free(gw.jwks);
    identity_cache_free(gw.identity_cache);
    event_base_free(gw.base);
    ss_config_free(settings);
    ss_info(NULL, "scaispeak-gateway stopped");
    return 0;
}
