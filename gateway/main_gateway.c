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

/* One gateway process: what main starts, in order, and stops in reverse
 * dependency order (gateway_stop). */
typedef struct {
    gw_server gw;
    heartbeat_service *hs;
    drain_state ds;
    struct event *sigterm, *sigint;
} gateway_run;

/* The start-up steps, each one small function run in order by main: 0, or
 * -1 with err saying what failed (main logs "cannot start <what>: err" and
 * exits 1; the process ends, nothing is torn down). */
typedef struct {
    const char *what;
    int (*start)(gateway_run *g, char *err, size_t errlen);
} start_step;

static int start_loop(gateway_run *g, char *err, size_t errlen)
{
    g->gw.base = event_base_new();
    if (!g->gw.base) {
        snprintf(err, errlen, "event_base_new failed");
        return -1;
    }
    return 0;
}

/* The configured operator token, else one made for this run and logged. */
static int start_operator_token(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    const char *tok = gw->settings->operator_token;
    if (*tok) {
        snprintf(gw->operator_token, sizeof gw->operator_token, "%s", tok);
        return 0;
    }
    if (ss_id_new("sgo_", 32, gw->operator_token, sizeof gw->operator_token) != 0) {
        snprintf(err, errlen, "operator_token not set and none can be generated (no randomness)");
        return -1;
    }
    ss_warn(NULL, "operator_token not set; generated one for this run: %s", gw->operator_token);
    return 0;
}

/* The openai_voices setting (openai_voices.h); a bad one stops the start. */
static int start_openai_voices(gateway_run *g, char *err, size_t errlen)
{
    char why[160];
    if (gw_openai_voices_parse(g->gw.settings->openai_voices, &g->gw.openai_voices, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "openai_voices: %s", why);
    return -1;
}

static int start_redis(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    if (ss_redis_target_from_settings(&gw->redis_target, gw->settings, err, errlen) != 0)
        return -1;
    gw->redis = ss_redis_new(gw->base, &gw->redis_target, 2000);
    if (!gw->redis) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ss_redis_on_connect(gw->redis, voice_store_ensure_defaults, gw);
    return 0;
}

static int start_identity_caches(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    gw->jwks = jwks_cache_new(gw->base, gw->settings);
    if (!gw->jwks) {
        snprintf(err, errlen, "the JWKS cache could not be created");
        return -1;
    }
    gw->identity_cache = identity_cache_new(IDENTITY_CACHE_ENTRIES, IDENTITY_CACHE_TTL_S);
    if (!gw->identity_cache) {
        snprintf(err, errlen, "out of memory (the identity cache)");
        return -1;
    }
    return 0;
}

static int start_relay(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    gw->relay = relay_client_new(gw->base, gw->settings, err, errlen);
    gw->relay_probe = gw->relay ? relay_probe_new(gw->base, gw->relay, gw->settings, err, errlen) : NULL;
    return gw->relay_probe ? 0 : -1;
}

static int start_webrtc_probe(gateway_run *g, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    gw_webrtc_probe(&g->gw, NULL, 0); /* WebRTC is optional: the probe only notes what is there */
    return 0;
}

static int start_audio_threads(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    gw->audio_pool = ss_loop_pool_new(gw->base, (int)gw->settings->audio_threads, err, errlen);
    return gw->audio_pool ? 0 : -1;
}

static int start_object_store(gateway_run *g, char *err, size_t errlen)
{
    return ss_object_store_open(g->gw.settings, &g->gw.objects, err, errlen) == SS_OBJECT_OK ? 0 : -1;
}

static int start_scaidrive(gateway_run *g, char *err, size_t errlen)
{
    gw_server *gw = &g->gw;
    gw->scaidrive = scaidrive_client_new(gw->base, gw->settings, gw->audio_pool, gw->objects, err, errlen);
    return gw->scaidrive ? 0 : -1;
}

static int start_heartbeat_service(gateway_run *g, char *err, size_t errlen)
{
    g->hs = heartbeat_service_start(g->gw.settings, err, errlen);
    return g->hs ? 0 : -1;
}

static int start_node_calls(gateway_run *g, char *err, size_t errlen)
{
    return gw_node_calls_init_h2_only(&g->gw, err, errlen); /* on the loop: no gRPC thread */
}

static int start_http(gateway_run *g, char *err, size_t errlen)
{
    return gw_http_start(&g->gw, err, errlen);
}

/* SIGTERM and SIGINT drain (on_signal). */
static int start_signals(gateway_run *g, char *err, size_t errlen)
{
    g->ds.gw = &g->gw;
    g->ds.tick = evtimer_new(g->gw.base, on_drain_tick, &g->ds);
    g->sigterm = evsignal_new(g->gw.base, SIGTERM, on_signal, &g->ds);
    g->sigint = evsignal_new(g->gw.base, SIGINT, on_signal, &g->ds);
    if (!g->ds.tick || !g->sigterm || !g->sigint || event_add(g->sigterm, NULL) != 0 ||
        event_add(g->sigint, NULL) != 0) {
        snprintf(err, errlen, "the signal events could not be set up");
        return -1;
    }
    return 0;
}

static const start_step START_STEPS[] = {
    {"the event loop", start_loop},
    {"the operator token", start_operator_token},
    {"the OpenAI voice names", start_openai_voices},
    {"Redis", start_redis},
    {"the identity caches", start_identity_caches},
    {"the backend B relay client", start_relay},
    {"the WebRTC probe", start_webrtc_probe},
    {"the audio threads", start_audio_threads},
    {"the object store", start_object_store},
    {"the ScaiDrive client", start_scaidrive},
    {"HeartbeatService", start_heartbeat_service},
    {"the node calls' HTTP/2 client", start_node_calls},
    {"HTTP", start_http},
    {"the signal handlers", start_signals},
};

/* After the loop ends: what is in flight is answered, then everything is
 * freed, each piece after what still uses it. */
static void gateway_stop(gateway_run *g)
{
    gw_server *gw = &g->gw;
    event_free(g->sigterm);
    event_free(g->sigint);
    event_free(g->ds.tick);
    gw_http_stop_accepting(gw);
    gw_node_calls_shutdown(gw); /* cancels node calls still running; they answer their requests */
    heartbeat_service_stop(g->hs, 1000);
    ss_loop_pool_free(gw->audio_pool); /* audio still being encoded is finished and answered */
    scaidrive_client_free(gw->scaidrive); /* after the pool: an upload may have a read job there */
    ss_object_store_close(gw->objects); /* after the pool: its jobs read and write objects */
    /* Redis before what has requests in flight on it (worker/main_worker.c
     * says why): a request still waiting on Redis is answered with its
     * error while it exists. */
    ss_redis_free(gw->redis);
    gw->redis = NULL;
    gw_http_free(gw);
    relay_probe_free(gw->relay_probe);
    relay_client_free(gw->relay);
    jwks_cache_free(gw->jwks);
    identity_cache_free(gw->identity_cache);
    event_base_free(gw->base);
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

    gateway_run g = {0}; /* lives until main returns: callbacks hold its addresses */
    g.gw.settings = settings;
    g.gw.body_limit = settings->body_limit_bytes;
    for (size_t i = 0; i < sizeof START_STEPS / sizeof START_STEPS[0]; i++) {
        char err[512] = "";
        if (START_STEPS[i].start(&g, err, sizeof err) != 0) {
            ss_error(NULL, "cannot start %s: %s", START_STEPS[i].what, err);
            return 1;
        }
    }
    char redis_where[400];
    ss_redis_target_describe(&g.gw.redis_target, redis_where, sizeof redis_where);
    ss_info(NULL, "scaispeak-gateway listening: http %s:%ld, heartbeat grpc %s:%ld, redis %s",
            settings->http_bind, settings->http_port, settings->grpc_bind, settings->grpc_port,
            redis_where);
    ss_sd_notify_logged("READY=1");
    event_base_dispatch(g.gw.base);

    gateway_stop(&g);
    ss_config_free(settings);
    ss_info(NULL, "scaispeak-gateway stopped");
    return 0;
}
