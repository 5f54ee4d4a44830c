/* The heartbeat's GPU facts on a node whose kernels run through a batch
 * scheduler with lanes: the bound (gpu_memory_mb), the pools' use, the lane
 * count and the pinned staging go out in GpuFacts and into /metrics. The
 * lanes here are the CPU lane table (tests/unit/cpu_lane_ops.h); the device
 * facts are the node's own (no device answers the probe on CI). */
#include "common/metrics.h"
#include "node/heartbeat_client.h"
#include "node/node_state.h"
#include "proto/heartbeat.pb-c.h"
#include "tests/unit/cpu_lane_ops.h"

#include <criterion/criterion.h>
#include <string.h>

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

Test(node_heartbeat_gpu, pools_bound_and_use_are_reported)
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

Test(node_heartbeat_gpu, cpu_node_sends_no_gpu_facts)
{
    ss_node node = gpu_node();
    node.gpu.present = false;
    snprintf(node.kernels, sizeof node.kernels, "cpu");
    Scaiinfer__V1__HeartbeatRequest *req = built(&node);
    cr_assert_null(req->gpu);
    cr_assert_str_eq(req->kernels, "cpu");
    scaiinfer__v1__heartbeat_request__free_unpacked(req, NULL);
}
