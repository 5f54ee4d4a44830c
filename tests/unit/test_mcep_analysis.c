/* Unit tests for node/engine/voice/mcep_analysis: the effective bandwidth
 * of a signal sees a low-passed (emptied) top of the spectrum. */
#include "node/engine/voice/mcep_analysis.h"

#include <criterion/criterion.h>
#include <stdlib.h>

Test(mcep_analysis, effective_bandwidth_sees_an_emptied_top)
{
    size_t n = 32000;
    float *x = malloc(n * sizeof *x);
    unsigned r = 9;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)((r >> 8) / 16777216.0 - 0.5);
    }
    double full = ss_mcep_effective_bandwidth(x, n, 16000);
    cr_assert(full > 15000, "white noise: %f Hz", full);
    /* low-pass by averaging 4 neighbours twice: nulls at 8 kHz and above */
    for (int pass = 0; pass < 6; pass++)
        for (size_t i = n - 1; i >= 3; i--)
            x[i] = 0.25f * (x[i] + x[i - 1] + x[i - 2] + x[i - 3]);
    double low = ss_mcep_effective_bandwidth(x, n, 16000);
    cr_assert(low < 12000, "low-passed: %f Hz", low);
    cr_assert(ss_mcep_effective_bandwidth(x, n, 4000) <= 4000);
    free(x);
}
