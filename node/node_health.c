/* The node's readiness snapshot and its JSON (see node_health.h). */
#include "node/node_health.h"

#include <jansson.h>
#include <string.h>

void ss_node_health_judge(ss_node_health *h)
{
    h->engines_ok = h->engines > 0;
    h->not_draining_ok = !h->draining;
    h->slots_ok = h->slots > 0 && h->running + h->waiting < h->slots + h->queue_depth;
    h->ready = h->engines_ok && h->not_draining_ok && h->slots_ok;
}

void ss_node_health_get(ss_node *node, ss_node_health *out)
{
    memset(out, 0, sizeof *out);
    if (node) {
        out->engines = node->nengines;
        out->draining = atomic_load(&node->draining);
        out->slots = node->slots;
        out->queue_depth = node->queue_depth;
        if (node->pool)
            ss_work_pool_counts(node->pool, &out->running, &out->waiting);
        else
            out->slots = 0; /* no pool yet: nothing can be admitted */
    }
    ss_node_health_judge(out);
}

char *ss_node_health_readyz_json(const ss_node_health *h, size_t *len)
{
    json_t *body = json_pack("{s:s,s:b,s:{s:{s:b,s:I},s:{s:b},s:{s:b,s:i,s:i,s:i,s:i}}}",
                             "status", h->ready ? "ok" : "unavailable", "ready", h->ready,
                             "checks", "engines", "ok", h->engines_ok, "loaded", (json_int_t)h->engines,
                             "not_draining", "ok", h->not_draining_ok,
                             "slots", "ok", h->slots_ok, "slots", h->slots, "queue_depth",
                             h->queue_depth, "running", h->running, "waiting", h->waiting);
    if (!body)
        return NULL;
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text)
        *len = strlen(text);
    return text;
}
