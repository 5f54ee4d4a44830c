/* CPU MLPG kernel (kernels.h): maximum-likelihood parameter generation with
 * global variance, one trajectory per problem.
 *
 * For each problem the normal equations (W' U W) c = W' U m are assembled
 * as a symmetric band matrix with bandwidth 3 (windows reach one frame either
 * side), factored as L D L' (Cholesky without square roots) and solved by
 * forward and backward substitution. GV compensation then rescales the
 * trajectory to the GV mean's variance over the switched-on frames and takes
 * five Newton-like gradient steps on the combined HMM + GV objective with
 * HTS's step-size schedule (0.1, x0.5 when the objective rises, x1.2 when it
 * falls). The arithmetic order follows HTS so results agree to rounding.
 * Each GV iteration is three passes over the frames instead of HTS's five:
 * the variance sum together with the HMM terms of the gradient (W'UW c and
 * the HMM objective, which need no GV statistic), the gradient step
 * direction, and the step together with the next iteration's mean sum
 * (likewise the first rescale); every sum still adds the same values in
 * the same frame order, so the bits are HTS's.
 *
 * Speed: several problems are solved at once, one per lane of a vector of
 * doubles (GCC vector extensions). How many depends on the CPU, chosen when
 * a call starts (ss_kern_mlpg_lanes): eight (one AVX-512 register, or four
 * SSE2 pairs in the baseline build; eight lanes instead of four on
 * AVX-512: MLPG CPU x0.65, the 45 mel-cepstral dimensions are six groups
 * instead of twelve), and four on a CPU with AVX2 but no AVX-512 (one ymm
 * register: an 8-double vector there is two ymm halves that GCC moves
 * through the stack, through 16-byte halves, between operations; four lanes
 * made MLPG 3.2x faster on a Zen 3, docs/PERFORMANCE.md). The group solver
 * is one template (mlpg_group.h) built for each lane count. Problems that
 * share the length, the GV switch array and the
 * output stride (the dimensions of one stream, as the engine passes them)
 * have the same control flow; only the data differ, and a lane does
 * exactly the scalar operations in the scalar order (no fused operations,
 * per-lane step sizes), so every result is bit-identical to solving the
 * problems one by one, whatever the lane count. The recurrences of the
 * solver are serial in time, so several independent ones in flight also
 * hide their latency. A group with fewer problems than lanes repeats its
 * first problem in the spare lanes (results dropped).
 *
 * Workspace per group (reused): wuw [T][3], wum [T], g [T], c [T], the
 * group's means and inverse variances [T][nwin], and with GV a copy of the
 * normal equations [T][3] (GV reads them after the solve factored wuw in
 * place; copied, not built twice), each element a vector of lanes
 * (sized for eight, the most), plus room to align it to 64 bytes. The
 * means and inverse variances are gathered there from the problems unless
 * the caller already interleaved as many problems as there are lanes that
 * way (in_stride = ss_kern_mlpg_lanes(), aligned): the engine's driver
 * does, and the solver then reads them in place (no gather, ~15 % of a
 * group solve). */
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 3
#define MAX_LANES 8
#define GV_ITERATIONS 5
#define GV_STEP_INIT 0.1
#define GV_STEP_DEC 0.5
#define GV_STEP_INC 1.2

/* The steps of a group solve are inlined into solve_group's builds, so each
 * build's steps are made for its instruction set. */
#define GROUP_STEP static inline __attribute__((always_inline))

size_t ss_kern_mlpg_workspace(size_t max_length)
{
    return max_length * (2 * WIDTH + 3 + 2 * SS_MLPG_MAX_WIN) * MAX_LANES + MAX_LANES;
}

static int same_shape(const ss_mlpg_problem *a, const ss_mlpg_problem *b)
{
    return a->length == b->length && a->gv_switch == b->gv_switch && a->out_stride == b->out_stride;
}

/* Window coefficients padded with zeros: pad[w][x + 1] for x in -1..3 is the
 * weight of offset x (0 outside the window), so the loops below need no
 * range tests. Zero weights are skipped exactly where HTS skips them, which
 * keeps the sums (and the results) identical to HTS's. */
typedef struct {
    double pad[SS_MLPG_MAX_WIN][5];
} padded_windows;

static void pad_windows(const ss_mlpg_windows *w, padded_windows *p)
{
    for (int i = 0; i < w->nwin; i++)
        for (int x = -1; x <= 3; x++)
            p->pad[i][x + 1] = (x >= w->left[i] && x <= w->right[i]) ? w->coef[i][x + 1] : 0.0;
}

static size_t in_stride(const ss_mlpg_problem *p)
{
    return p->in_stride > 1 ? p->in_stride : 1;
}

/* Eight lanes: AVX-512 (one zmm register) and the baseline build (SSE2
 * pairs), chosen when the program loads (GCC target_clones: without AVX an
 * 8-double vector lives in memory and every lane access goes through the
 * stack). */
#define LANES 8
#define GROUP_SUFFIX 8
#define GROUP_TARGET __attribute__((target_clones("avx512f", "default")))
#include "kernels/cpu/mlpg_group.h"
#undef GROUP_TARGET
#undef GROUP_SUFFIX
#undef LANES

/* Four lanes: AVX2 without AVX-512 (one ymm register). */
#define LANES 4
#define GROUP_SUFFIX 4
#define GROUP_TARGET __attribute__((target("avx2")))
#include "kernels/cpu/mlpg_group.h"
#undef GROUP_TARGET
#undef GROUP_SUFFIX
#undef LANES

size_t ss_kern_mlpg_lanes(void)
{
    if (!__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
        return 4;
    return 8;
}

int ss_kern_mlpg_in_lanes(size_t lanes, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                          size_t nprobs, double *work, size_t work_len, char *err, size_t errlen)
{
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    if (lanes == 8)
        return solve_groups_8(win, probs, nprobs, work, work_len, err, errlen);
    if (lanes == 4 && __builtin_cpu_supports("avx2"))
        return solve_groups_4(win, probs, nprobs, work, work_len, err, errlen);
    snprintf(err, errlen, "mlpg: no %zu-lane build for this CPU (8, or 4 with AVX2)", lanes);
    return -1;
}

int ss_kern_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen)
{
    return ss_kern_mlpg_in_lanes(ss_kern_mlpg_lanes(), win, probs, nprobs, work, work_len, err, errlen);
}
