/* Kernel selection (kernels/kernels_select.c): auto/cuda/cpu and what gets
 * logged. On a machine without a CUDA device (CI, this build machine) auto
 * must pick the CPU and say why, and cuda must be a startup error; where a
 * device exists the test checks the opposite. */
#include "kernels/kernels_select.h"

#include <criterion/criterion.h>
#include <string.h>

Test(kernels_dispatch, cpu_is_always_available_and_is_the_cpu_kernels)
{
    const ss_kernel_ops *ops = NULL;
    char note[512], err[512];
    cr_assert_eq(ss_kernels_select("cpu", &ops, note, sizeof note, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ops, ss_kernel_ops_cpu());
    cr_assert_str_eq(ops->name, "cpu");
    cr_assert_eq((void *)ops->mlpg, (void *)ss_kern_mlpg);
    cr_assert_eq((void *)ops->excitation, (void *)ss_kern_excitation);
    cr_assert_eq((void *)ops->mlsa, (void *)ss_kern_mlsa);
}

Test(kernels_dispatch, auto_and_cuda_follow_the_device)
{
    const ss_kernel_ops *ops = NULL;
    char note[512], err[512], why[256];
    bool usable = ss_kernels_cuda_usable(why, sizeof why);
    cr_assert_eq(ss_kernels_select("auto", &ops, note, sizeof note, err, sizeof err), 0, "%s", err);
    int rc_cuda = ss_kernels_select("cuda", &ops, note, sizeof note, err, sizeof err);
    if (usable) {
        cr_assert_eq(rc_cuda, 0, "%s", err);
        cr_assert_str_eq(ops->name, "cuda");
    } else {
        cr_assert_eq(rc_cuda, -1);
        cr_assert(strstr(err, "kernels = cuda but no CUDA device: ") == err, "%s", err);
        cr_assert(strstr(err, why), "%s", err);
        cr_assert_eq(ss_kernels_select("auto", &ops, note, sizeof note, err, sizeof err), 0);
        cr_assert_str_eq(ops->name, "cpu");
        cr_assert(strstr(note, "kernels: cpu (no CUDA device: ") == note, "%s", note);
    }
#ifndef SS_HAVE_CUDA
    cr_assert_null(ss_kernel_ops_cuda());
    cr_assert_str_eq(why, "built without CUDA");
#else
    cr_assert_not_null(ss_kernel_ops_cuda());
#endif
}

Test(kernels_dispatch, unknown_setting_is_an_error)
{
    const ss_kernel_ops *ops = NULL;
    char note[64], err[128];
    cr_assert_eq(ss_kernels_select("gpu", &ops, note, sizeof note, err, sizeof err), -1);
    cr_assert_str_eq(err, "kernels must be auto, cuda or cpu (got 'gpu')");
}

#ifdef SS_HAVE_CUDA
#include "kernels/cuda/cuda_kernels.h"

/* The CUDA wrappers check input on the host first (same messages as the
 * CPU kernels), and turn a runtime failure into -1 + "cuda: ..." with the
 * caller's state untouched. Without a device the runtime calls fail, which
 * exercises exactly that path. */
Test(kernels_dispatch, cuda_wrappers_validate_and_report_runtime_errors)
{
    char ec[256], eg[256];
    ss_mlpg_windows w = {.nwin = 1};
    w.coef[0][1] = 1.0;
    double mean[4] = {1, 2, 3, 4}, ivar[4] = {1, 1, 1, 1}, out[4] = {-7, -7, -7, -7}, work[64];
    ss_mlpg_problem p = {.length = 0, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    cr_assert_eq(ss_cuda_mlpg(&w, &p, 1, NULL, 0, eg, sizeof eg), -1);
    cr_assert_eq(ss_kern_mlpg(&w, &p, 1, work, 64, ec, sizeof ec), -1);
    cr_assert_str_eq(eg, ec);

    ss_mlsa_state ms;
    cr_assert_eq(ss_mlsa_state_init(&ms, 24, 0.42, ec, sizeof ec), 0);
    ss_mlsa_job mj = {.state = &ms, .mcep = NULL, .nframes = 2, .frame_period = 80, .excitation = out, .out = out};
    cr_assert_eq(ss_cuda_mlsa(&mj, 1, eg, sizeof eg), -1);
    cr_assert_eq(ss_kern_mlsa(&mj, 1, ec, sizeof ec), -1);
    cr_assert_str_eq(eg, ec);

    char why[256];
    if (ss_kernels_cuda_usable(why, sizeof why))
        return; /* with a device, tests/gpu/gpu_parity covers the results */
    p.length = 4;
    cr_assert_eq(ss_cuda_mlpg(&w, &p, 1, NULL, 0, eg, sizeof eg), -1);
    cr_assert(strncmp(eg, "cuda: ", 6) == 0, "%s", eg);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(out[i], -7.0, "output written although the launch failed");
    ss_excitation_state xs, before;
    ss_excitation_state_init(&xs);
    before = xs;
    double per[2] = {100, 0}, ex[160];
    ss_excitation_job ej = {.state = &xs, .period = per, .nframes = 2, .frame_period = 80, .out = ex};
    cr_assert_eq(ss_cuda_excitation(&ej, 1, eg, sizeof eg), -1);
    cr_assert(strncmp(eg, "cuda: ", 6) == 0, "%s", eg);
    cr_assert_eq(memcmp(&xs, &before, sizeof xs), 0, "state changed although the launch failed");
}

/* Lanes: bad input is refused on the host with the CPU messages before
 * the lane is touched; without a device a lane cannot be made and says
 * why (the node then fails at start instead of at the first request). */
Test(kernels_dispatch, cuda_lanes_validate_and_report_runtime_errors)
{
    const ss_kernel_ops *cuda = ss_kernel_ops_cuda();
    cr_assert_not_null(cuda);
    cr_assert(cuda->lane_new && cuda->lane_free && cuda->lane_usage && cuda->lane_mlpg &&
              cuda->lane_excitation && cuda->lane_mlsa, "the CUDA table has lanes");
    cr_assert_null(ss_kernel_ops_cpu()->lane_new, "the CPU table has none");
    char ec[256], eg[256], why[256];
    ss_kernel_lane *lane = cuda->lane_new((size_t)16 << 20, eg, sizeof eg);
    if (!ss_kernels_cuda_usable(why, sizeof why)) {
        cr_assert_null(lane);
        cr_assert(strncmp(eg, "cuda: ", 6) == 0, "%s", eg);
        return;
    }
    cr_assert_not_null(lane, "%s", eg);
    ss_excitation_state xs;
    ss_excitation_state_init(&xs);
    double per[2] = {-1, 0}, ex[160];
    ss_excitation_job ej = {.state = &xs, .period = per, .nframes = 2, .frame_period = 80, .out = ex};
    cr_assert_eq(cuda->lane_excitation(lane, &ej, 1, eg, sizeof eg), -1);
    cr_assert_eq(ss_kern_excitation(&ej, 1, ec, sizeof ec), -1);
    cr_assert_str_eq(eg, ec);
    ss_kernel_lane_usage u;
    cuda->lane_usage(lane, &u);
    cr_assert_eq(u.device_allocs, 0, "refused input allocated device memory");
    cuda->lane_free(lane);
}
#endif
