/* The MLPG group solver for one lane count: a template, included by
 * kernels/cpu/mlpg.c once per build of the solver (no include guard).
 *
 * The includer defines LANES (problems per group, one per lane of a vector
 * of LANES doubles), GROUP_SUFFIX (appended to every name defined here, so
 * two instantiations live in one file) and GROUP_TARGET (the function
 * attribute that picks the instruction sets solve_group is built for), and
 * provides WIDTH, the GV_* constants, GROUP_STEP, same_shape, pad_windows,
 * in_stride and ss_kern_mlpg_workspace. Everything here is static; the
 * includer calls solve_groups (with the suffix). The method, the arithmetic
 * order and the workspace layout are described at the top of mlpg.c; this
 * file only says how LANES problems are solved at once. */

#define GROUP_CAT2(a, b) a##_##b
#define GROUP_CAT(a, b) GROUP_CAT2(a, b)
#define GROUP_NAME(n) GROUP_CAT(n, GROUP_SUFFIX)
#define lanes GROUP_NAME(lanes)
#define problem_group GROUP_NAME(problem_group)
#define inputs_in_lanes GROUP_NAME(inputs_in_lanes)
#define gather_inputs GROUP_NAME(gather_inputs)
#define build_normal_equations GROUP_NAME(build_normal_equations)
#define solve_band GROUP_NAME(solve_band)
#define gv_sum GROUP_NAME(gv_sum)
#define gv_stats GROUP_NAME(gv_stats)
#define band_row GROUP_NAME(band_row)
#define gv_stats_hmm GROUP_NAME(gv_stats_hmm)
#define gv_derivative GROUP_NAME(gv_derivative)
#define gv_rescale GROUP_NAME(gv_rescale)
#define gv_step GROUP_NAME(gv_step)
#define apply_gv GROUP_NAME(apply_gv)
#define outputs_in_lanes GROUP_NAME(outputs_in_lanes)
#define scatter_out GROUP_NAME(scatter_out)
#define solve_group GROUP_NAME(solve_group)
#define solve_groups GROUP_NAME(solve_groups)
/* inputs read in place must be aligned to the vector */
#define ALIGN_MASK ((uintptr_t)(LANES * sizeof(double) - 1))

/* One value per problem of a group. Only ever passed by pointer (a vector
 * by value would change the ABI between SSE2 and AVX builds). */
typedef double lanes __attribute__((vector_size(LANES * sizeof(double))));

/* Up to LANES problems solved together; lanes n..LANES-1 repeat p[0]. */
typedef struct {
    const ss_mlpg_problem *p[LANES];
    int n;
} problem_group;

/* Are the group's inputs already lane-interleaved ([T][nwin] of lanes,
 * aligned), as the engine's driver lays out LANES dimensions? Then the
 * solver reads them in place. */
static int inputs_in_lanes(const problem_group *grp)
{
    const ss_mlpg_problem *p0 = grp->p[0];
    if (grp->n != LANES || in_stride(p0) != LANES || ((uintptr_t)p0->mean & ALIGN_MASK) ||
        ((uintptr_t)p0->ivar & ALIGN_MASK))
        return 0;
    for (int l = 1; l < LANES; l++)
        if (grp->p[l]->mean != p0->mean + l || grp->p[l]->ivar != p0->ivar + l)
            return 0;
    return 1;
}

/* The group's means and inverse variances, lane-interleaved ([T][nwin] of
 * lanes), gathered once: the normal equations read each up to three
 * times, and a vector built from LANES scalars on every read stalls. */
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
    /* Sums run in locals, in the same order: through memory every step
     * would wait for the previous store (the arrays may alias, so the
     * compiler may not keep them in registers on its own). */
    for (size_t t = 0; t < T; t++) {
        lanes d = wuw[t][0];
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            d -= wuw[t - i][i] * wuw[t - i][i] * wuw[t - i][0];
        wuw[t][0] = d;
        for (size_t i = 1; i < WIDTH; i++) {
            lanes e = wuw[t][i];
            for (size_t j = 1; i + j < WIDTH && t >= j; j++)
                e -= wuw[t - j][j] * wuw[t - j][i + j] * wuw[t - j][0];
            wuw[t][i] = e / d;
        }
    }
    for (size_t t = 0; t < T; t++) {
        lanes v = wum[t];
        for (size_t i = 1; i < WIDTH && t >= i; i++)
            v -= wuw[t - i][i] * g[t - i];
        g[t] = v;
    }
    for (size_t r = 0; r < T; r++) {
        size_t t = T - 1 - r;
        lanes v = g[t] / wuw[t][0];
        for (size_t i = 1; i < WIDTH && t + i < T; i++)
            v -= wuw[t][i] * c[t + i];
        c[t] = v;
    }
}

/* The sum of c over the switched-on frames, in t order: the numerator of
 * the GV mean. The passes that change c (the rescale, each gradient step)
 * return it themselves (gv_rescale, gv_step), so c is read once less per
 * iteration; the sum sees the same values in the same order either way. */
GROUP_STEP void gv_sum(const lanes *c, const unsigned char *sw, size_t T, lanes *sum)
{
    lanes m = {0};
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            m += c[t];
    *sum = m;
}

/* The GV mean and variance over the switched-on frames, from the mean's
 * numerator (gv_sum). */
GROUP_STEP void gv_stats(const lanes *c, const unsigned char *sw, size_t T, size_t gv_len, const lanes *sum,
                         lanes *mean, lanes *vari)
{
    lanes m = *sum, v = {0};
    m /= (double)gv_len;
    for (size_t t = 0; t < T; t++)
        if (sw[t])
            v += (c[t] - m) * (c[t] - m);
    v /= (double)gv_len;
    *mean = m;
    *vari = v;
}

/* Row t of the band matrix times c (W'UW c), the sum in HTS's order.
 * Away from the ends every term is there: that case has no tests and is
 * unrolled (~1 % of a group solve on a Zen 3). */
GROUP_STEP void band_row(const lanes (*wuw)[WIDTH], const lanes *c, size_t T, size_t t, lanes *row)
{
    lanes v = wuw[t][0] * c[t];
    if (t >= WIDTH - 1 && t + WIDTH - 1 < T) {
        for (size_t i = 1; i < WIDTH; i++) {
            v += wuw[t][i] * c[t + i];
            v += wuw[t - i][i] * c[t - i];
        }
    } else {
        for (size_t i = 1; i < WIDTH; i++) {
            if (t + i < T)
                v += wuw[t][i] * c[t + i];
            if (t + 1 > i)
                v += wuw[t - i][i] * c[t - i];
        }
    }
    *row = v;
}

/* The GV statistics of c as gv_stats, and in the same pass the HMM part
 * of the gradient, which needs no GV statistic: W'UW c into g and the HMM
 * objective into *hmmobj (summed over every frame in t order, as HTS).
 * The variance sum is a serial chain of additions; the band products fill
 * the time it waits, and the next pass is left with little more than the
 * division it waits on (~3 % of a group solve on a Zen 3). */
GROUP_STEP void gv_stats_hmm(const lanes (*wuw)[WIDTH], const lanes *wum, const lanes *c,
                             const unsigned char *sw, size_t T, size_t gv_len, double w, const lanes *sum,
                             lanes *mean, lanes *vari, lanes *g, lanes *hmmobj)
{
    lanes m = *sum, v = {0}, obj = {0};
    m /= (double)gv_len;
    for (size_t t = 0; t < T; t++) {
        const lanes ct = c[t];
        lanes wc;
        band_row(wuw, c, T, t, &wc);
        obj += w * ct * (wum[t] - 0.5 * wc);
        g[t] = wc;
        if (sw[t])
            v += (ct - m) * (ct - m);
    }
    v /= (double)gv_len;
    *mean = m;
    *vari = v;
    *hmmobj = obj;
}

/* One gradient evaluation at the GV statistics mean, vari of c, with g
 * holding W'UW c and *hmmobj the HMM objective (gv_stats_hmm); leaves the
 * step direction in g and -objective in *neg_obj. */
GROUP_STEP void gv_derivative(const problem_group *grp, const lanes *gvm, const lanes *gvv, double w,
                              const lanes *mean, const lanes *vari, const lanes *hmmobj,
                              const lanes (*wuw)[WIDTH], const lanes *wum, const lanes *c, lanes *g,
                              lanes *neg_obj)
{
    const size_t T = grp->p[0]->length;
    const unsigned char *sw = grp->p[0]->gv_switch;
    const lanes gvobj = -0.5 * *vari * *gvv * (*vari - 2.0 * *gvm);
    const lanes dv = -2.0 * *gvv * (*vari - *gvm) / (double)T;
    /* the loop-invariant operands of h, each the same left-to-right
     * product as in HTS's expression, so the same bits */
    const double TT = (double)(T * T), h_scale = 2.0 / TT;
    const lanes h_vari = (double)(T - 1) * *gvv * (*vari - *gvm), h_gvv = 2.0 * *gvv, m = *mean;
    for (size_t t = 0; t < T; t++) {
        const lanes ct = c[t], wc = g[t];
        const lanes h = -w * wuw[t][0] - h_scale * (h_vari + h_gvv * (ct - m) * (ct - m));
        if (sw[t])
            g[t] = 1.0 / h * (w * (-wc + wum[t]) + dv * (ct - m));
        else
            g[t] = 1.0 / h * (w * (-wc + wum[t]));
    }
    *neg_obj = -(*hmmobj + gvobj);
}

/* c = ratio (c - mean) + mean on the switched-on frames; returns the new
 * gv_sum of c (same frames, same order). */
GROUP_STEP void gv_rescale(lanes *c, const unsigned char *sw, size_t T, const lanes *ratio,
                           const lanes *mean, lanes *sum)
{
    const lanes r = *ratio, mu = *mean;
    lanes m = {0};
    for (size_t t = 0; t < T; t++)
        if (sw[t]) {
            c[t] = r * (c[t] - mu) + mu;
            m += c[t];
        }
    *sum = m;
}

/* One gradient step, c += step g on the switched-on frames; returns the
 * new gv_sum of c for the next iteration's statistics. */
GROUP_STEP void gv_step(lanes *c, const lanes *g, const unsigned char *sw, size_t T, const lanes *step,
                        lanes *sum)
{
    const lanes s = *step;
    lanes m = {0};
    for (size_t t = 0; t < T; t++)
        if (sw[t]) {
            c[t] += s * g[t];
            m += c[t];
        }
    *sum = m;
}

/* GV compensation of the solved c. wuw_saved: the normal equations as
 * built (the solve factored its copy in place), the values a second build
 * would give. */
GROUP_STEP void apply_gv(const ss_mlpg_windows *win, const problem_group *grp,
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
    lanes sum;
    gv_sum(c, sw, T, &sum);
    gv_stats(c, sw, T, gv_len, &sum, &mean, &vari);
    for (int l = 0; l < LANES; l++)
        ratio[l] = sqrt(gvm[l] / vari[l]);
    gv_rescale(c, sw, T, &ratio, &mean, &sum);
    const double w = 1.0 / (double)((size_t)win->nwin * T);
    lanes step = (lanes){0} + GV_STEP_INIT, prev = {0}; /* every lane, whatever LANES is */
    for (int it = 1; it <= GV_ITERATIONS; it++) {
        lanes obj, hmmobj;
        gv_stats_hmm(wuw_saved, wum, c, sw, T, gv_len, w, &sum, &mean, &vari, g, &hmmobj);
        gv_derivative(grp, &gvm, &gvv, w, &mean, &vari, &hmmobj, wuw_saved, wum, c, g, &obj);
        for (int l = 0; it > 1 && l < LANES; l++) {
            if (obj[l] > prev[l])
                step[l] *= GV_STEP_DEC;
            if (obj[l] < prev[l])
                step[l] *= GV_STEP_INC;
        }
        gv_step(c, g, sw, T, &step, &sum);
        prev = obj;
    }
}

/* Are the group's out arrays LANES consecutive doubles per frame (the
 * engine's dimensions l0..l0+LANES-1 of one [T][dims] track)? Then a frame
 * is one vector store, not LANES strided ones (those were ~6 % of a group
 * solve's profile). */
static int outputs_in_lanes(const problem_group *grp)
{
    if (grp->n != LANES || grp->p[0]->out_stride < LANES)
        return 0;
    for (int l = 1; l < LANES; l++)
        if (grp->p[l]->out != grp->p[0]->out + l)
            return 0;
    return 1;
}

GROUP_STEP void scatter_out(const problem_group *grp, size_t T, const lanes *c)
{
    const size_t s = grp->p[0]->out_stride;
    if (outputs_in_lanes(grp)) {
        double *out = grp->p[0]->out;
        for (size_t t = 0; t < T; t++)
            memcpy(out + t * s, &c[t], sizeof c[t]); /* unaligned */
        return;
    }
    for (int l = 0; l < grp->n; l++)
        for (size_t t = 0; t < T; t++)
            grp->p[l]->out[t * s] = c[t][l];
}

/* Solves one group into its problems' out arrays, built for the includer's
 * instruction sets (GROUP_TARGET). No fused multiply-add is enabled
 * (-std=c11 keeps contraction off), so every build gives the same bits. */
GROUP_TARGET static void solve_group(const ss_mlpg_windows *win, const problem_group *grp, lanes *ws)
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
        apply_gv(win, grp, (const lanes (*)[WIDTH])wuw_saved, wum, g, c);
    scatter_out(grp, T, c);
}

/* All problems, in groups of up to LANES consecutive same-shape ones. */
static int solve_groups(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                        double *work, size_t work_len, char *err, size_t errlen)
{
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

#undef ALIGN_MASK
#undef solve_groups
#undef solve_group
#undef scatter_out
#undef outputs_in_lanes
#undef apply_gv
#undef gv_derivative
#undef gv_stats_hmm
#undef gv_step
#undef gv_rescale
#undef band_row
#undef gv_stats
#undef gv_sum
#undef solve_band
#undef build_normal_equations
#undef gather_inputs
#undef inputs_in_lanes
#undef problem_group
#undef lanes
#undef GROUP_NAME
#undef GROUP_CAT
#undef GROUP_CAT2
