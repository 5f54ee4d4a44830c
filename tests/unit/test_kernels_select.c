/* Unit tests for kernels/kernels_select (kernel selection): auto/cuda/cpu
 * and what gets logged. On a machine without a CUDA device (CI, this build
 * machine) auto must pick the CPU and say why, and cuda must be a startup
 * error; where a device exists the test checks the opposite. */
#include "kernels/kernels_select.h"

#include <criterion/criterion.h>
#include <string.h>

Test(kernels_select, cpu_is_always_available_and_is_the_cpu_kernels)
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

Test(kernels_select, auto_and_cuda_follow_the_device)
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

Test(kernels_select, unknown_setting_is_an_error)
{
    const ss_kernel_ops *ops = NULL;
    char note[64], err[128];
    cr_assert_eq(ss_kernels_select("gpu", &ops, note, sizeof note, err, sizeof err), -1);
    cr_assert_str_eq(err, "kernels must be auto, cuda or cpu (got 'gpu')");
}
