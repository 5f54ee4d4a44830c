/* Unit tests for the CUDA lanes (kernels/cuda/cuda_lane.cu through the CUDA
 * kernel table): bad input is refused on the host with the CPU messages
 * before the lane is touched; without a device a lane cannot be made and
 * says why (the node then fails at start instead of at the first request).
 * Built only with nvcc (SS_HAVE_CUDA). */
#include "kernels/kernels_select.h"

#include <criterion/criterion.h>
#include <string.h>

#ifdef SS_HAVE_CUDA
#include "kernels/cuda/cuda_kernels.h"

Test(cuda_lane, cuda_lanes_validate_and_report_runtime_errors)
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
