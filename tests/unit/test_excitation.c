/* Unit tests for kernels/cpu/excitation: chunked calls carrying the state
 * equal one call, and a bad period is refused. */
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <string.h>

Test(excitation, chunked_equals_one_shot)
{
    enum { NF = 12, FP = 80 };
    double period[NF] = {0, 0, 100, 110, 120, 0, 0, 90, 95, 100, 0, 0};
    double a[NF * FP], b[NF * FP];
    ss_excitation_state s1, s2;
    ss_excitation_state_init(&s1);
    ss_excitation_state_init(&s2);
    char err[128];
    ss_excitation_job one = {.state = &s1, .period = period, .nframes = NF, .frame_period = FP, .out = a};
    cr_assert_eq(ss_kern_excitation(&one, 1, err, sizeof err), 0);
    ss_excitation_job parts[2] = {
        {.state = &s2, .period = period, .nframes = 5, .frame_period = FP, .out = b},
        {.state = &s2, .period = period + 5, .nframes = NF - 5, .frame_period = FP, .out = b + 5 * FP},
    };
    cr_assert_eq(ss_kern_excitation(parts, 2, err, sizeof err), 0);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    double badp[1] = {-1};
    ss_excitation_job bad = {.state = &s1, .period = badp, .nframes = 1, .frame_period = FP, .out = a};
    cr_assert_eq(ss_kern_excitation(&bad, 1, err, sizeof err), -1);
}
