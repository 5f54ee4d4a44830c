/* Unit tests for the CUDA kernel wrappers (kernels/cuda/cuda_kernels.h,
 * defined in mlpg.cu, mlsa.cu, excitation.cu): the host-side input checks
 * give the CPU kernels' messages, and a runtime failure is -1 + "cuda: ..."
 * with the caller's buffers and state untouched. Built only with nvcc
 * (SS_HAVE_CUDA); without a device the runtime calls fail, which exercises
 * exactly that path. */
#include "kernels/kernels_select.h"

#include <criterion/criterion.h>
#include <string.h>

#ifdef SS_HAVE_CUDA
#include "kernels/cuda/cuda_kernels.h"

Test(cuda_kernels, cuda_wrappers_validate_and_report_runtime_errors)
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
#endif
