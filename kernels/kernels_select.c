/* Kernel tables and the auto/cuda/cpu choice (see kernels_select.h). The
 * device question goes to ss_device_probe, which asks the CUDA runtime. */
#include "kernels/kernels_select.h"

#include "kernels/device_probe.h"

#include <stdio.h>
#include <string.h>

#ifdef SS_HAVE_CUDA
#include "kernels/cuda/cuda_kernels.h"
#endif

/* The CPU kernels have no lanes: nothing to keep between calls but the
 * caller's scratch. */
static const ss_kernel_ops cpu_ops = {.name = "cpu",
                                      .mlpg = ss_kern_mlpg,
                                      .excitation = ss_kern_excitation,
                                      .mlsa = ss_kern_mlsa};

const ss_kernel_ops *ss_kernel_ops_cpu(void)
{
    return &cpu_ops;
}

#ifdef SS_HAVE_CUDA
static const ss_kernel_ops cuda_ops = {.name = "cuda",
                                       .mlpg = ss_cuda_mlpg,
                                       .excitation = ss_cuda_excitation,
                                       .mlsa = ss_cuda_mlsa,
                                       .lane_new = ss_cuda_lane_new,
                                       .lane_free = ss_cuda_lane_free,
                                       .lane_usage = ss_cuda_lane_usage,
                                       .lane_mlpg = ss_cuda_lane_mlpg,
                                       .lane_excitation = ss_cuda_lane_excitation,
                                       .lane_mlsa = ss_cuda_lane_mlsa};

const ss_kernel_ops *ss_kernel_ops_cuda(void)
{
    return &cuda_ops;
}
#else
const ss_kernel_ops *ss_kernel_ops_cuda(void)
{
    return NULL;
}
#endif

bool ss_kernels_cuda_usable(char *reason, size_t reasonlen)
{
    if (!ss_kernel_ops_cuda()) {
        if (reason)
            snprintf(reason, reasonlen, "built without CUDA");
        return false;
    }
    ss_device_facts f;
    ss_device_probe(&f);
    if (!f.present) {
        if (reason)
            snprintf(reason, reasonlen, "%s", f.reason);
        return false;
    }
    if (reason)
        snprintf(reason, reasonlen, "%s", f.name);
    return true;
}

int ss_kernels_select(const char *want, const ss_kernel_ops **ops, char *note, size_t notelen,
                      char *err, size_t errlen)
{
    if (!want || (strcmp(want, "auto") != 0 && strcmp(want, "cuda") != 0 && strcmp(want, "cpu") != 0)) {
        snprintf(err, errlen, "kernels must be auto, cuda or cpu (got '%s')", want ? want : "");
        return -1;
    }
    if (strcmp(want, "cpu") == 0) {
        *ops = ss_kernel_ops_cpu();
        snprintf(note, notelen, "kernels: cpu (configured)");
        return 0;
    }
    char why[256];
    bool cuda = ss_kernels_cuda_usable(why, sizeof why);
    if (cuda) {
        *ops = ss_kernel_ops_cuda();
        snprintf(note, notelen, "kernels: cuda (device: %s)", why);
        return 0;
    }
    if (strcmp(want, "cuda") == 0) {
        snprintf(err, errlen, "kernels = cuda but no CUDA device: %s", why);
        return -1;
    }
    *ops = ss_kernel_ops_cpu();
    snprintf(note, notelen, "kernels: cpu (no CUDA device: %s)", why);
    return 0;
}
