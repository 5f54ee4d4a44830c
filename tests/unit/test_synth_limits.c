/* Unit tests for common/synth_limits.c: the one set of speed/pitch limits
 * is inclusive at both ends, refuses NaN and infinities, and words every
 * refusal the same way (the gateway, node and engine all quote it). */
#include "common/synth_limits.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

Test(synth_limits, speed_inclusive_range)
{
    char msg[64] = "";
    cr_expect(ss_speed_ok(0.5, msg, sizeof msg));
    cr_expect(ss_speed_ok(2.0, msg, sizeof msg));
    cr_expect(ss_speed_ok(1.0, msg, sizeof msg));
    cr_expect_not(ss_speed_ok(0.4999, msg, sizeof msg));
    cr_expect_str_eq(msg, "must be a number from 0.5 to 2");
    cr_expect_not(ss_speed_ok(2.0001, msg, sizeof msg));
    cr_expect_not(ss_speed_ok(NAN, msg, sizeof msg));
    cr_expect_not(ss_speed_ok(INFINITY, msg, sizeof msg));
    cr_expect_not(ss_speed_ok(0, msg, sizeof msg), "0 means 'default' only on the node's wire, mapped before");
}

Test(synth_limits, pitch_inclusive_range)
{
    char msg[64] = "";
    cr_expect(ss_pitch_ok(-12, msg, sizeof msg));
    cr_expect(ss_pitch_ok(12, msg, sizeof msg));
    cr_expect(ss_pitch_ok(0, msg, sizeof msg));
    cr_expect_not(ss_pitch_ok(12.01, msg, sizeof msg));
    cr_expect_str_eq(msg, "must be a number from -12 to 12");
    cr_expect_not(ss_pitch_ok(-INFINITY, msg, sizeof msg));
    cr_expect_not(ss_pitch_ok(NAN, msg, sizeof msg));
}
