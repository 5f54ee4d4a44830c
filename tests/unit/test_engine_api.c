/* Unit tests for node/engine/synth/engine_api: synthesis options are checked
 * (speed, pitch, sample rate) with messages naming the option. */
#include "node/engine/engine.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

Test(engine_api, option_validation)
{
    ss_synth_options o;
    char err[256];
    ss_synth_options_init(&o);
    cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), 0);
    const double bad_speed[] = {0.0, -1.0, NAN, INFINITY, 0.249, 4.01};
    for (size_t i = 0; i < sizeof bad_speed / sizeof bad_speed[0]; i++) {
        ss_synth_options_init(&o);
        o.speed = bad_speed[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1, "speed %g accepted", bad_speed[i]);
        cr_assert(strstr(err, "speed") != NULL);
    }
    const double bad_pitch[] = {-12.5, 12.5, NAN, -INFINITY};
    for (size_t i = 0; i < sizeof bad_pitch / sizeof bad_pitch[0]; i++) {
        ss_synth_options_init(&o);
        o.pitch = bad_pitch[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1);
        cr_assert(strstr(err, "pitch") != NULL);
    }
    const int bad_rate[] = {0, -8000, 11025, 96000, 12345};
    for (size_t i = 0; i < sizeof bad_rate / sizeof bad_rate[0]; i++) {
        ss_synth_options_init(&o);
        o.sample_rate = bad_rate[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), -1);
    }
    const int good_rate[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof good_rate / sizeof good_rate[0]; i++) {
        ss_synth_options_init(&o);
        o.sample_rate = good_rate[i];
        cr_assert_eq(ss_synth_options_validate(&o, err, sizeof err), 0);
    }
}
