/* Health endpoints: healthz (the process answers), readyz (it can do useful
 * work) and /metrics.
 *
 * readyz semantics (README "Health and readiness"): the gateway is READY
 * when Redis answers. Without Redis nothing works (keys, voices, rate limits
 * live there): 503. With Redis it can always serve something: the voice
 * library, keys, policy and (with the jobs issue) queued jobs, and synthesis
 * as soon as a backend returns; so losing every node does not take every
 * gateway out of its load balancer. Synthesis backends are reported per
 * backend and summed up as `degraded`:
 * backend A = an online, non-draining node with an engine loaded (read from
 * the node registry, whose read also proves Redis works);
 * backend B = a relay configured (relay_url and relay_key) that answered its
 * last probe (relay_probe.c); `reason` says why not, and is null when it is
 * reachable.
 * degraded = true when neither can synthesize now (/speak then answers 502
 * SCAISPEAK_BACKEND_UNAVAILABLE);
 * `degraded_reasons` names why. A 503 names every failing check. */
#include "gateway/gateway.h"
#include "gateway/node_registry.h"
#include "gateway/relay_probe.h"

#include "common/metrics.h"
#include "common/process_metrics.h"

#include <stdlib.h>
#include <string.h>

void gw_handle_healthz(gw_request *r)
{
    gw_reply_json(r, 200, json_pack("{s:s,s:{s:s}}", "status", "ok", "meta", "request_id", r->id));
}

static json_t *backend_b_check(gw_server *gw, bool *usable)
{
    relay_probe_status st;
    relay_probe_get(gw->relay_probe, &st);
    *usable = st.configured && st.reachable;
    return json_pack("{s:b,s:b,s:s?}", "configured", st.configured, "reachable", st.reachable,
                     "reason", st.reachable ? NULL : st.reason);
}

static void answer_ready(gw_request *r, bool redis_ok, const char *redis_err, int online_nodes)
{
    bool b_usable;
    json_t *checks = json_pack("{s:{s:b},s:{s:b,s:i},s:o}", "redis", "ok", redis_ok, "backend_a",
                               "ok", online_nodes > 0, "online_nodes", online_nodes, "backend_b",
                               backend_b_check(r->gw, &b_usable));
    if (!redis_ok && redis_err)
        json_object_set_new(json_object_get(checks, "redis"), "error", json_string(redis_err));
    bool ready = redis_ok;
    bool degraded = online_nodes == 0 && !b_usable;
    ss_metric_set(ss_metrics_gauge("scaispeak_ready", "1 when readyz answers 200", ""), ready);
    ss_metric_set(ss_metrics_gauge("scaispeak_degraded",
                                   "1 when no synthesis backend (node or relay) is usable", ""),
                  degraded);
    json_t *reasons = json_array();
    if (online_nodes == 0)
        json_array_append_new(reasons, json_string("backend_a: no online node with an engine"));
    if (!b_usable)
        json_array_append_new(reasons, json_string("backend_b: relay not usable"));
    if (ready) {
        json_t *body = json_pack("{s:s,s:b,s:b,s:o,s:o,s:{s:s}}", "status", "ok", "ready", 1,
                                 "degraded", degraded, "checks", checks, "degraded_reasons",
                                 degraded ? reasons : json_array(), "meta", "request_id", r->id);
        if (!degraded)
            json_decref(reasons);
        gw_reply_json(r, 200, body);
        return;
    }
    json_decref(reasons);
    char msg[200] = "not ready: redis unavailable";
    if (degraded)
        strcat(msg, "; no usable backend (backend_a: no online node with an engine; backend_b: not usable)");
    json_t *body = ss_envelope_error(SS_ERR_SERVICE_UNAVAILABLE, msg, NULL, r->id);
    json_object_set_new(body, "ready", json_false());
    json_object_set_new(body, "degraded", json_boolean(degraded));
    json_object_set_new(body, "checks", checks);
    gw_reply_json(r, 503, body);
}

/* readyz answers Redis failures with its own body (the checks), not with
 * state_call.c's 503: it reports on the state store rather than needing it. */
static void on_registry(void *user, json_t *nodes, const char *err)
{
    gw_request *r = user;
    if (!nodes) {
        answer_ready(r, false, err, 0);
        return;
    }
    int online = 0;
    size_t i;
    json_t *node;
    json_array_foreach(nodes, i, node)
    {
        if (node_object_usable(node, NULL))
            online++;
    }
    json_decref(nodes);
    answer_ready(r, true, NULL, online);
}

void gw_handle_readyz(gw_request *r)
{
    if (node_registry_list(r->gw->redis, r->id, on_registry, r) != 0)
        answer_ready(r, false, ss_redis_connected(r->gw->redis) ? "out of memory" : "not connected", 0);
}

void gw_handle_metrics(gw_request *r)
{
    ss_process_metrics_refresh(); /* what cannot be read stays at its last value */
    char *text = NULL;
    size_t len = 0;
    if (ss_metrics_render(&text, &len) != 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "cannot render metrics", NULL);
        return;
    }
    gw_reply_text(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
}
