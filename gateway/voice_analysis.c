/* Intake's node-side analysis (see voice_analysis.h): the registry is read,
 * a backend-A-only plan is made, and the plan's nodes are called in turn
 * until one conditions the voice or refuses the clip. */
#include "gateway/voice_analysis.h"

#include "gateway/backend_resolve.h"
#include "gateway/node_call.h"
#include "gateway/node_registry.h"

#include "common/grpc_status.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct {
    gw_server *gw;
    char request_id[SS_REQUEST_ID_MAX + 1];
    const char *engine_id, *voice_id, *sha256;
    const uint8_t *reference;
    size_t reference_len;
    voice_analysis_done_fn done;
    void *user;
    gw_backend_plan plan;
    int node_idx;
    char last[400]; /* what the last node said */
} analysis;

static void finish(analysis *a, const char *status, const char *reason, const char *detail)
{
    voice_analysis_done_fn done = a->done;
    void *user = a->user;
    char copy[sizeof a->last];
    snprintf(copy, sizeof copy, "%s", detail); /* detail may be a->last */
    json_decref(a->plan.unusable);
    free(a);
    done(user, status, reason, copy);
}

static void try_node(analysis *a);

static void on_header(void *user, uint32_t rate)
{
    (void)user;
    (void)rate;
}

static void on_audio(void *user, const int16_t *pcm, size_t n)
{
    (void)user;
    (void)pcm;
    (void)n;
}

static void on_done(void *user, const gw_node_result *res)
{
    analysis *a = user;
    const gw_node_choice *node = &a->plan.nodes[a->node_idx];
    if (res->code == GRPC_STATUS_OK) {
        char detail[200];
        snprintf(detail, sizeof detail, "node %s conditioned the voice", node->node_id);
        finish(a, "ready", NULL, detail);
        return;
    }
    snprintf(a->last, sizeof a->last, "node %s: %s: %s", node->node_id, ss_grpc_status_name(res->code),
             res->message);
    if (res->code == GRPC_STATUS_INVALID_ARGUMENT) {
        finish(a, "failed", "analysis_failed", a->last);
        return;
    }
    ss_warn(a->request_id, "voice %s analysis: %s", a->voice_id, a->last);
    a->node_idx++;
    try_node(a);
}

static void try_node(analysis *a)
{
    static const gw_node_events ev = {on_header, on_audio, on_done};
    while (a->node_idx < a->plan.nnodes) {
        const gw_node_choice *node = &a->plan.nodes[a->node_idx];
        gw_node_request req = {
            .request_id = a->request_id,
            .engine_id = a->engine_id,
            .text = VOICE_ANALYSIS_TEXT,
            .voice_id = a->voice_id,
            .reference_sha256 = a->sha256,
            .reference_audio = a->reference,
            .reference_audio_len = a->reference_len,
            .speed = 1.0f,
            .timeout_ms = (int)a->gw->settings->synthesis_timeout_ms,
        };
        char err[256];
        if (gw_node_call_start(a->gw, node->address, &req, &ev, a, err, sizeof err)) {
            ss_info(a->request_id, "voice %s: analysis on node %s (%s)", a->voice_id, node->node_id, node->address);
            return;
        }
        snprintf(a->last, sizeof a->last, "node %s: %s", node->node_id, err);
        a->node_idx++;
    }
    finish(a, "failed", "reference_unavailable", a->last[0] ? a->last : "no node could be called");
}

static void on_registry(void *user, json_t *nodes, const char *err)
{
    analysis *a = user;
    if (!nodes) {
        snprintf(a->last, sizeof a->last, "the node registry could not be read: %s", err ? err : "");
        finish(a, "failed", "reference_unavailable", a->last);
        return;
    }
    json_t *policy = json_pack("{s:[s],s:s}", "allowed_backends", "A", "default_backend", "A");
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = 0;
    int n = policy ? gw_backend_plan_make(policy, NULL, nodes, a->engine_id, "not used at intake", rnd, &a->plan)
                   : -1;
    json_decref(policy);
    json_decref(nodes);
    if (n < 0) {
        memset(&a->plan, 0, sizeof a->plan);
        finish(a, "failed", "reference_unavailable", "out of memory");
        return;
    }
    if (a->plan.nnodes == 0) {
        snprintf(a->last, sizeof a->last, "no online node serves engine %s", a->engine_id);
        finish(a, "failed", "reference_unavailable", a->last);
        return;
    }
    try_node(a);
}

int voice_analysis_start(gw_server *gw, const char *request_id, const char *engine_id, const char *voice_id,
                         const char *reference_sha256, const uint8_t *reference, size_t reference_len,
                         voice_analysis_done_fn done, void *user)
{
    analysis *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->gw = gw;
    snprintf(a->request_id, sizeof a->request_id, "%s", request_id);
    a->engine_id = engine_id;
    a->voice_id = voice_id;
    a->sha256 = reference_sha256;
    a->reference = reference;
    a->reference_len = reference_len;
    a->done = done;
    a->user = user;
    if (node_registry_list(gw->redis, a->request_id, on_registry, a) != 0) {
        free(a);
        return -1;
    }
    return 0;
}
