/* Unit tests for gateway/backend_resolve: the backend plan follows the
 * policy's order, a preference never widens it, and only usable nodes are
 * chosen, least loaded first. */
#include "gateway/backend_resolve.h"

#include <criterion/criterion.h>
#include <string.h>

static json_t *node(const char *id, const char *status, int slots, int in_flight, bool engine)
{
    return json_pack("{s:s,s:s,s:s,s:{s:i,s:i},s:o}", "node_id", id, "address", "127.0.0.1:1",
                     "status", status, "capacity", "slots", slots, "in_flight", in_flight, "engines",
                     engine ? json_pack("[{s:s}]", "engine_id", "scaispeak-hts-en") : json_array());
}

static json_t *policy(const char *allowed, const char *def)
{
    json_t *a = json_array();
    for (const char *c = allowed; *c; c++)
        json_array_append_new(a, json_stringn(c, 1));
    return json_pack("{s:o,s:s}", "allowed_backends", a, "default_backend", def);
}

static const char *order(const gw_backend_plan *p)
{
    static char buf[3];
    for (int i = 0; i < p->norder; i++)
        buf[i] = (char)p->order[i];
    buf[p->norder] = '\0';
    return buf;
}

Test(backend_resolve, policy_order_and_preference)
{
    json_t *nodes = json_pack("[o]", node("n1", "online", 2, 0, true));
    gw_backend_plan p;
    struct {
        const char *allowed, *def, *pref, *relay_reason, *want;
    } cases[] = {
        {"AB", "A", "any", NULL, "AB"},
        {"AB", "B", "any", NULL, "BA"},
        {"AB", "A", "prefer_relay", NULL, "BA"},
        {"AB", "B", "prefer_self_hosted", NULL, "AB"},
        {"A", "A", "prefer_relay", NULL, "A"},   /* preference never widens */
        {"B", "B", "prefer_self_hosted", NULL, "B"},
        {"AB", "A", "any", "relay_url is not set", "A"},
        {"B", "B", "any", "relay down", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *pol = policy(cases[i].allowed, cases[i].def);
        gw_backend_plan_make(pol, cases[i].pref, nodes, "scaispeak-hts-en", cases[i].relay_reason, 7, &p);
        cr_assert_str_eq(order(&p), cases[i].want, "case %zu", i);
        json_decref(p.unusable);
        json_decref(pol);
    }
    json_decref(nodes);
}

Test(backend_resolve, only_usable_nodes_least_loaded_first)
{
    json_t *nodes = json_pack("[o,o,o,o,o]", node("busy", "online", 4, 3, true),
                              node("idle", "online", 4, 0, true), node("drained", "draining", 4, 0, true),
                              node("gone", "offline", 4, 0, true), node("noengine", "online", 4, 0, false));
    json_t *pol = policy("A", "A");
    for (unsigned rnd = 0; rnd < 16; rnd++) {
        gw_backend_plan p;
        gw_backend_plan_make(pol, "any", nodes, "scaispeak-hts-en", NULL, rnd, &p);
        cr_assert_eq(p.nnodes, 2);
        cr_assert_str_eq(p.nodes[0].node_id, "idle", "power of two choices among two picks the idle one");
        cr_assert_str_eq(p.nodes[1].node_id, "busy");
        json_decref(p.unusable);
    }
    json_t *none = json_array();
    gw_backend_plan p;
    gw_backend_plan_make(pol, "any", none, "scaispeak-hts-en", NULL, 1, &p);
    cr_assert_eq(p.norder, 0);
    cr_assert_eq(json_array_size(p.unusable), 2, "A: no node; B: not allowed by the policy");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(p.unusable, 0), "field")), "backend_a");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(p.unusable, 1), "field")), "backend_b");
    json_decref(p.unusable);
    json_decref(none);
    json_decref(pol);
    json_decref(nodes);
}
