/* Unit tests for kernels/cpu/mlsa: the MLSA kernel against a plain scalar
 * transcription of the reference filter (SPTK/HTS form: mc2b, two sections,
 * Pade order 5, per-sample coefficient interpolation), on random mel-cepstra
 * and excitation; both builds of the kernel (baseline and AVX2/FMA where the
 * CPU has it); the AVX2+FMA build equal bit for bit to a scalar fma()
 * transcription of it; chunked == one-shot;
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

/* Second section in HTS form: five FIR stages, each with its own delay line
 * (d[(i - 1) * (M + 2)..]), pt[0] last sample's output, pt[1..5] stage
 * outputs; returns the section's output for input x. */
static double section2_hts(double x, const double *c, double a, double aa, double *d, double *pt)
{
    double o = 0.0;
    for (int i = 5; i >= 1; i--) {
        pt[i] = fir(pt[i - 1], c, M, a, aa, &d[(i - 1) * (M + 2)]);
        double v = pt[i] * PADE[i];
        x += (i & 1) ? v : -v;
        o += v;
    }
    pt[0] = x;
    return o + x;
}

/* The same section as the AVX2+FMA build computes it, one lane at a time
 * with C's fma() (correctly rounded, as the vector instructions are): the
 * delay lines interleaved as rows of 6, the shift folded into the update,
 * nk = -a*prev + (a*next + old) and y = nk*b + y each one fused operation. */
static double section2_fma(double x, const double *c, double a, double aa, double *rows, double *pt)
{
    double ys[5];
    for (int l = 0; l < 5; l++) {
        double prev = fma(aa, pt[l], a * rows[1 * 6 + l]);
        double old = rows[2 * 6 + l], y = 0.0;
        rows[1 * 6 + l] = prev;
        rows[2 * 6 + l] = prev;
        for (int k = 2; k <= M; k++) {
            double on = rows[(k + 1) * 6 + l];
            double nk = fma(-a, prev, fma(a, on, old));
            rows[(k + 1) * 6 + l] = nk;
            y = fma(nk, c[k], y);
            prev = nk;
            old = on;
        }
        ys[l] = y;
    }
    double o = 0.0;
    for (int i = 5; i >= 1; i--) {
        pt[i] = ys[i - 1];
        double v = pt[i] * PADE[i];
        x += (i & 1) ? v : -v;
        o += v;
    }
    pt[0] = x;
    return o + x;
}

/* Reference: straightforward HTS-form MLSA over nf frames, the second
 * section in HTS form (fused = 0) or as the AVX2+FMA build does it. */
static void reference(const double *mc, const double *ex, double *out, double a, int fused)
{
    const double aa = 1 - a * a;
    double c[M + 1], cc[M + 1], inc[M + 1];
    double d1[12] = {0}, *pt1 = d1 + 6;
    double d2[6 * (M + 2) + 6];
    memset(d2, 0, sizeof d2);
    double *pt2 = d2 + 6 * (M + 2);
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
            out[f * FP + n] = fused ? section2_fma(x, c, a, aa, d2, pt2) : section2_hts(x, c, a, aa, d2, pt2);
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
    reference(mc, ex, ref, 0.45, 0);
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

/* The AVX2+FMA build is pinned bit for bit to its scalar transcription, so
 * a change to the loop (register use, fused interpolation, unrolling) that
 * moves any sample fails here, not only beyond the 1e-9 tolerance above. */
Test(mlsa, avx2_build_equals_its_fma_transcription_bit_for_bit)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("this CPU has no AVX2+FMA; only the baseline build runs here");
    static double mc[NF * (M + 1)], ex[NF * FP], ref[NF * FP], got[NF * FP], chunked[NF * FP];
    random_input(mc, ex, 11);
    reference(mc, ex, ref, 0.45, 1);
    run_kernel(mc, ex, got, 0, 0);
    run_kernel(mc, ex, chunked, 0, 1);
    for (int n = 0; n < NF * FP; n++)
        cr_assert_eq(memcmp(&got[n], &ref[n], sizeof got[n]), 0, "sample %d: %.17g, transcription %.17g", n,
                     got[n], ref[n]);
    cr_assert_eq(memcmp(got, chunked, sizeof got), 0, "chunked differs from one-shot");
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
