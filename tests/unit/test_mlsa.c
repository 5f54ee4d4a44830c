/* Unit tests for kernels/cpu/mlsa: the MLSA kernel against a plain scalar
 * transcription of the reference filter (SPTK/HTS form: mc2b, two sections,
 * Pade order 5, per-sample coefficient interpolation), on random mel-cepstra
 * and excitation; both builds of the kernel (baseline and AVX2/FMA where the
 * CPU has it); chunked == one-shot;
 * the state initialisation refuses bad orders and warping factors. */
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { M = 44, FP = 40, NF = 30 };

static const double PADE[6] = {1.0, 0.4999391, 0.1107098, 0.01369984, 0.0009564853, 0.00003041721};

static double fir(double x, const double *b, int m, double a, double aa, double *d)
{
    double y = 0.0;
    d[0] = x;
    d[1] = aa * d[0] + a * d[1];
    for (int i = 2; i <= m; i++)
        d[i] += a * (d[i + 1] - d[i - 1]);
    for (int i = 2; i <= m; i++)
        y += d[i] * b[i];
    for (int i = m + 1; i > 1; i--)
        d[i] = d[i - 1];
    return y;
}

/* Reference: straightforward HTS-form MLSA over nf frames. */
static void reference(const double *mc, const double *ex, double *out, double a)
{
    const double aa = 1 - a * a;
    double c[M + 1], cc[M + 1], inc[M + 1];
    double d1[12] = {0}, *pt1 = d1 + 6;
    double d2[5 * (M + 2) + 6];
    memset(d2, 0, sizeof d2);
    double *pt2 = d2 + 5 * (M + 2);
    for (int f = 0; f < NF; f++) {
        const double *m = mc + f * (M + 1);
        double *dst = f == 0 ? c : cc;
        dst[M] = m[M];
        for (int i = M - 1; i >= 0; i--)
            dst[i] = m[i] - a * dst[i + 1];
        if (f == 0) {
            memcpy(cc, c, sizeof c);
        }
        for (int i = 0; i <= M; i++)
            inc[i] = (cc[i] - c[i]) / FP;
        for (int n = 0; n < FP; n++) {
            double x = ex[f * FP + n];
            if (x != 0.0)
                x *= exp(c[0]);
            double o = 0.0;
            for (int i = 5; i >= 1; i--) {
                d1[i] = aa * pt1[i - 1] + a * d1[i];
                pt1[i] = d1[i] * c[1];
                double v = pt1[i] * PADE[i];
                x += (i & 1) ? v : -v;
                o += v;
            }
            pt1[0] = x;
            x = o + x;
            o = 0.0;
            for (int i = 5; i >= 1; i--) {
                pt2[i] = fir(pt2[i - 1], c, M, a, aa, &d2[(i - 1) * (M + 2)]);
                double v = pt2[i] * PADE[i];
                x += (i & 1) ? v : -v;
                o += v;
            }
            pt2[0] = x;
            out[f * FP + n] = o + x;
            for (int i = 0; i <= M; i++)
                c[i] += inc[i];
        }
        memcpy(c, cc, sizeof c);
    }
}

static void random_input(double *mc, double *ex, unsigned seed)
{
    for (int f = 0; f < NF; f++)
        for (int i = 0; i <= M; i++)
            mc[f * (M + 1) + i] = (i == 0 ? 1.0 : 0.3 / (i + 1)) * ((double)rand_r(&seed) / RAND_MAX - 0.5) * 2;
    for (int n = 0; n < NF * FP; n++)
        ex[n] = (n % 97 == 0) ? 9.0 : ((double)rand_r(&seed) / RAND_MAX - 0.5);
}

static double run_kernel(const double *mc, const double *ex, double *out, int portable, int split)
{
    ss_mlsa_state st;
    char err[128];
    cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
    st.portable = portable;
    if (split) {
        ss_mlsa_job jobs[2] = {
            {.state = &st, .mcep = mc, .nframes = 11, .frame_period = FP, .excitation = ex, .out = out},
            {.state = &st, .mcep = mc + 11 * (M + 1), .nframes = NF - 11, .frame_period = FP,
             .excitation = ex + 11 * FP, .out = out + 11 * FP},
        };
        cr_assert_eq(ss_kern_mlsa(jobs, 2, err, sizeof err), 0);
    } else {
        ss_mlsa_job j = {.state = &st, .mcep = mc, .nframes = NF, .frame_period = FP, .excitation = ex, .out = out};
        cr_assert_eq(ss_kern_mlsa(&j, 1, err, sizeof err), 0);
    }
    return 0;
}

Test(mlsa, matches_reference_both_builds)
{
    static double mc[NF * (M + 1)], ex[NF * FP], ref[NF * FP], a[NF * FP], b[NF * FP], c[NF * FP];
    random_input(mc, ex, 7);
    reference(mc, ex, ref, 0.45);
    run_kernel(mc, ex, a, 1, 0);
    run_kernel(mc, ex, b, 0, 0);
    run_kernel(mc, ex, c, 0, 1);
    double peak = 0, ea = 0, eb = 0;
    for (int n = 0; n < NF * FP; n++) {
        peak = fmax(peak, fabs(ref[n]));
        ea = fmax(ea, fabs(a[n] - ref[n]));
        eb = fmax(eb, fabs(b[n] - ref[n]));
    }
    cr_assert_gt(peak, 1.0);
    cr_assert_lt(ea, 1e-9 * peak, "baseline build off by %g (peak %g)", ea, peak);
    cr_assert_lt(eb, 1e-9 * peak, "dispatched build off by %g (peak %g)", eb, peak);
    cr_assert_eq(memcmp(b, c, sizeof b), 0, "chunked differs from one-shot");
}

Test(mlsa, rejects_bad_order)
{
    ss_mlsa_state st;
    char err[128];
    cr_assert_eq(ss_mlsa_state_init(&st, 0, 0.45, err, sizeof err), -1);
    cr_assert_eq(ss_mlsa_state_init(&st, 99, 0.45, err, sizeof err), -1);
    cr_assert_eq(ss_mlsa_state_init(&st, 44, 1.0, err, sizeof err), -1);
    cr_assert_eq(ss_mlsa_state_init(&st, 44, 0.45, err, sizeof err), 0);
}
