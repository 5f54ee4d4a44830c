/* Unit tests for the phase walk (gateway/request_phases.c): order, the one
 * place where phases are skipped (public routes, the operator token, route
 * flags), a phase that resumes the walk later from a callback, and a walk
 * started again (gw_phases_restart). */
#include "gateway/request_phases.h"

#include <criterion/criterion.h>
#include <string.h>

static char trail[64];
static gw_request *parked; /* a phase waiting for its "callback" */

static void note(char c)
{
    size_t n = strlen(trail);
    trail[n] = c;
    trail[n + 1] = '\0';
}

static void phase_a(gw_request *r) { note('a'); gw_phase_next(r); }
static void phase_b(gw_request *r) { note('b'); gw_phase_next(r); }
static void phase_c(gw_request *r) { note('c'); gw_phase_next(r); }
static void phase_async(gw_request *r) { note('w'); parked = r; }
static void handler(gw_request *r) { (void)r; note('h'); }

static const gw_phase TABLE[] = {
    {GW_PHASE_AUTHENTICATE, "a", phase_a, true, false, 0},
    {GW_PHASE_AUTHORIZE, "b", phase_b, true, true, 0},
    {GW_PHASE_RATE_LIMIT, "c", phase_c, true, true, GW_ROUTE_RATE_LIMITS_ITSELF},
    {GW_PHASE_HANDLER, "h", handler, false, false, 0},
};

static void walk(gw_request *r, const gw_phase *t, size_t n)
{
    trail[0] = '\0';
    r->handler = handler;
    gw_phases_start(r, t, n);
}

Test(request_phases, runs_every_phase_in_order)
{
    gw_request r = {.need = NEED_CALLER};
    walk(&r, TABLE, 4);
    cr_assert_str_eq(trail, "abch");
}

Test(request_phases, public_routes_run_only_the_handler)
{
    gw_request r = {.need = NEED_NOTHING};
    walk(&r, TABLE, 4);
    cr_assert_str_eq(trail, "h");
    cr_assert_not(gw_phase_required(&r, GW_PHASE_RATE_LIMIT));
}

Test(request_phases, operator_token_skips_authorize_and_rate_limit)
{
    gw_request r = {.need = NEED_OPERATOR};
    r.caller.kind = CALLER_OPERATOR_TOKEN;
    walk(&r, TABLE, 4);
    cr_assert_str_eq(trail, "ah");
    cr_assert_not(gw_phase_required(&r, GW_PHASE_RATE_LIMIT));
    cr_assert(gw_phase_required(&r, GW_PHASE_AUTHENTICATE));
}

Test(request_phases, route_flag_skips_the_phase_but_it_stays_required)
{
    gw_request r = {.need = 1u, .route_flags = GW_ROUTE_RATE_LIMITS_ITSELF};
    walk(&r, TABLE, 4);
    cr_assert_str_eq(trail, "abh");
    cr_assert(gw_phase_required(&r, GW_PHASE_RATE_LIMIT), "the handler must count the request itself");
}

Test(request_phases, an_async_phase_resumes_the_walk)
{
    const gw_phase t[] = {TABLE[0], {GW_PHASE_AUTHORIZE, "w", phase_async, true, true, 0}, TABLE[2],
                          TABLE[3]};
    gw_request r = {.need = NEED_CALLER};
    parked = NULL;
    walk(&r, t, 4);
    cr_assert_str_eq(trail, "aw", "the walk waits for the phase's callback");
    cr_assert_eq(parked, &r);
    gw_phase_next(parked);
    cr_assert_str_eq(trail, "awch");
}

Test(request_phases, the_gateway_table_is_the_documented_order)
{
    size_t n;
    const gw_phase *p = gw_phases(&n);
    cr_assert_eq(n, 4);
    const char *names[] = {"authenticate", "authorize", "rate_limit", "handler"};
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].id, (gw_phase_id)i);
        cr_assert_str_eq(p[i].name, names[i]);
    }
    cr_assert(p[1].skipped_for_operator_token && p[2].skipped_for_operator_token);
    cr_assert(!p[0].skipped_for_operator_token && !p[3].skipped_for_operator_token);
}

Test(request_phases, a_restart_walks_again_from_the_first_phase)
{
    const gw_phase t[] = {TABLE[0], TABLE[1], TABLE[2],
                          {GW_PHASE_HANDLER, "w", phase_async, false, false, 0}};
    gw_request r = {.need = NEED_CALLER};
    parked = NULL;
    walk(&r, t, 4);
    cr_assert_str_eq(trail, "abcw");
    cr_assert_eq(parked, &r, "the handler is waiting (its first script)");
    gw_phases_restart(&r); /* an identity that changed: authenticate again */
    cr_assert_str_eq(trail, "abcwabcw", "every phase runs again, in order");
}
