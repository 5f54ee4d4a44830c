/* Unit tests for the clustergen postfilter (node/engine/clustergen/
 * cg_postfilter.c): frames filtered four at a time, side by side in vector
 * lanes, give the bits a frame filtered alone by the one-frame reference
 * below gives (a transcription of the code before the lanes), for frame
 * counts that fill groups and counts that leave spare lanes; coefficient 1
 * is untouched; beta <= 0 and too few coefficients leave the frames as
 * they were. */
#include "node/engine/clustergen/cg_postfilter.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { IR = 64, D = 25, MAXF = 13 };

static void ref_warp(const double *mc, int dim, double alpha, double *c)
{
    double g[IR] = {0}, d[IR];
    const double a = -alpha, b = 1.0 - a * a;
    for (int i = dim - 1; i >= 0; i--) {
        d[0] = g[0];
        g[0] = mc[i] + a * d[0];
        d[1] = g[1];
        g[1] = b * d[0] + a * d[1];
        for (int j = 2; j < IR; j++) {
            d[j] = g[j];
            g[j] = d[j - 1] + a * (d[j] - g[j - 1]);
        }
    }
    memcpy(c, g, sizeof g);
}

static double ref_energy(const double *mc, int dim, double alpha)
{
    double c[IR], h[IR], en;
    ref_warp(mc, dim, alpha, c);
    h[0] = exp(c[0]);
    en = h[0] * h[0];
    for (int n = 1; n < IR; n++) {
        double s = 0.0;
        for (int k = 1; k <= n; k++)
            s += k * c[k] * h[n - k];
        h[n] = s / n;
        en += h[n] * h[n];
    }
    return en;
}

static void ref_postfilter(double *mc, int dim, double alpha, double beta)
{
    double e1 = ref_energy(mc, dim, alpha);
    for (int k = 2; k < dim; k++)
        mc[k] *= 1.0 + beta;
    double e2 = ref_energy(mc, dim, alpha);
    mc[0] += log(e1 / e2) / 2.0;
}

static void random_frames(double *mc, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n * D; i++) {
        const double u = (double)rand_r(&seed) / RAND_MAX - 0.5;
        mc[i] = i % D == 0 ? 4.0 * u : u / (1.0 + (double)(i % D));
    }
}

Test(cg_postfilter, lanes_give_the_one_frame_bits_for_any_frame_count)
{
    static const size_t counts[] = {1, 3, 4, 5, 8, MAXF};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        const size_t n = counts[c];
        double got[MAXF * D], want[MAXF * D];
        random_frames(got, n, 17 + (unsigned)c);
        memcpy(want, got, n * D * sizeof(double));
        ss_cg_postfilter(got, n, D, 0.42, 0.2);
        for (size_t t = 0; t < n; t++)
            ref_postfilter(want + t * D, D, 0.42, 0.2);
        for (size_t i = 0; i < n * D; i++)
            cr_assert_eq(memcmp(&got[i], &want[i], sizeof got[i]), 0, "%zu frames: value %zu: %.17g vs %.17g", n,
                         i, got[i], want[i]);
    }
}

Test(cg_postfilter, sharpens_from_coefficient_2_and_keeps_coefficient_1)
{
    double mc[2 * D], before[2 * D];
    random_frames(mc, 2, 5);
    memcpy(before, mc, sizeof mc);
    ss_cg_postfilter(mc, 2, D, 0.42, 0.2);
    for (int t = 0; t < 2; t++) {
        cr_assert_eq(mc[t * D + 1], before[t * D + 1]);
        for (int k = 2; k < D; k++)
            cr_assert_eq(mc[t * D + k], before[t * D + k] * 1.2);
        cr_assert_neq(mc[t * D], before[t * D], "c0 carries the energy correction");
    }
}

Test(cg_postfilter, leaves_frames_alone_without_beta_or_coefficients)
{
    double mc[3 * D], before[3 * D];
    random_frames(mc, 3, 9);
    memcpy(before, mc, sizeof mc);
    ss_cg_postfilter(mc, 3, D, 0.42, 0.0);
    ss_cg_postfilter(mc, 3, D, 0.42, -0.1);
    ss_cg_postfilter(mc, 3, 2, 0.42, 0.2);
    ss_cg_postfilter(mc, 0, D, 0.42, 0.2);
    cr_assert_eq(memcmp(mc, before, sizeof mc), 0);
}
