/* Unit tests for common/synth_limits.c: the one set of speed/pitch limits
 * is inclusive at both ends, refuses NaN and infinities, and words every
 * refusal the same way (the gateway, node and engine all quote it). Speed
 * has three ranges: /speak's, the OpenAI alias's and the engine's. */
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

/* The OpenAI alias takes OpenAI's range; the node and the engine take the
 * widest range any route passes on. */
Test(synth_limits, openai_and_engine_speed_ranges)
{
    char msg[64] = "";
    cr_expect(ss_openai_speed_ok(0.25, msg, sizeof msg));
    cr_expect(ss_openai_speed_ok(4.0, msg, sizeof msg));
    cr_expect_not(ss_openai_speed_ok(0.2499, msg, sizeof msg));
    cr_expect_str_eq(msg, "must be a number from 0.25 to 4");
    cr_expect_not(ss_openai_speed_ok(4.0001, msg, sizeof msg));
    cr_expect_not(ss_openai_speed_ok(NAN, msg, sizeof msg));
    cr_expect(ss_engine_speed_ok(0.25, msg, sizeof msg));
    cr_expect(ss_engine_speed_ok(4.0, msg, sizeof msg));
    cr_expect(ss_engine_speed_ok(0.5, msg, sizeof msg), "every /speak speed reaches the engine");
    cr_expect_not(ss_engine_speed_ok(4.01, msg, sizeof msg));
    cr_expect_str_eq(msg, "must be a number from 0.25 to 4");
    cr_expect_not(ss_engine_speed_ok(INFINITY, msg, sizeof msg));
    cr_expect_not(ss_engine_speed_ok(0, msg, sizeof msg));
}

/* A route never passes on a speed the engine refuses. */
Test(synth_limits, every_route_range_fits_the_engine)
{
    cr_expect_leq(SS_ENGINE_SPEED_MIN, SS_SPEED_MIN);
    cr_expect_geq(SS_ENGINE_SPEED_MAX, SS_SPEED_MAX);
    cr_expect_leq(SS_ENGINE_SPEED_MIN, SS_OPENAI_SPEED_MIN);
    cr_expect_geq(SS_ENGINE_SPEED_MAX, SS_OPENAI_SPEED_MAX);
}
