/* Backend resolution (see backend_resolve.h). */
#include "gateway/backend_resolve.h"

#include "gateway/node_registry.h"

#include "common/api_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool allowed(const json_t *policy, char b)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(policy, "allowed_backends"), i, v)
    {
        const char *s = json_string_value(v);
        if (s && s[0] == b && !s[1])
            return true;
    }
    return false;
}

static void note(json_t *unusable, const char *field, const char *msg)
{
    json_array_append_new(unusable, ss_detail(field, msg));
}

static double load_of(const json_t *node)
{
    json_t *cap = json_object_get(node, "capacity");
    double slots = (double)json_integer_value(json_object_get(cap, "slots"));
    double busy = (double)json_integer_value(json_object_get(cap, "in_flight"));
    return slots > 0 ? busy / slots : 1e9;
}

static int by_load(const void *a, const void *b)
{
    double x = ((const gw_node_choice *)a)->load, y = ((const gw_node_choice *)b)->load;
    return (x > y) - (x < y);
}

/* Fills out->nodes; -1 when out of memory. */
static int pick_nodes(const json_t *nodes, const char *engine_id, unsigned rnd, gw_backend_plan *out)
{
    size_t n = json_array_size(nodes), usable = 0;
    gw_node_choice *c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *node = json_array_get(nodes, i);
        if (!node_object_usable(node, engine_id))
            continue;
        snprintf(c[usable].node_id, sizeof c[usable].node_id, "%s",
                 json_string_value(json_object_get(node, "node_id")));
        snprintf(c[usable].address, sizeof c[usable].address, "%s",
                 json_string_value(json_object_get(node, "address")));
        c[usable].load = load_of(node);
        usable++;
    }
    if (usable >= 2) {
        /* power of two choices: two distinct random candidates, the less
         * loaded goes first; the rest follow by load. */
        size_t a = rnd % usable, b = (a + 1 + (rnd / (unsigned)usable) % (usable - 1)) % usable;
        size_t first = c[b].load < c[a].load ? b : a;
        gw_node_choice chosen = c[first];
        c[first] = c[0];
        c[0] = chosen;
        qsort(c + 1, usable - 1, sizeof *c, by_load);
    }
    for (size_t i = 0; i < usable && out->nnodes < GW_MAX_NODE_TRIES; i++)
        out->nodes[out->nnodes++] = c[i];
    free(c);
    return 0;
}

int gw_backend_plan_make(const json_t *policy, const char *preference, const json_t *nodes,
                         const char *engine_id, const char *relay_reason, unsigned rnd,
                         gw_backend_plan *out)
{
    memset(out, 0, sizeof *out);
    out->unusable = json_array();
    if (!out->unusable)
        return -1;
    const char *def = json_string_value(json_object_get(policy, "default_backend"));
    char first = def && (def[0] == 'A' || def[0] == 'B') ? def[0] : 'A';
    char second = first == 'A' ? 'B' : 'A';
    if (preference && !strcmp(preference, "prefer_self_hosted") && allowed(policy, 'A'))
        first = 'A', second = 'B';
    else if (preference && !strcmp(preference, "prefer_relay") && allowed(policy, 'B'))
        first = 'B', second = 'A';
    char order[2] = {first, second};
    for (int i = 0; i < 2; i++) {
        char b = order[i];
        if (!allowed(policy, b)) {
            note(out->unusable, b == 'A' ? "backend_a" : "backend_b", "not allowed by the tenant policy");
            continue;
        }
        if (b == 'A') {
            if (pick_nodes(nodes, engine_id, rnd, out) != 0) {
                json_decref(out->unusable);
                out->unusable = NULL;
                return -1;
            }
            if (out->nnodes == 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "no online, non-draining node with engine %s", engine_id);
                note(out->unusable, "backend_a", msg);
                continue;
            }
        } else if (relay_reason) {
            note(out->unusable, "backend_b", relay_reason);
            continue;
        }
        out->order[out->norder++] = (gw_backend)b;
    }
    return out->norder;
}
