/* Unit tests for kernels/cpu/mlpg: the MLPG kernel on tiny hand-solved
 * systems, and its input checks. */
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <math.h>

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
    double mean[3] = {1, -2, 3}, ivar[3] = {1, 4, 0.5}, out[3], work[64];
    ss_mlpg_problem p = {.length = 3, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 64, err, sizeof err), 0, "%s", err);
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
    double ivar[4] = {1, 1, 1, 1}, out[2], work[64];
    ss_mlpg_problem p = {.length = 2, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 64, err, sizeof err), 0, "%s", err);
    cr_assert_float_eq(out[0], 0.72, 1e-12);
    cr_assert_float_eq(out[1], 1.76, 1e-12);
}

Test(mlpg, gv_moves_variance_toward_target)
{
    ss_mlpg_windows w = static_delta();
    enum { T = 40 };
    double mean[T * 2], ivar[T * 2], out[T], work[T * 8];
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
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, T * 8, err, sizeof err), 0);
    double m = 0, v0 = 0;
    for (int t = 0; t < T; t++)
        m += out[t] / T;
    for (int t = 0; t < T; t++)
        v0 += (out[t] - m) * (out[t] - m) / T;
    p.gv_switch = sw;
    p.gv_mean = 4.0 * v0;
    p.gv_vari = 1.0;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, T * 8, err, sizeof err), 0);
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
    double mean[4] = {0}, ivar[4] = {1, 1, 1, 1}, out[2], work[4];
    ss_mlpg_problem p = {.length = 2, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    char err[128];
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 4, err, sizeof err), -1); /* workspace too small */
    p.length = 0;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 4, err, sizeof err), -1);
    w.left[1] = -2;
    p.length = 2;
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 64, err, sizeof err), -1);
}
