/* Unit tests for kernels/cpu/mlpg: the MLPG kernel on tiny hand-solved
 * systems, GV, grouped (vector-lane) solving equal to one-by-one bit for
 * bit (also from inputs interleaved as the engine passes them), the
 * eight- and four-lane builds equal bit for bit, and its input checks. */
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static ss_mlpg_windows static_delta(void)
{
    ss_mlpg_windows w = {.nwin = 2};
    w.left[0] = 0, w.right[0] = 0, w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1;
    w.coef[1][0] = -0.5, w.coef[1][1] = 0.0, w.coef[1][2] = 0.5;
    return w;
}

Test(mlpg, static_only_returns_means)
{
    ss_mlpg_windows w = {.nwin = 1};
    w.coef[0][1] = 1.0;
    double mean[3] = {1, -2, 3}, ivar[3] = {1, 4, 0.5}, out[3], work[512];
    ss_mlpg_problem p = {.length = 3, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, ss_kern_mlpg_workspace(3), err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 3; i++)
        cr_assert_float_eq(out[i], mean[i], 1e-12);
}

/* Two frames, static + delta, unit precisions. By hand:
 * minimise (c0-m0)^2 + (c1-m1)^2 + (0.5 c1 - d0)^2 + (-0.5 c0 - d1)^2
 * -> 1.25 c0 = m0 - 0.5 d1, 1.25 c1 = m1 + 0.5 d0. */
Test(mlpg, two_frame_static_delta)
{
    ss_mlpg_windows w = static_delta();
    double mean[4] = {1.0, 0.4, 2.0, 0.2}; /* [t][win]: m0 d0 m1 d1 */
    double ivar[4] = {1, 1, 1, 1}, out[2], work[256];
    ss_mlpg_problem p = {.length = 2, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, ss_kern_mlpg_workspace(2), err, sizeof err), 0, "%s", err);
    cr_assert_float_eq(out[0], 0.72, 1e-12);
    cr_assert_float_eq(out[1], 1.76, 1e-12);
}

Test(mlpg, gv_moves_variance_toward_target)
{
    ss_mlpg_windows w = static_delta();
    enum { T = 40 };
    double mean[T * 2], ivar[T * 2], out[T];
    static double work[T * 128];
    unsigned char sw[T];
    for (int t = 0; t < T; t++) {
        mean[2 * t] = 0.1 * sin(t * 0.3);
        mean[2 * t + 1] = 0.0;
        ivar[2 * t] = 1.0;
        ivar[2 * t + 1] = 1.0;
        sw[t] = 1;
    }
    ss_mlpg_problem p = {.length = T, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0);
    double m = 0, v0 = 0;
    for (int t = 0; t < T; t++)
        m += out[t] / T;
    for (int t = 0; t < T; t++)
        v0 += (out[t] - m) * (out[t] - m) / T;
    p.gv_switch = sw;
    p.gv_mean = 4.0 * v0;
    p.gv_vari = 1.0;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0);
    double v1 = 0;
    m = 0;
    for (int t = 0; t < T; t++)
        m += out[t] / T;
    for (int t = 0; t < T; t++)
        v1 += (out[t] - m) * (out[t] - m) / T;
    cr_assert_gt(v1, 2.0 * v0, "GV should raise the variance toward 4x (got %g vs %g)", v1, v0);
}

Test(mlpg, rejects_bad_input)
{
    ss_mlpg_windows w = static_delta();
    double mean[4] = {0}, ivar[4] = {1, 1, 1, 1}, out[2], work[256];
    ss_mlpg_problem p = {.length = 2, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 4, err, sizeof err), -1); /* workspace too small */
    p.length = 0;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 4, err, sizeof err), -1);
    w.left[1] = -2;
    p.length = 2;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 256, err, sizeof err), -1);
}

/* The kernel solves up to eight problems of the same shape together, one per
 * vector lane; that must not change a bit. Eleven problems in one call (a
 * full group of eight, then one with its own GV switch, then two) against each
 * solved alone, with GV, per-lane GV targets and random data. Problem 0's
 * GV objective falls at one step while the others' rise, so a step-size
 * schedule shared between lanes would show here (checked: it does). */
Test(mlpg, grouped_solve_equals_one_by_one_bit_for_bit)
{
    ss_mlpg_windows w = {.nwin = 3};
    w.left[0] = 0, w.right[0] = 0, w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1, w.coef[1][0] = -0.5, w.coef[1][2] = 0.5;
    w.left[2] = -1, w.right[2] = 1, w.coef[2][0] = 1.0, w.coef[2][1] = -2.0, w.coef[2][2] = 1.0;
    enum { T = 57, N = 11 };
    static double mean[N][T * 3], ivar[N][T * 3], together[T * N], alone[T * N];
    static double work[T * 128];
    unsigned char sw[T], sw_other[T];
    unsigned seed = 3;
    for (int k = 0; k < N; k++)
        for (int i = 0; i < T * 3; i++) {
            mean[k][i] = ((double)rand_r(&seed) / RAND_MAX - 0.5) * (i % 3 == 0 ? 2.0 : 0.2);
            ivar[k][i] = (i % 3 != 0 && rand_r(&seed) % 9 == 0) ? 0.0 : 0.5 + (double)rand_r(&seed) / RAND_MAX;
        }
    for (int t = 0; t < T; t++) {
        sw[t] = t % 11 != 0;
        sw_other[t] = t % 5 != 0;
    }
    ss_mlpg_problem p[N];
    for (int k = 0; k < N; k++)
        p[k] = (ss_mlpg_problem){.length = T, .mean = mean[k], .ivar = ivar[k],
                                 .gv_switch = k == 8 ? sw_other : sw, .gv_mean = k == 0 ? 0.01 : 0.1 + 0.2 * k,
                                 .gv_vari = k == 0 ? 1e4 : 1.0 + k, .out = together + k, .out_stride = N};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, p, N, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0, "%s", err);
    for (int k = 0; k < N; k++) {
        ss_mlpg_problem one = p[k];
        one.out = alone + k;
        cr_assert_eq(ss_kern_mlpg(&w, &one, 1, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0, "%s", err);
    }
    for (int i = 0; i < T * N; i++)
        cr_assert_eq(memcmp(&together[i], &alone[i], sizeof(double)), 0, "frame %d dim %d: %.17g vs %.17g",
                     i / N, i % N, together[i], alone[i]);
}

/* Eight problems interleaved element by element (in_stride 8, aligned, as
 * the engine's driver passes them: read in place) and the same eight with a
 * ragged stride-8 group of five (gathered) give the contiguous inputs'
 * results bit for bit. */
Test(mlpg, interleaved_inputs_equal_contiguous_bit_for_bit)
{
    ss_mlpg_windows w = {.nwin = 3};
    w.left[0] = 0, w.right[0] = 0, w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1, w.coef[1][0] = -0.5, w.coef[1][2] = 0.5;
    w.left[2] = -1, w.right[2] = 1, w.coef[2][0] = 1.0, w.coef[2][1] = -2.0, w.coef[2][2] = 1.0;
    enum { T = 41, N = 8 };
    static double mean[N][T * 3], ivar[N][T * 3], want[T * N], got[T * N];
    static _Alignas(64) double imean[T * 3 * N], iivar[T * 3 * N];
    static double work[T * 128];
    unsigned char sw[T];
    unsigned seed = 5;
    for (int k = 0; k < N; k++)
        for (int i = 0; i < T * 3; i++) {
            mean[k][i] = ((double)rand_r(&seed) / RAND_MAX - 0.5) * (i % 3 == 0 ? 2.0 : 0.2);
            ivar[k][i] = (i % 3 != 0 && rand_r(&seed) % 9 == 0) ? 0.0 : 0.5 + (double)rand_r(&seed) / RAND_MAX;
            imean[i * N + k] = mean[k][i];
            iivar[i * N + k] = ivar[k][i];
        }
    for (int t = 0; t < T; t++)
        sw[t] = t % 7 != 0;
    ss_mlpg_problem contiguous[N], interleaved[N];
    for (int k = 0; k < N; k++) {
        contiguous[k] = (ss_mlpg_problem){.length = T, .mean = mean[k], .ivar = ivar[k], .gv_switch = sw,
                                          .gv_mean = 0.1 + 0.1 * k, .gv_vari = 2.0 + k, .out = want + k,
                                          .out_stride = N};
        interleaved[k] = contiguous[k];
        interleaved[k].mean = imean + k;
        interleaved[k].ivar = iivar + k;
        interleaved[k].in_stride = N;
        interleaved[k].out = got + k;
    }
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, contiguous, N, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0, "%s", err);
    for (int groups = 0; groups < 2; groups++) {
        memset(got, 0, sizeof got);
        if (groups == 0) { /* one whole group: in place */
            cr_assert_eq(ss_kern_mlpg(&w, interleaved, N, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0);
        } else { /* five, then three: gathered with the stride */
            cr_assert_eq(ss_kern_mlpg(&w, interleaved, 5, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0);
            cr_assert_eq(ss_kern_mlpg(&w, interleaved + 5, 3, work, ss_kern_mlpg_workspace(T), err, sizeof err), 0);
        }
        for (int i = 0; i < T * N; i++)
            cr_assert_eq(memcmp(&want[i], &got[i], sizeof(double)), 0, "groups %d frame %d dim %d: %.17g vs %.17g",
                         groups, i / N, i % N, got[i], want[i]);
    }
}

/* The kernel's builds for eight lanes (AVX-512 or baseline) and for four
 * (AVX2) give the same bits: random problems with GV, solved contiguous by
 * both, and with four lanes also from blocks of four interleaved with
 * in_stride 4 (aligned: read in place, as the driver passes them on an
 * AVX2 CPU). The lane count the CPU uses is 4 or 8; any other is refused. */
Test(mlpg, lane_counts_give_the_same_bits)
{
    ss_mlpg_windows w = {.nwin = 3};
    w.left[0] = 0, w.right[0] = 0, w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1, w.coef[1][0] = -0.5, w.coef[1][2] = 0.5;
    w.left[2] = -1, w.right[2] = 1, w.coef[2][0] = 1.0, w.coef[2][1] = -2.0, w.coef[2][2] = 1.0;
    enum { T = 45, N = 8, B = 4 };
    static double mean[N][T * 3], ivar[N][T * 3], eight[T * N], four[T * N];
    static _Alignas(64) double imean[N / B][T * 3 * B], iivar[N / B][T * 3 * B];
    static double work[T * 128];
    unsigned char sw[T];
    unsigned seed = 9;
    for (int k = 0; k < N; k++)
        for (int i = 0; i < T * 3; i++) {
            mean[k][i] = ((double)rand_r(&seed) / RAND_MAX - 0.5) * (i % 3 == 0 ? 2.0 : 0.2);
            ivar[k][i] = (i % 3 != 0 && rand_r(&seed) % 9 == 0) ? 0.0 : 0.5 + (double)rand_r(&seed) / RAND_MAX;
            imean[k / B][i * B + k % B] = mean[k][i];
            iivar[k / B][i * B + k % B] = ivar[k][i];
        }
    for (int t = 0; t < T; t++)
        sw[t] = t % 6 != 0;
    ss_mlpg_problem p[N], q[N];
    for (int k = 0; k < N; k++) {
        p[k] = (ss_mlpg_problem){.length = T, .mean = mean[k], .ivar = ivar[k], .gv_switch = sw,
                                 .gv_mean = 0.05 + 0.1 * k, .gv_vari = 1.5 + k, .out = eight + k, .out_stride = N};
        q[k] = p[k];
        q[k].out = four + k;
    }
    char err[128];
    const size_t wl = ss_kern_mlpg_workspace(T);
    size_t lanes = ss_kern_mlpg_lanes();
    cr_assert(lanes == 4 || lanes == 8, "%zu lanes", lanes);
    cr_assert_eq(ss_kern_mlpg_in_lanes(2, &w, p, N, work, wl, err, sizeof err), -1);
    cr_assert(strstr(err, "2-lane") != NULL, "%s", err);
    cr_assert_eq(ss_kern_mlpg_in_lanes(8, &w, p, N, work, wl, err, sizeof err), 0, "%s", err);
    if (!__builtin_cpu_supports("avx2"))
        cr_skip_test("no AVX2: the four-lane build cannot run here");
    for (int layout = 0; layout < 2; layout++) {
        memset(four, 0, sizeof four);
        if (layout == 1) /* blocks of four interleaved, read in place */
            for (int k = 0; k < N; k++) {
                q[k].mean = imean[k / B] + k % B;
                q[k].ivar = iivar[k / B] + k % B;
                q[k].in_stride = B;
            }
        for (int b = 0; b < N / B; b++)
            cr_assert_eq(ss_kern_mlpg_in_lanes(4, &w, q + b * B, B, work, wl, err, sizeof err), 0, "%s", err);
        for (int i = 0; i < T * N; i++)
            cr_assert_eq(memcmp(&eight[i], &four[i], sizeof(double)), 0, "layout %d frame %d dim %d: %.17g vs %.17g",
                         layout, i / N, i % N, four[i], eight[i]);
    }
}
