/* Heartbeat client (see heartbeat_client.h).
 *
 * Each gateway has a thread, a channel and a small state machine:
 *   UNKNOWN -> UP         first accepted heartbeat (info)
 *   *       -> DOWN       any failure but UNAUTHENTICATED (warn, once)
 *   *       -> REJECTED   UNAUTHENTICATED (error, once)
 * UP and REJECTED beat every interval; DOWN retries after a backoff that
 * doubles from 250 ms to 2 s. "Beat now" requests carry a generation number;
 * each thread records the last generation it served, so the caller can wait
 * for all of them. All shared fields are under hb->mu. */
#include "node/heartbeat_client.h"

#include "common/grpc_client.h"
#include "common/heartbeat_limits.h"
#include "common/log.h"
#include "common/metrics.h"
#include "proto/heartbeat.pb-c.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000

typedef enum { GW_UNKNOWN, GW_UP, GW_DOWN, GW_REJECTED } gw_state;

typedef struct ss_heartbeat ss_heartbeat;

typedef struct {
    ss_heartbeat *hb;
    char *target;
    ss_grpc_channel *channel;
    pthread_t thread;
    bool started;
    gw_state state;
    int backoff_ms;
    unsigned served_gen;  /* last beat-now generation this thread served */
    bool last_ok;
    bool drain_requested;
} gateway;

struct ss_heartbeat {
    ss_node *node;
    char *auth;
    gateway *gws;
    size_t ngw;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    unsigned gen;      /* beat-now generation */
    bool stopping;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec mono_at(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    return ts;
}

/* The node's own GPU memory (the batch scheduler's lanes) into the
 * heartbeat's GpuFacts, and the same figures into /metrics, refreshed at
 * every heartbeat. Nothing on a node without a scheduler (CPU kernels). */
static void report_gpu_pool(ss_node *node, Scaiinfer__V1__GpuFacts *gpu)
{
    if (!node->scheduler)
        return;
    ss_batch_stats st;
    ss_batch_scheduler_stats(node->scheduler, &st);
    const ss_kernel_lane_usage *m = &st.memory;
    gpu->pool_limit_mb = (uint64_t)(m->device_limit >> 20);
    gpu->pool_used_mb = (uint64_t)((m->device_bytes + (1u << 20) - 1) >> 20);
    gpu->pinned_mb = (uint64_t)((m->pinned_bytes + (1u << 20) - 1) >> 20);
    gpu->lanes = (uint32_t)st.lanes;
    ss_metric_set(ss_metrics_gauge("scaispeak_node_gpu_pool_bytes",
                                   "device memory held by the CUDA lanes' pools", ""),
                  (double)m->device_bytes);
    ss_metric_set(ss_metrics_gauge("scaispeak_node_gpu_pool_limit_bytes",
                                   "bound on the CUDA lanes' pools (gpu_memory_mb)", ""),
                  (double)m->device_limit);
    ss_metric_set(ss_metrics_gauge("scaispeak_node_gpu_pinned_bytes",
                                   "pinned host staging held by the CUDA lanes", ""),
                  (double)m->pinned_bytes);
    ss_metric_set(ss_metrics_gauge("scaispeak_node_gpu_pool_allocations",
                                   "device allocations the lanes made since start (flat in steady state)",
                                   ""),
                  (double)m->device_allocs);
    ss_metric_set(ss_metrics_gauge("scaispeak_node_gpu_batches",
                                   "kernel calls made by the batch scheduler since start", ""),
                  (double)st.launches);
}

int ss_heartbeat_build(ss_node *node, uint8_t **out, size_t *len)
{
    Scaiinfer__V1__HeartbeatRequest req = SCAIINFER__V1__HEARTBEAT_REQUEST__INIT;
    req.node_id = node->node_id;
    req.address = node->address;
    req.slots = (uint32_t)node->slots;
    req.in_flight = (uint32_t)ss_node_in_flight(node);
    req.kernels = node->kernels;
    req.version = (char *)SS_NODE_VERSION;
    req.started_at = node->started_at;
    req.draining = atomic_load(&node->draining);
    req.heartbeat_interval_ms = (uint32_t)node->heartbeat_interval_ms;

    int rc = -1;
    size_t ne = node->nengines, nl = node->labels.count;
    Scaiinfer__V1__HeartbeatEngine *eng = calloc(ne ? ne : 1, sizeof *eng);
    Scaiinfer__V1__HeartbeatEngine **engp = calloc(ne ? ne : 1, sizeof *engp);
    Scaiinfer__V1__HeartbeatRequest__LabelsEntry *lab = calloc(nl ? nl : 1, sizeof *lab);
    Scaiinfer__V1__HeartbeatRequest__LabelsEntry **labp = calloc(nl ? nl : 1, sizeof *labp);
    char **voices = NULL;
    long nv = node->voices ? ss_voice_cache_ids(node->voices, &voices) : 0;
    if (!eng || !engp || !lab || !labp || nv < 0)
        goto out;
    for (size_t i = 0; i < ne; i++) {
        Scaiinfer__V1__HeartbeatEngine e = SCAIINFER__V1__HEARTBEAT_ENGINE__INIT;
        e.engine_id = node->engines[i]->info.engine_id;
        e.kind = node->engines[i]->info.kind;
        e.version = node->engines[i]->info.version;
        e.sample_rate = node->engines[i]->info.sample_rate;
        e.gender = node->engines[i]->info.gender;
        e.accent = node->engines[i]->info.accent;
        e.language = node->engines[i]->info.language;
        eng[i] = e;
        engp[i] = &eng[i];
    }
    req.n_engines = ne;
    req.engines = engp;
    for (size_t i = 0; i < nl; i++) {
        Scaiinfer__V1__HeartbeatRequest__LabelsEntry l =
            SCAIINFER__V1__HEARTBEAT_REQUEST__LABELS_ENTRY__INIT;
        l.key = node->labels.items[i].key;
        l.value = node->labels.items[i].value;
        lab[i] = l;
        labp[i] = &lab[i];
    }
    req.n_labels = nl;
    req.labels = labp;
    /* The gateway refuses longer lists; the rest stay cached, unreported. */
    req.n_voices_cached = (size_t)(nv > SS_HB_MAX_VOICES ? SS_HB_MAX_VOICES : nv);
    req.voices_cached = voices;
    Scaiinfer__V1__GpuFacts gpu = SCAIINFER__V1__GPU_FACTS__INIT;
    ss_device_facts now; /* outlives the packing below: gpu.name points into it */
    if (node->gpu.present) {
        ss_device_probe(&now);
        const ss_device_facts *f = now.present ? &now : &node->gpu;
        gpu.name = (char *)f->name;
        gpu.memory_total_mb = f->memory_total_mb;
        gpu.memory_used_mb = f->memory_used_mb;
        report_gpu_pool(node, &gpu);
        req.gpu = &gpu;
    }
    size_t n = scaiinfer__v1__heartbeat_request__get_packed_size(&req);
    *out = malloc(n ? n : 1);
    if (*out) {
        scaiinfer__v1__heartbeat_request__pack(&req, *out);
        *len = n;
        rc = 0;
    }
out:
    free(eng);
    free(engp);
    free(lab);
    free(labp);
    if (nv > 0)
        ss_voice_cache_ids_free(voices, nv);
    else
        free(voices);
    return rc;
}

/* Applies the gateway's answer: pending evictions, drain flag. */
static void apply_response(gateway *gw, const uint8_t *resp, size_t len)
{
    ss_node *node = gw->hb->node;
    Scaiinfer__V1__HeartbeatResponse *r = scaiinfer__v1__heartbeat_response__unpack(NULL, len, resp);
    if (!r) {
        ss_warn(NULL, "gateway %s sent an undecodable HeartbeatResponse (%zu bytes); ignored",
                gw->target, len);
        return;
    }
    for (size_t i = 0; i < r->n_evict_voice_ids; i++) {
        const char *vid = r->evict_voice_ids[i];
        bool was = node->voices ? ss_voice_cache_evict(node->voices, vid) : false;
        for (size_t k = 0; k < node->nengines; k++)
            if (node->engines[k]->evict_voice)
                node->engines[k]->evict_voice(node->engines[k], vid);
        ss_info(NULL, "gateway %s asked to evict voice %s (was cached: %s)", gw->target, vid,
                was ? "yes" : "no");
    }
    bool drain = r->drain_requested;
    if (drain != gw->drain_requested)
        ss_info(NULL, "gateway %s reports this node %s by an operator", gw->target,
                drain ? "drained" : "no longer drained");
    gw->drain_requested = drain;
    scaiinfer__v1__heartbeat_response__free_unpacked(r, NULL);
}

/* One attempt; returns the delay until the next one. */
static int beat_once(gateway *gw)
{
    ss_heartbeat *hb = gw->hb;
    int interval = hb->node->heartbeat_interval_ms;
    uint8_t *req = NULL;
    size_t req_len = 0;
    if (ss_heartbeat_build(hb->node, &req, &req_len) != 0) {
        ss_error(NULL, "cannot build a heartbeat (out of memory); retrying");
        return BACKOFF_MAX_MS;
    }
    int timeout = interval < 500 ? 500 : (interval > 5000 ? 5000 : interval);
    ss_grpc_metadata md = {.authorization = hb->auth};
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    char msg[256];
    grpc_status_code code = ss_grpc_unary_call(gw->channel, SS_HEARTBEAT_METHOD, &md, timeout, req,
                                               req_len, &resp, &resp_len, msg, sizeof msg);
    free(req);
    int next;
    if (code == GRPC_STATUS_OK) {
        if (gw->state != GW_UP)
            ss_info(NULL, "gateway %s accepts our heartbeats (every %d ms)", gw->target, interval);
        gw->state = GW_UP;
        gw->backoff_ms = BACKOFF_MIN_MS;
        apply_response(gw, resp, resp_len);
        next = interval;
    } else if (code == GRPC_STATUS_UNAUTHENTICATED) {
        if (gw->state != GW_REJECTED)
            ss_error(NULL, "gateway %s rejected our node credential (UNAUTHENTICATED; node_secret "
                     "must be HMAC-SHA256(node_auth_key, node_id)): %s", gw->target, msg);
        gw->state = GW_REJECTED;
        next = interval;
    } else {
        if (gw->state != GW_DOWN)
            ss_warn(NULL, "gateway %s unreachable (%s: %s); retrying with backoff %d..%d ms",
                    gw->target, ss_grpc_status_name(code), msg, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
        if (gw->state != GW_DOWN)
            gw->backoff_ms = BACKOFF_MIN_MS;
        gw->state = GW_DOWN;
        next = gw->backoff_ms;
        gw->backoff_ms = gw->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : gw->backoff_ms * 2;
    }
    free(resp);
    gw->last_ok = code == GRPC_STATUS_OK;
    return next;
}

static void *gateway_main(void *arg)
{
    gateway *gw = arg;
    ss_heartbeat *hb = gw->hb;
    int64_t next_at = mono_ms(); /* first beat at once */
    pthread_mutex_lock(&hb->mu);
    for (;;) {
        while (!hb->stopping && hb->gen == gw->served_gen && mono_ms() < next_at) {
            struct timespec ts = mono_at(next_at);
            pthread_cond_timedwait(&hb->cv, &hb->mu, &ts);
        }
        if (hb->stopping)
            break;
        unsigned gen = hb->gen;
        pthread_mutex_unlock(&hb->mu);
        int delay = beat_once(gw);
        pthread_mutex_lock(&hb->mu);
        gw->served_gen = gen;
        next_at = mono_ms() + delay;
        pthread_cond_broadcast(&hb->cv);
    }
    pthread_mutex_unlock(&hb->mu);
    return NULL;
}

ss_heartbeat *ss_heartbeat_start(ss_node *node, const char *gateways_csv, const char *node_secret,
                                 char *err, size_t errlen)
{
    ss_heartbeat *hb = calloc(1, sizeof *hb);
    if (!hb) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hb->node = node;
    pthread_mutex_init(&hb->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hb->cv, &ca);
    pthread_condattr_destroy(&ca);
    size_t alen = strlen(node_secret) + 8;
    hb->auth = malloc(alen);
    char *list = strdup(gateways_csv ? gateways_csv : "");
    if (!hb->auth || !list) {
        free(list);
        snprintf(err, errlen, "out of memory");
        ss_heartbeat_stop(hb);
        return NULL;
    }
    snprintf(hb->auth, alen, "Bearer %s", node_secret);
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t tl = strlen(tok);
        while (tl && (tok[tl - 1] == ' ' || tok[tl - 1] == '\t'))
            tok[--tl] = 0;
        if (!tl)
            continue;
        gateway *ng = realloc(hb->gws, (hb->ngw + 1) * sizeof *ng);
        if (!ng) {
            free(list);
            snprintf(err, errlen, "out of memory");
            ss_heartbeat_stop(hb);
            return NULL;
        }
        hb->gws = ng;
        gateway *gw = &hb->gws[hb->ngw];
        memset(gw, 0, sizeof *gw);
        gw->hb = hb;
        gw->backoff_ms = BACKOFF_MIN_MS;
        gw->target = strdup(tok);
        hb->ngw++;
        if (!gw->target || !(gw->channel = ss_grpc_channel_new(tok, err, errlen))) {
            if (!gw->target)
                snprintf(err, errlen, "out of memory");
            free(list);
            ss_heartbeat_stop(hb);
            return NULL;
        }
    }
    free(list);
    if (hb->ngw == 0) {
        snprintf(err, errlen, "gateways is empty: the node would never register");
        ss_heartbeat_stop(hb);
        return NULL;
    }
    /* Threads start only now: realloc above may move the gateway array. */
    for (size_t i = 0; i < hb->ngw; i++) {
        int e = pthread_create(&hb->gws[i].thread, NULL, gateway_main, &hb->gws[i]);
        if (e != 0) {
            snprintf(err, errlen, "cannot start heartbeat thread: %s", strerror(e));
            ss_heartbeat_stop(hb);
            return NULL;
        }
        hb->gws[i].started = true;
    }
    return hb;
}

int ss_heartbeat_beat_now(ss_heartbeat *hb, int wait_ms)
{
    int64_t deadline = mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    pthread_mutex_lock(&hb->mu);
    unsigned gen = ++hb->gen;
    pthread_cond_broadcast(&hb->cv);
    for (;;) {
        size_t served = 0;
        for (size_t i = 0; i < hb->ngw; i++)
            if (hb->gws[i].served_gen == gen)
                served++;
        if (served == hb->ngw || mono_ms() >= deadline)
            break;
        struct timespec ts = mono_at(deadline);
        pthread_cond_timedwait(&hb->cv, &hb->mu, &ts);
    }
    int accepted = 0;
    for (size_t i = 0; i < hb->ngw; i++)
        if (hb->gws[i].served_gen == gen && hb->gws[i].last_ok)
            accepted++;
    pthread_mutex_unlock(&hb->mu);
    return accepted;
}

void ss_heartbeat_stop(ss_heartbeat *hb)
{
    if (!hb)
        return;
    pthread_mutex_lock(&hb->mu);
    hb->stopping = true;
    pthread_cond_broadcast(&hb->cv);
    pthread_mutex_unlock(&hb->mu);
    for (size_t i = 0; i < hb->ngw; i++) {
        if (hb->gws[i].started)
            pthread_join(hb->gws[i].thread, NULL);
        ss_grpc_channel_free(hb->gws[i].channel);
        free(hb->gws[i].target);
    }
    free(hb->gws);
    free(hb->auth);
    pthread_mutex_destroy(&hb->mu);
    pthread_cond_destroy(&hb->cv);
    free(hb);
}
