/* Unit tests for node/node_health: the readiness judgement shared by the
 * node's /readyz and grpc.health.v1.Health/Check, and its JSON. */
#include "node/node_health.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>

static ss_node_health counts(size_t engines, bool draining, int slots, int queue, int running,
                             int waiting)
{
    ss_node_health h = {.engines = engines, .draining = draining, .slots = slots,
                        .queue_depth = queue, .running = running, .waiting = waiting};
    ss_node_health_judge(&h);
    return h;
}

Test(node_health, ready_with_engine_idle_and_not_draining)
{
    ss_node_health h = counts(1, false, 2, 4, 0, 0);
    cr_assert(h.engines_ok && h.not_draining_ok && h.slots_ok && h.ready);
}

Test(node_health, each_check_alone_makes_it_unready)
{
    cr_assert_not(counts(0, false, 2, 4, 0, 0).ready, "no engine");
    cr_assert_not(counts(1, true, 2, 4, 0, 0).ready, "draining");
    cr_assert_not(counts(1, false, 2, 4, 2, 4).ready, "slots and queue full");
    cr_assert_not(counts(1, false, 0, 0, 0, 0).ready, "no slots at all");
}

Test(node_health, busy_but_admitting_is_ready)
{
    cr_assert(counts(1, false, 2, 4, 2, 3).ready, "one place left in the queue");
}

Test(node_health, null_node_is_not_ready)
{
    ss_node_health h;
    ss_node_health_get(NULL, &h);
    cr_assert_not(h.ready);
    cr_assert_not(h.engines_ok);
}

Test(node_health, readyz_json_names_every_check)
{
    ss_node_health h = counts(0, true, 2, 4, 1, 0);
    size_t len = 0;
    char *text = ss_node_health_readyz_json(&h, &len);
    cr_assert_not_null(text);
    json_error_t e;
    json_t *j = json_loadb(text, len, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "unavailable");
    cr_assert(json_is_false(json_object_get(j, "ready")));
    json_t *c = json_object_get(j, "checks");
    cr_assert(json_is_false(json_object_get(json_object_get(c, "engines"), "ok")));
    cr_assert(json_is_false(json_object_get(json_object_get(c, "not_draining"), "ok")));
    cr_assert(json_is_true(json_object_get(json_object_get(c, "slots"), "ok")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "slots"), "running")), 1);
    json_decref(j);
    free(text);
}
