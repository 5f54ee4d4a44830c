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
#include "common/node_credentials.h"
#include "common/sd_notify.h"
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

int main(int argc, char **argv)
{
    int rc = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak-node", SS_SCOPE_NODE, &rc);
    if (!settings)
        return rc;

    /* Signals: blocked everywhere, taken synchronously by sigwait below. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();

    char err[512] = "";
    ss_node node;
    memset(&node, 0, sizeof node);
    atomic_init(&node.draining, false);
    ss_grpc_server *srv = NULL;
    ss_metrics_http *metrics = NULL;
    ss_heartbeat *hb = NULL;
    ss_kernel_route kernels = {0};
    rc = 1;

    if (node_configure(&node, settings, &kernels.ops, err, sizeof err) != 0)
        goto out;
    double window = settings->batch_window_ms;
    /* Checked on every node, CPU ones included: one fleet-wide config
     * with a bad GPU setting fails everywhere, not only on GPU hosts. */
    ss_batch_options bo = ss_batch_default_options();
    bo.window_ms = window;
    if (gpu_pool_options(settings, &node.gpu, &bo, err, sizeof err) != 0)
        goto out;
    if (kernels.ops != ss_kernel_ops_cpu()) {
        kernels.scheduler = ss_batch_scheduler_new(kernels.ops, &bo, err, sizeof err);
        if (!kernels.scheduler)
            goto out;
        node.scheduler = kernels.scheduler;
        ss_info(NULL, "batch scheduler on the %s kernels, window %g ms, %d lane(s), device pools "
                "bounded at %zu MiB (%zu MiB per lane)", kernels.ops->name, window, bo.lanes,
                (size_t)bo.lanes * (bo.lane_memory_limit >> 20), bo.lane_memory_limit >> 20);
    }
    if (ss_node_engines_load(settings, &kernels, &node.engines, &node.nengines, err, sizeof err) != 0)
        goto out;
    node.voices = ss_voice_cache_new();
    if (!node.voices) {
        snprintf(err, sizeof err, "out of memory");
        goto out;
    }
    ss_voice_cache_set_limit(node.voices, (size_t)settings->voice_cache_mb << 20);
    node.pool = ss_work_pool_new(node.slots, node.queue_depth, err, sizeof err);
    if (!node.pool)
        goto out;

    char secret_buf[SS_NODE_SECRET_LEN];
    const char *call_token = ss_credential_resolve(settings, "node_call_token",
                                                   settings->node_call_token,
                                                   SS_DEV_NODE_CALL_TOKEN, err, sizeof err);
    const char *secret = call_token ? ss_node_secret_resolve(settings, node.node_id, secret_buf,
                                                             err, sizeof err)
                                    : NULL;
    if (!secret)
        goto out;

    /* /metrics listens before the gRPC port opens: whoever sees the node
     * up (its port accepts) can read its metrics at once. */
    long mport = settings->metrics_port;
    if (mport > 0) {
        metrics = ss_metrics_http_start(settings->metrics_bind, (int)mport, &node, err,
                                        sizeof err);
        if (!metrics)
            goto out;
    }

    char listen[300];
    join_host_port(listen, sizeof listen, settings->node_bind, settings->node_port);
    srv = ss_grpc_server_new(listen, err, sizeof err);
    if (!srv)
        goto out;
    if (ss_grpc_server_require_bearer(srv, call_token) != 0) {
        snprintf(err, sizeof err, "out of memory");
        goto out;
    }
    if (ss_tts_service_register(srv, &node, err, sizeof err) != 0 ||
        ss_health_service_register(srv, &node, err, sizeof err) != 0 ||
        ss_grpc_server_start(srv, GRPC_THREADS, err, sizeof err) != 0)
        goto out;

    hb = ss_heartbeat_start(&node, settings->gateways, secret, err, sizeof err);
    if (!hb)
        goto out;

    char metrics_desc[300] = "off";
    if (mport > 0)
        snprintf(metrics_desc, sizeof metrics_desc, "%s:%ld", settings->metrics_bind, mport);
    ss_info(NULL, "scaispeak-node %s (%s) serving TtsNode on %s, address %s, %zu engine(s), "
            "slots %d, queue_depth %d, kernels %s, metrics %s, gateways %s",
            node.node_id, SS_NODE_VERSION, listen, node.address, node.nengines, node.slots,
            node.queue_depth, node.kernels, metrics_desc, settings->gateways);

    ss_sd_notify_logged("READY=1");
    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
        ;
    ss_info(NULL, "%s received: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    ss_sd_notify_logged("STOPPING=1");
    ss_node_set_draining(&node, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    int told = ss_heartbeat_beat_now(hb, 1000);
    ss_info(NULL, "draining reported to %d gateway(s)", told);
    long drain_s = settings->drain_timeout_s;
    int in_flight = ss_node_in_flight(&node);
    bool idle = ss_work_pool_wait_idle(node.pool, drain_s > 0 ? (int)(drain_s * 1000) : 0);
    if (!idle)
        ss_warn(NULL, "drain_timeout_s (%ld s) passed with %d call(s) in flight: cancelling them",
                drain_s, ss_node_in_flight(&node));
    else if (in_flight > 0)
        ss_info(NULL, "all %d in-flight call(s) finished", in_flight);
    ss_grpc_server_shutdown(srv, idle ? 1000 : 0);
    rc = 0;

out:
    if (rc != 0)
        ss_error(NULL, "scaispeak-node cannot start: %s", err);
    ss_heartbeat_stop(hb);
    ss_metrics_http_stop(metrics);
    ss_grpc_server_free(srv);
    ss_work_pool_free(node.pool);
    ss_node_engines_free(node.engines, node.nengines);
    ss_batch_scheduler_free(kernels.scheduler);
    ss_voice_cache_free(node.voices);
    ss_labels_free(&node.labels);
    if (rc == 0)
        ss_info(NULL, "scaispeak-node stopped");
    ss_config_free(settings);
    return rc == 0 ? 0 : 2;
}
