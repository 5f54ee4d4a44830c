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
 *
 * Speed: up to eight problems are solved at once, one per lane of an 8-double
 * vector (GCC vector extensions: one AVX-512 register, two AVX2 halves or
 * four SSE2 pairs, whichever clone the CPU runs; eight lanes instead of
 * four: MLPG CPU x0.65, the 45 mel-cepstral dimensions are six groups
 * instead of twelve). Problems that share the length, the GV switch array and the
 * output stride (the dimensions of one stream, as the engine passes them)
 * have the same control flow; only the data differ, and a lane does
 * exactly the scalar operations in the scalar order (no fused operations,
 * per-lane step sizes), so every result is bit-identical to solving the
 * problems one by one. The recurrences of the solver are serial in time, so
 * eight independent ones in flight also hide their latency. A group with
 * fewer than eight problems repeats its first problem in the spare lanes
 * (results dropped).
 *
 * Workspace per group (reused): wuw [T][3], wum [T], g [T], c [T], the
 * group's means and inverse variances [T][nwin], and with GV a copy of the
 * normal equations [T][3] (GV needs them again after the solve factored
 * them in place; copied, not built twice), each element an 8-lane vector,
 * plus room to align it to 64 bytes. The means and inverse
 * variances are gathered there from the problems unless the caller already
 * interleaved eight problems that way (in_stride 8, aligned): the engine's
 * driver does, and the solver then reads them in place (no gather, ~15 % of
 * a group solve). */
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 3
#define LANES 8
#define GV_ITERATIONS 5
#define GV_STEP_INIT 0.1
#define GV_STEP_DEC 0.5
#define GV_STEP_INC 1.2

/* One value per problem of a group. Only ever passed by pointer (a 64-byte
 * vector by value would change the ABI between SSE2 and AVX builds). */
typedef double lanes __attribute__((vector_size(LANES * sizeof(double))));

/* The steps of a group solve are inlined into solve_group's clones, so each
 * clone's steps are built for its instruction set. */
#define GROUP_STEP static inline __attribute__((always_inline))

size_t ss_kern_mlpg_workspace(size_t max_length)
{
    return max_length * (2 * WIDTH + 3 + 2 * SS_MLPG_MAX_WIN) * LANES + LANES;
}

/* Up to LANES problems solved together; lanes n..LANES-1 repeat p[0]. */
typedef struct {
    const ss_mlpg_problem *p[LANES];
    int n;
} problem_group;

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

/* Are the group's inputs already lane-interleaved ([T][nwin] of lanes,
 * aligned), as the engine's driver lays out eight dimensions? Then the
 * solver reads them in place. */
static int inputs_in_lanes(const problem_group *grp)
{
    const ss_mlpg_problem *p0 = grp->p[0];
    if (grp->n != LANES || in_stride(p0) != LANES || ((uintptr_t)p0->mean & 63) || ((uintptr_t)p0->ivar & 63))
        return 0;
    for (int l = 1; l < LANES; l++)
        if (grp->p[l]->mean != p0->mean + l || grp->p[l]->ivar != p0->ivar + l)
            return 0;
    return 1;
}

/* The group's means and inverse variances, lane-interleaved ([T][nwin] of
 * lanes), gathered once: the normal equations read each up to three
 * times, and a vector built from eight scalars on every read stalls. */
GROUP_STEP void gather_inputs(const problem_group *grp, size_t n, lanes *mean, lanes *ivar)
{
    double *m = (double *)mean, *v = (double *)ivar;
    for (size_t at = 0; at < n; at++)
        for (int l = 0; l < LANES; l++) {
            const size_t s = in_stride(grp->p[l]);
            m[at * LANES + (size_t)l] = grp->p[l]->mean[at * s];
            v[at * LANES + (size_t)l] = grp->p[l]->ivar[at * s];
        }
}

GROUP_STEP void build_normal_equations(const ss_mlpg_windows *w, size_t T, const lanes *mean,
                                   const lanes *ivar, lanes (*wuw)[WIDTH], lanes *wum)
{
    const int nw = w->nwin;
    padded_windows pw;
    pad_windows(w, &pw);
    for (size_t t = 0; t < T; t++) {
        lanes um = {0}, u0 = {0}, u1 = {0}, u2 = {0};
        for (int i = 0; i < nw; i++) {
            const double *c = pw.pad[i] + 1; /* c[x], x in -1..3 */
            for (int shift = w->left[i]; shift <= w->right[i]; shift++) {
                long ts = (long)t + shift;
                double cm = c[-shift];
                if (ts < 0 || ts >= (long)T || cm == 0.0)
                    continue;
                const size_t at = (size_t)ts * (size_t)nw + (size_t)i;
                const lanes wu = cm * ivar[at];
                um += wu * mean[at];
                double c0 = c[0 - shift], c1 = c[1 - shift], c2 = c[2 - shift];
                if (c0 != 0.0)
                    u0 += wu * c0;
                if (c1 != 0.0 && t + 1 < T)
                    u1 += wu * c1;
                if (c2 != 0.0 && t + 2 < T)
                    u2 += wu * c2;
            }
        }
        wum[t] = um;
        wuw[t][0] = u0;
        wuw[t][1] = u1;
        wuw[t][2] = u2;
    }
}

GROUP_STEP void solve_band(size_t T, lanes (*wuw)[WIDTH], const lanes *wum, lanes *g, lanes *c)
{
    /* L D L' factorisation in place: wuw[t][0] = D, wuw[t][i] = L(t+i, t). */
    for (size_t t = 0; t < T; t++) {
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            wuw[t][0] -= wuw[t - i][i] * wuw[t - i][i] * wuw[t - i][0];
        for (size_t i = 1; i < WIDTH; i++) {
            for (size_t j = 1; i + j < WIDTH && t >= j; j++)
                wuw[t][i] -= wuw[t - j][j] * wuw[t - j][i + j] * wuw[t - j][0];
            wuw[t][i] /= wuw[t][0];
        }
    }
    for (size_t t = 0; t < T; t++) {
        g[t] = wum[t];
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            g[t] -= wuw[t - i][i] * g[t - i];
    }
    for (size_t r = 0; r < T; r++) {
        size_t t = T - 1 - r;
        lanes v = g[t] / wuw[t][0];
        for (size_t i = 1; i < WIDTH && t + i < T; i++)
            v -= wuw[t][i] * c[t + i];
        c[t] = v;
    }
}

GROUP_STEP void gv_stats(const lanes *c, const unsigned char *sw, size_t T, size_t gv_len, lanes *mean,
                     lanes *vari)
{
    lanes m = {0}, v = {0};
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            m += c[t];
    m /= (double)gv_len;
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            v += (c[t] - m) * (c[t] - m);
    v /= (double)gv_len;
    *mean = m;
    *vari = v;
}

/* One gradient evaluation; leaves the step direction in g and -objective
 * in *neg_obj. */
GROUP_STEP void gv_derivative(const problem_group *grp, const lanes *gvm, const lanes *gvv, size_t nwin,
                          size_t gv_len, lanes (*wuw)[WIDTH], const lanes *wum, const lanes *c,
                          lanes *g, lanes *neg_obj)
{
    const size_t T = grp->p[0]->length;
    const unsigned char *sw = grp->p[0]->gv_switch;
    lanes mean, vari;
    const double w = 1.0 / (double)(nwin * T);
    gv_stats(c, sw, T, gv_len, &mean, &vari);
    const lanes gvobj = -0.5 * vari * *gvv * (vari - 2.0 * *gvm);
    const lanes dv = -2.0 * *gvv * (vari - *gvm) / (double)T;
    for (size_t t = 0; t < T; t++) {
        g[t] = wuw[t][0] * c[t];
        for (size_t i = 1; i < WIDTH; i++) {
            if (t + i < T)
                g[t] += wuw[t][i] * c[t + i];
            if (t + 1 > i)
                g[t] += wuw[t - i][i] * c[t - i];
        }
    }
    lanes hmmobj = {0};
    const double TT = (double)(T * T);
    for (size_t t = 0; t < T; t++) {
        const lanes ct = c[t];
        hmmobj += w * ct * (wum[t] - 0.5 * g[t]);
        const lanes h = -w * wuw[t][0] -
                        2.0 / TT *
                            ((double)(T - 1) * *gvv * (vari - *gvm) +
                             2.0 * *gvv * (ct - mean) * (ct - mean));
        if (sw[t])
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]) + dv * (ct - mean));
        else
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]));
    }
    *neg_obj = -(hmmobj + gvobj);
}

GROUP_STEP void apply_gv(const ss_mlpg_windows *win, const problem_group *grp, lanes (*wuw)[WIDTH],
                     const lanes (*wuw_saved)[WIDTH], const lanes *wum, lanes *g, lanes *c)
{
    const size_t T = grp->p[0]->length;
    const unsigned char *sw = grp->p[0]->gv_switch;
    size_t gv_len = 0;
    for (size_t t = 0; t < T; t++)
        gv_len += sw[t] ? 1 : 0;
    if (gv_len == 0)
        return;
    lanes gvm, gvv, mean, vari, ratio;
    for (int l = 0; l < LANES; l++) {
        gvm[l] = grp->p[l]->gv_mean;
        gvv[l] = grp->p[l]->gv_vari;
    }
    gv_stats(c, sw, T, gv_len, &mean, &vari);
    for (int l = 0; l < LANES; l++)
        ratio[l] = sqrt(gvm[l] / vari[l]);
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            c[t] = ratio * (c[t] - mean) + mean;
    /* the normal equations again (the solve factored them in place): the
     * copy taken before the solve, the values a second build would give */
    memcpy(wuw, wuw_saved, T * sizeof *wuw);
    lanes step = (lanes){0} + GV_STEP_INIT, prev = {0}; /* every lane, whatever LANES is */
    for (int it = 1; it <= GV_ITERATIONS; it++) {
        lanes obj;
        gv_derivative(grp, &gvm, &gvv, (size_t)win->nwin, gv_len, wuw, wum, c, g, &obj);
        for (int l = 0; it > 1 && l < LANES; l++) {
            if (obj[l] > prev[l])
                step[l] *= GV_STEP_DEC;
            if (obj[l] < prev[l])
                step[l] *= GV_STEP_INC;
        }
        for (size_t t = 0; t < T; t++)
            if (sw[t])
                c[t] += step * g[t];
        prev = obj;
    }
}

/* Solves one group into its problems' out arrays. Built three times, for
 * AVX-512, AVX2 and the baseline, chosen when the program loads (GCC
 * target_clones: without AVX an 8-double vector lives in memory and every
 * lane access goes through the stack). The clones differ only in
 * instruction encoding; no fused multiply-add is enabled (-std=c11 keeps
 * contraction off), so all give the same bits. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void solve_group(const ss_mlpg_windows *win, const problem_group *grp, lanes *ws)
{
    const size_t T = grp->p[0]->length;
    lanes (*wuw)[WIDTH] = (lanes (*)[WIDTH])ws;
    lanes *wum = ws + T * WIDTH, *g = wum + T, *c = g + T;
    const lanes *mean, *ivar;
    if (inputs_in_lanes(grp)) {
        mean = (const lanes *)grp->p[0]->mean;
        ivar = (const lanes *)grp->p[0]->ivar;
    } else {
        lanes *m = c + T, *v = m + T * (size_t)win->nwin;
        gather_inputs(grp, T * (size_t)win->nwin, m, v);
        mean = m;
        ivar = v;
    }
    build_normal_equations(win, T, mean, ivar, wuw, wum);
    lanes (*wuw_saved)[WIDTH] = (lanes (*)[WIDTH])(c + T + 2 * T * (size_t)win->nwin);
    if (grp->p[0]->gv_switch)
        memcpy(wuw_saved, wuw, T * sizeof *wuw);
    solve_band(T, wuw, wum, g, c);
    if (grp->p[0]->gv_switch)
        apply_gv(win, grp, wuw, (const lanes (*)[WIDTH])wuw_saved, wum, g, c);
    const size_t s = grp->p[0]->out_stride;
    for (int l = 0; l < grp->n; l++)
        for (size_t t = 0; t < T; t++)
            grp->p[l]->out[t * s] = c[t][l];
}

int ss_kern_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen)
{
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < nprobs;) {
        const ss_mlpg_problem *p = &probs[k];
        if (ss_kern_mlpg_workspace(p->length) > work_len || !work) {
            snprintf(err, errlen, "mlpg: workspace too small for %zu frames", p->length);
            return -1;
        }
        problem_group grp = {.n = 1};
        while (grp.n < LANES && k + (size_t)grp.n < nprobs && same_shape(p, &probs[k + (size_t)grp.n]))
            grp.n++;
        for (int l = 0; l < LANES; l++)
            grp.p[l] = l < grp.n ? &probs[k + (size_t)l] : p;
        const size_t skip = (size_t)((64 - ((uintptr_t)work & 63)) & 63) / sizeof(double);
        solve_group(win, &grp, (lanes *)(work + skip));
        k += (size_t)grp.n;
    }
    return 0;
}
