/* scaispeak-node: serves scaiinfer.tts.v1.TtsNode over gRPC, registers with
 * the gateways by heartbeats, exposes /metrics.
 *
 * Threads: the main thread sets everything up, then waits for SIGTERM/SIGINT
 * in sigwait() (the signals are blocked in every thread, so no handler runs
 * asynchronously); 2 gRPC server threads; `slots` synthesis workers; one
 * heartbeat thread per gateway; one metrics HTTP thread; on the CUDA kernels
 * `gpu_lanes` batch-scheduler dispatcher threads.
 *
 * Kernels: `kernels` (auto|cuda|cpu) picks the kernel table once at start;
 * every synthesis runs on it (kernels/kernel_route.h). On CUDA the node
 * makes one batch scheduler (window `batch_window_ms`), so the kernel work
 * of concurrent calls goes to the GPU in shared launches; it has
 * `gpu_lanes` dispatchers, each with its own CUDA stream, device pool and
 * pinned buffers, and the pools together hold at most `gpu_memory_mb`
 * (checked against the device at start; reported in heartbeats). On the CPU the
 * worker slots call the kernels directly: a scheduler there would put all
 * kernel work of all slots on its one dispatcher thread and add the window
 * to every kernel call, for bit-identical results. Heartbeats and
 * ListEngines report node->kernels, the table that actually runs.
 *
 * Health: grpc.health.v1.Health on the gRPC port (open: no call token) and
 * /healthz, /readyz next to /metrics on metrics_port (node_health.h).
 *
 * Credentials (docs/SECURITY.md): every TtsNode call must carry the
 * gateway's node_call_token; heartbeats carry this node's node_secret. Both
 * are required unless dev_mode. The gRPC and metrics ports bind loopback
 * unless node_bind / metrics_bind say otherwise.
 *
 * Shutdown (SIGTERM/SIGINT): mark the node draining and send a heartbeat
 * saying so at once; refuse new Synthesize (UNAVAILABLE "draining"); let
 * admitted calls finish for up to drain_timeout_s; cancel what is left (the
 * engine stops within one chunk); stop the server, heartbeats and metrics;
 * exit 0. */
#include "common/config.h"
#include "common/grpc_server.h"
#include "common/log.h"
#include "common/malloc_tuning.h"
#include "common/node_credentials.h"
#include "common/sd_notify.h"
#include "common/synth_limits.h"
#include "kernels/batch_scheduler.h"
#include "kernels/device_probe.h"
#include "kernels/kernel_route.h"
#include "kernels/kernels_select.h"
#include "node/health_service.h"
#include "node/heartbeat_client.h"
#include "node/node_labels.h"
#include "node/metrics_http.h"
#include "node/node_engine.h"
#include "node/node_state.h"
#include "node/tts_service.h"

#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GRPC_THREADS 2

_Static_assert(SS_BATCH_MAX_LANES == 16, "gpu_lanes' range in common/config.c says 1..16");

/* "host:port" with IPv6 literals bracketed. */
static void join_host_port(char *out, size_t cap, const char *host, long port)
{
    if (strchr(host, ':') && host[0] != '[')
        snprintf(out, cap, "[%s]:%ld", host, port);
    else
        snprintf(out, cap, "%s:%ld", host, port);
}

/* Fills identity, capacity and hardware facts from the configuration;
 * *ops receives the kernel table every synthesis will run on. */
static int node_configure(ss_node *node, const ss_settings *settings,
                          const ss_kernel_ops **ops_out, char *err, size_t errlen)
{
    long port = settings->node_port;
    const char *id = settings->node_id;
    if (id[0]) {
        snprintf(node->node_id, sizeof node->node_id, "%s", id);
    } else {
        char host[64] = "node";
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "node");
        host[sizeof host - 1] = 0;
        snprintf(node->node_id, sizeof node->node_id, "%s-%ld", host, port);
    }
    const char *addr = settings->node_address;
    if (addr[0])
        snprintf(node->address, sizeof node->address, "%s", addr);
    else
        snprintf(node->address, sizeof node->address, "127.0.0.1:%ld", port);
    if (ss_labels_parse(settings->node_labels, &node->labels, err, errlen) != 0)
        return -1;
    /* Ranges were checked at load (common/config.c's table). */
    node->slots = (int)settings->slots;
    node->queue_depth = (int)settings->queue_depth;
    node->default_chunk_ms = (uint32_t)settings->chunk_ms;
    node->first_chunk_ms = (uint32_t)settings->first_chunk_ms;
    node->heartbeat_interval_ms = (int)settings->heartbeat_interval_ms;
    node->started_at = (int64_t)time(NULL);

    ss_device_probe(&node->gpu);
    /* auto = CUDA when this build has CUDA kernels and a device answers
     * (kernels/kernels_select.c); cuda without one is a start-up error. */
    const char *want = settings->kernels;
    const ss_kernel_ops *ops = NULL;
    char note[512];
    if (ss_kernels_select(want, &ops, note, sizeof note, err, errlen) != 0)
        return -1;
    snprintf(node->kernels, sizeof node->kernels, "%s", ops->name);
    *ops_out = ops;
    ss_info(NULL, "%s", note);
    if (node->gpu.present)
        ss_info(NULL, "GPU: %s, %llu MiB (%llu MiB in use), %d device(s)", node->gpu.name,
                (unsigned long long)node->gpu.memory_total_mb,
                (unsigned long long)node->gpu.memory_used_mb, node->gpu.count);
    return 0;
}

/* gpu_lanes and gpu_memory_mb -> the scheduler's lanes and per-lane bound,
 * checked against the device. */
static int gpu_pool_options(const ss_settings *settings, const ss_device_facts *gpu,
                            ss_batch_options *bo, char *err, size_t errlen)
{
    long lanes = settings->gpu_lanes; /* 1..SS_BATCH_MAX_LANES, checked at load */
    long mb = settings->gpu_memory_mb;
    if (mb > (1L << 24)) {
        snprintf(err, errlen, "gpu_memory_mb must be at most %ld (16 TiB; got %ld)", 1L << 24, mb);
        return -1;
    }
    if (mb < 16 * lanes) {
        snprintf(err, errlen, "gpu_memory_mb must be at least 16 per lane (%ld for %ld lanes; got %ld)",
                 16 * lanes, lanes, mb);
        return -1;
    }
    if (gpu->present && (uint64_t)mb > gpu->memory_total_mb) {
        snprintf(err, errlen, "gpu_memory_mb (%ld) is more than the device has (%s: %llu MiB)", mb,
                 gpu->name, (unsigned long long)gpu->memory_total_mb);
        return -1;
    }
    bo->lanes = (int)lanes;
    bo->lane_memory_limit = ((size_t)mb << 20) / (size_t)lanes;
    return 0;
}

/* One node process: what the start-up steps make and main tears down. */
typedef struct {
    const ss_settings *settings;
    ss_node node;
    ss_kernel_route kernels;
    const char *call_token; /* the gateways' node_call_token every TtsNode call must carry */
    const char *secret;     /* this node's heartbeat secret */
    char secret_buf[SS_NODE_SECRET_LEN];
    char listen[300];
    ss_metrics_http *metrics;
    ss_grpc_server *srv;
    ss_heartbeat *hb;
} node_run;

/* The start-up steps, run in order by main: 0, or -1 with err (main logs
 * "scaispeak-node cannot start: err", frees what was made, exits 2). */
typedef int (*start_step)(node_run *r, char *err, size_t errlen);

/* Fixed heap thresholds, so the node's speed does not depend on what it
 * served first (common/malloc_tuning.h). */
static int start_heap(node_run *r, char *err, size_t errlen)
{
    (void)r;
    return ss_malloc_tune_service(err, errlen);
}

static int start_configuration(node_run *r, char *err, size_t errlen)
{
    return node_configure(&r->node, r->settings, &r->kernels.ops, err, errlen);
}

/* The batch scheduler on GPU kernels. The GPU settings are checked on
 * every node, CPU ones included: one fleet-wide config with a bad GPU
 * setting fails everywhere, not only on GPU hosts. */
static int start_kernels(node_run *r, char *err, size_t errlen)
{
    double window = r->settings->batch_window_ms;
    ss_batch_options bo = ss_batch_default_options();
    bo.window_ms = window;
    if (gpu_pool_options(r->settings, &r->node.gpu, &bo, err, errlen) != 0)
        return -1;
    if (r->kernels.ops == ss_kernel_ops_cpu())
        return 0;
    r->kernels.scheduler = ss_batch_scheduler_new(r->kernels.ops, &bo, err, errlen);
    if (!r->kernels.scheduler)
        return -1;
    r->node.scheduler = r->kernels.scheduler;
    ss_info(NULL, "batch scheduler on the %s kernels, window %g ms, %d lane(s), device pools "
            "bounded at %zu MiB (%zu MiB per lane)", r->kernels.ops->name, window, bo.lanes,
            (size_t)bo.lanes * (bo.lane_memory_limit >> 20), bo.lane_memory_limit >> 20);
    return 0;
}

static int start_engines(node_run *r, char *err, size_t errlen)
{
    return ss_node_engines_load(r->settings, &r->kernels, &r->node.engines, &r->node.nengines, err, errlen);
}

static int start_voice_cache_and_slots(node_run *r, char *err, size_t errlen)
{
    r->node.voices = ss_voice_cache_new();
    if (!r->node.voices) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ss_voice_cache_set_limit(r->node.voices, (size_t)r->settings->voice_cache_mb << 20);
    r->node.pool = ss_work_pool_new(r->node.slots, r->node.queue_depth, err, errlen);
    return r->node.pool ? 0 : -1;
}

static int start_credentials(node_run *r, char *err, size_t errlen)
{
    const ss_settings *s = r->settings;
    r->call_token = ss_credential_resolve(s, "node_call_token", s->node_call_token, SS_DEV_NODE_CALL_TOKEN, err,
                                          errlen);
    r->secret = r->call_token ? ss_node_secret_resolve(s, r->node.node_id, r->secret_buf, err, errlen) : NULL;
    return r->secret ? 0 : -1;
}

/* /metrics listens before the gRPC port opens: whoever sees the node up
 * (its port accepts) can read its metrics at once. */
static int start_metrics(node_run *r, char *err, size_t errlen)
{
    long port = r->settings->metrics_port;
    if (port <= 0)
        return 0;
    r->metrics = ss_metrics_http_start(r->settings->metrics_bind, (int)port, &r->node, err, errlen);
    return r->metrics ? 0 : -1;
}

static int start_grpc(node_run *r, char *err, size_t errlen)
{
    join_host_port(r->listen, sizeof r->listen, r->settings->node_bind, r->settings->node_port);
    r->srv = ss_grpc_server_new_sized(r->listen, SS_NODE_REQUEST_MAX_BYTES, err, errlen);
    if (!r->srv)
        return -1;
    if (ss_grpc_server_require_bearer(r->srv, r->call_token) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ss_tts_service_register(r->srv, &r->node, err, errlen) != 0 ||
        ss_health_service_register(r->srv, &r->node, err, errlen) != 0 ||
        ss_grpc_server_start(r->srv, GRPC_THREADS, err, errlen) != 0)
        return -1;
    return 0;
}

static int start_heartbeats(node_run *r, char *err, size_t errlen)
{
    r->hb = ss_heartbeat_start(&r->node, r->settings->gateways, r->secret, err, errlen);
    return r->hb ? 0 : -1;
}

static const start_step START_STEPS[] = {
    start_heap,        start_configuration, start_kernels, start_engines, start_voice_cache_and_slots,
    start_credentials, start_metrics,       start_grpc,    start_heartbeats,
};

static void log_serving(const node_run *r)
{
    const ss_settings *s = r->settings;
    char metrics_desc[300] = "off";
    if (s->metrics_port > 0)
        snprintf(metrics_desc, sizeof metrics_desc, "%s:%ld", s->metrics_bind, s->metrics_port);
    ss_info(NULL, "scaispeak-node %s (%s) serving TtsNode on %s, address %s, %zu engine(s), "
            "slots %d, queue_depth %d, kernels %s, metrics %s, gateways %s",
            r->node.node_id, SS_NODE_VERSION, r->listen, r->node.address, r->node.nengines, r->node.slots,
            r->node.queue_depth, r->node.kernels, metrics_desc, s->gateways);
}

/* Waits for SIGTERM/SIGINT (blocked in every thread), then drains: the
 * gateways are told at once, admitted calls get drain_timeout_s to finish,
 * what is left is cancelled, and the gRPC server stops. */
static void wait_and_drain(node_run *r, const sigset_t *stop_set)
{
    int sig = 0;
    while (sigwait(stop_set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
        ;
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    ss_info(NULL, "%s received: draining", name);
    ss_sd_notify_logged("STOPPING=1");
    ss_node_set_draining(&r->node, name);
    int told = ss_heartbeat_beat_now(r->hb, 1000);
    ss_info(NULL, "draining reported to %d gateway(s)", told);
    long drain_s = r->settings->drain_timeout_s;
    int in_flight = ss_node_in_flight(&r->node);
    bool idle = ss_work_pool_wait_idle(r->node.pool, drain_s > 0 ? (int)(drain_s * 1000) : 0);
    if (!idle)
        ss_warn(NULL, "drain_timeout_s (%ld s) passed with %d call(s) in flight: cancelling them", drain_s,
                ss_node_in_flight(&r->node));
    else if (in_flight > 0)
        ss_info(NULL, "all %d in-flight call(s) finished", in_flight);
    ss_grpc_server_shutdown(r->srv, idle ? 1000 : 0);
}

static void node_run_free(node_run *r)
{
    ss_heartbeat_stop(r->hb);
    ss_metrics_http_stop(r->metrics);
    ss_grpc_server_free(r->srv);
    ss_work_pool_free(r->node.pool);
    ss_node_engines_free(r->node.engines, r->node.nengines);
    ss_batch_scheduler_free(r->kernels.scheduler);
    ss_voice_cache_free(r->node.voices);
    ss_labels_free(&r->node.labels);
}

int main(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak-node", SS_SCOPE_NODE, &rc);
    if (!settings)
        return rc;

    /* Signals: blocked everywhere, taken synchronously by sigwait. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();

    node_run r;
    memset(&r, 0, sizeof r);
    r.settings = settings;
    atomic_init(&r.node.draining, false);
    for (size_t i = 0; i < sizeof START_STEPS / sizeof START_STEPS[0]; i++) {
        char err[512] = "";
        if (START_STEPS[i](&r, err, sizeof err) != 0) {
            ss_error(NULL, "scaispeak-node cannot start: %s", err);
            node_run_free(&r);
            ss_config_free(settings);
            return 2;
        }
    }
    log_serving(&r);
    ss_sd_notify_logged("READY=1");
    wait_and_drain(&r, &stop_set);
    node_run_free(&r);
    ss_info(NULL, "scaispeak-node stopped");
    ss_config_free(settings);
    return 0;
}
