/* Unit tests for node/heartbeat_client: periodic beats to every gateway
 * with the node token, evictions from the answer applied, draining reported,
 * a bad token rejected (over real gRPC into an in-process HeartbeatService);
 * and the heartbeat's GPU facts on a node whose kernels run through a batch
 * scheduler with lanes: the bound (gpu_memory_mb), the pools' use, the lane
 * count and the pinned staging go out in GpuFacts and into /metrics. The
 * lanes here are the CPU lane table (tests/unit/cpu_lane_ops.h); the device
 * facts are the node's own (no device answers the probe on CI). */
#include "common/grpc_server.h"
#include "common/metrics.h"
#include "node/heartbeat_client.h"
#include "node/node_state.h"
#include "proto/heartbeat.pb-c.h"
#include "tests/unit/cpu_lane_ops.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Scaiinfer__V1__HeartbeatRequest *built(ss_node *node)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(ss_heartbeat_build(node, &buf, &len), 0);
    Scaiinfer__V1__HeartbeatRequest *req = scaiinfer__v1__heartbeat_request__unpack(NULL, len, buf);
    free(buf);
    cr_assert_not_null(req);
    return req;
}

static ss_node gpu_node(void)
{
    ss_node node;
    memset(&node, 0, sizeof node);
    snprintf(node.node_id, sizeof node.node_id, "hb-gpu");
    snprintf(node.kernels, sizeof node.kernels, "cuda");
    node.gpu.present = true;
    node.gpu.count = 1;
    snprintf(node.gpu.name, sizeof node.gpu.name, "Test GPU");
    node.gpu.memory_total_mb = 81559;
    node.slots = 2;
    node.heartbeat_interval_ms = 500;
    return node;
}

Test(heartbeat_client, pools_bound_and_use_are_reported)
{
    char err[256];
    ss_batch_options o = ss_batch_default_options();
    o.lanes = 3;
    o.lane_memory_limit = (size_t)1024 << 20; /* gpu_memory_mb 3072 over 3 lanes */
    ss_batch_scheduler *s = ss_batch_scheduler_new(&cpu_lane_ops, &o, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    ss_node node = gpu_node();
    node.scheduler = s;

    Scaiinfer__V1__HeartbeatRequest *req = built(&node);
    cr_assert_not_null(req->gpu);
    cr_assert_str_eq(req->gpu->name, "Test GPU");
    cr_assert_eq(req->gpu->memory_total_mb, 81559);
    cr_assert_eq(req->gpu->pool_limit_mb, 3072);
    cr_assert_eq(req->gpu->pool_used_mb, 0, "nothing ran yet");
    cr_assert_eq(req->gpu->lanes, 3);
    scaiinfer__v1__heartbeat_request__free_unpacked(req, NULL);

    /* one kernel call: its lane now holds memory (1 MiB in this table) */
    ss_excitation_state st;
    ss_excitation_state_init(&st);
    double period[4] = {100, 100, 0, 0}, out[4 * 80];
    ss_excitation_job j = {&st, period, 4, 80, out};
    cr_assert_eq(ss_batch_excitation(s, &j, 1, err, sizeof err), 0, "%s", err);
    req = built(&node);
    cr_assert_eq(req->gpu->pool_used_mb, 1);
    scaiinfer__v1__heartbeat_request__free_unpacked(req, NULL);

    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(ss_metrics_render(&text, &len), 0);
    cr_assert(strstr(text, "scaispeak_node_gpu_pool_limit_bytes 3221225472"), "%s", text);
    cr_assert(strstr(text, "scaispeak_node_gpu_pool_bytes 1048576"), "%s", text);
    free(text);
    ss_batch_scheduler_free(s);
}

Test(heartbeat_client, cpu_node_sends_no_gpu_facts)
{
    ss_node node = gpu_node();
    node.gpu.present = false;
    snprintf(node.kernels, sizeof node.kernels, "cpu");
    Scaiinfer__V1__HeartbeatRequest *req = built(&node);
    cr_assert_null(req->gpu);
    cr_assert_str_eq(req->kernels, "cpu");
    scaiinfer__v1__heartbeat_request__free_unpacked(req, NULL);
}

/* --- heartbeats into an in-process HeartbeatService */

typedef struct {
    pthread_mutex_t mu;
    int accepted, rejected;
    bool last_draining;
    char last_node[64];
    char last_label[64];
    size_t last_voices;
    bool evict_sent;
} gw_state;

static gw_state gws;

static grpc_status_code hb_handler(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                                   size_t len, uint8_t **resp, size_t *resp_len, char *msg, size_t msglen)
{
    (void)user;
    pthread_mutex_lock(&gws.mu);
    if (!info->authorization || strcmp(info->authorization, "Bearer good-token") != 0) {
        gws.rejected++;
        pthread_mutex_unlock(&gws.mu);
        snprintf(msg, msglen, "bad node token");
        return GRPC_STATUS_UNAUTHENTICATED;
    }
    Scaiinfer__V1__HeartbeatRequest *r = scaiinfer__v1__heartbeat_request__unpack(NULL, len, req);
    if (!r) {
        pthread_mutex_unlock(&gws.mu);
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    gws.accepted++;
    gws.last_draining = r->draining;
    snprintf(gws.last_node, sizeof gws.last_node, "%s", r->node_id);
    if (r->n_labels > 0)
        snprintf(gws.last_label, sizeof gws.last_label, "%s=%s", r->labels[0]->key, r->labels[0]->value);
    gws.last_voices = r->n_voices_cached;
    scaiinfer__v1__heartbeat_request__free_unpacked(r, NULL);
    Scaiinfer__V1__HeartbeatResponse out = SCAIINFER__V1__HEARTBEAT_RESPONSE__INIT;
    char *ids[] = {"vc_gone"};
    if (!gws.evict_sent) {
        out.n_evict_voice_ids = 1;
        out.evict_voice_ids = ids;
        gws.evict_sent = true;
    }
    pthread_mutex_unlock(&gws.mu);
    *resp_len = scaiinfer__v1__heartbeat_response__get_packed_size(&out);
    *resp = malloc(*resp_len + 1);
    scaiinfer__v1__heartbeat_response__pack(&out, *resp);
    return GRPC_STATUS_OK;
}

Test(heartbeat_client, beats_applies_evictions_reports_draining_and_token)
{
    memset(&gws, 0, sizeof gws);
    pthread_mutex_init(&gws.mu, NULL);
    char err[256];
    ss_grpc_server *gw = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(gw);
    cr_assert_eq(ss_grpc_server_add_unary(gw, SS_HEARTBEAT_METHOD, hb_handler, NULL), 0);
    cr_assert_eq(ss_grpc_server_start(gw, 1, err, sizeof err), 0);
    char targets[128];
    snprintf(targets, sizeof targets, " 127.0.0.1:%d , ", ss_grpc_server_port(gw));

    ss_node node;
    memset(&node, 0, sizeof node);
    snprintf(node.node_id, sizeof node.node_id, "hb-node");
    snprintf(node.kernels, sizeof node.kernels, "cpu");
    node.slots = 2;
    node.heartbeat_interval_ms = 100;
    atomic_init(&node.draining, false);
    cr_assert_eq(ss_labels_parse("zone=test", &node.labels, err, sizeof err), 0);
    node.voices = ss_voice_cache_new();
    ss_voice_cache_put(node.voices, "vc_gone", "d", NULL, NULL);
    ss_voice_cache_put(node.voices, "vc_kept", "d", NULL, NULL);

    ss_heartbeat *hb = ss_heartbeat_start(&node, targets, "good-token", err, sizeof err);
    cr_assert_not_null(hb, "%s", err);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&gws.mu);
        int n = gws.accepted;
        pthread_mutex_unlock(&gws.mu);
        if (n >= 3)
            break;
        usleep(10000);
    }
    pthread_mutex_lock(&gws.mu);
    cr_assert_geq(gws.accepted, 3, "heartbeats are not periodic");
    cr_assert_str_eq(gws.last_node, "hb-node");
    cr_assert_str_eq(gws.last_label, "zone=test");
    cr_assert_eq(gws.last_voices, 1, "the evicted voice is still reported");
    cr_assert_not(gws.last_draining);
    pthread_mutex_unlock(&gws.mu);
    cr_assert_not(ss_voice_cache_has(node.voices, "vc_gone", NULL));
    cr_assert(ss_voice_cache_has(node.voices, "vc_kept", NULL));

    atomic_store(&node.draining, true);
    cr_assert_eq(ss_heartbeat_beat_now(hb, 1000), 1);
    pthread_mutex_lock(&gws.mu);
    cr_assert(gws.last_draining);
    pthread_mutex_unlock(&gws.mu);
    ss_heartbeat_stop(hb);

    hb = ss_heartbeat_start(&node, targets, "wrong-token", err, sizeof err);
    cr_assert_eq(ss_heartbeat_beat_now(hb, 1000), 0);
    pthread_mutex_lock(&gws.mu);
    cr_assert_gt(gws.rejected, 0);
    pthread_mutex_unlock(&gws.mu);
    ss_heartbeat_stop(hb);

    cr_assert_null(ss_heartbeat_start(&node, " , ", "t", err, sizeof err));
    cr_assert(strstr(err, "empty") != NULL, "%s", err);

    ss_voice_cache_free(node.voices);
    ss_labels_free(&node.labels);
    ss_grpc_server_free(gw);
}
