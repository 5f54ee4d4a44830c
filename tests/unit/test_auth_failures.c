/* Unit tests for gateway/auth_failures.c: the per-address window of failed
 * authentications (limit, Retry-After, the window's end, addresses apart). */
#include "gateway/auth_failures.h"

#include <criterion/criterion.h>

static void reset(void)
{
    auth_failures_reset();
}

TestSuite(auth_failures, .init = reset);

Test(auth_failures, blocks_after_the_limit_until_the_window_ends)
{
    long retry = 0;
    time_t t0 = 1000;
    for (int i = 0; i < 3; i++) {
        cr_assert(!auth_failures_blocked("10.0.0.1", 3, t0 + i, &retry), "failure %d", i);
        auth_failures_record("10.0.0.1", t0 + i);
    }
    cr_assert(auth_failures_blocked("10.0.0.1", 3, t0 + 10, &retry));
    cr_assert_eq(retry, AUTH_FAILURE_WINDOW_S - 10);
    cr_assert(!auth_failures_blocked("10.0.0.2", 3, t0 + 10, &retry), "another address is apart");
    cr_assert(!auth_failures_blocked("10.0.0.1", 0, t0 + 10, &retry), "limit 0: off");
    cr_assert(!auth_failures_blocked("10.0.0.1", 3, t0 + AUTH_FAILURE_WINDOW_S, &retry), "window over");
    auth_failures_record("10.0.0.1", t0 + AUTH_FAILURE_WINDOW_S);
    cr_assert(!auth_failures_blocked("10.0.0.1", 3, t0 + AUTH_FAILURE_WINDOW_S, &retry), "a new window");
}

Test(auth_failures, a_clock_going_back_does_not_block)
{
    long retry = 0;
    for (int i = 0; i < 5; i++)
        auth_failures_record("::1", 5000);
    cr_assert(auth_failures_blocked("::1", 5, 5001, &retry));
    cr_assert(!auth_failures_blocked("::1", 5, 4000, &retry));
}
