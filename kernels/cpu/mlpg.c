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
 * Workspace per problem (reused): wuw [T][3], wum [T], g [T]. */
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 3
#define GV_ITERATIONS 5
#define GV_STEP_INIT 0.1
#define GV_STEP_DEC 0.5
#define GV_STEP_INC 1.2

size_t ss_kern_mlpg_workspace(size_t max_length)
{
    return max_length * (WIDTH + 2);
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

static void build_normal_equations(const ss_mlpg_windows *w, const ss_mlpg_problem *p,
                                   double (*wuw)[WIDTH], double *wum)
{
    const size_t T = p->length;
    const int nw = w->nwin;
    padded_windows pw;
    pad_windows(w, &pw);
    for (size_t t = 0; t < T; t++) {
        double um = 0.0, u0 = 0.0, u1 = 0.0, u2 = 0.0;
        for (int i = 0; i < nw; i++) {
            const double *c = pw.pad[i] + 1; /* c[x], x in -1..3 */
            for (int shift = w->left[i]; shift <= w->right[i]; shift++) {
                long ts = (long)t + shift;
                double cm = c[-shift];
                if (ts < 0 || ts >= (long)T || cm == 0.0)
                    continue;
                double wu = cm * p->ivar[(size_t)ts * nw + i];
                um += wu * p->mean[(size_t)ts * nw + i];
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

static void solve_band(size_t T, double (*wuw)[WIDTH], const double *wum, double *g, double *out,
                       size_t stride)
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
        double v = g[t] / wuw[t][0];
        for (size_t i = 1; i < WIDTH && t + i < T; i++)
            v -= wuw[t][i] * out[(t + i) * stride];
        out[t * stride] = v;
    }
}

static void gv_stats(const ss_mlpg_problem *p, size_t gv_len, double *mean, double *vari)
{
    const double *c = p->out;
    size_t s = p->out_stride;
    double m = 0.0, v = 0.0;
    for (size_t t = 0; t < p->length; t++)
        if (p->gv_switch[t])
            m += c[t * s];
    m /= (double)gv_len;
    for (size_t t = 0; t < p->length; t++)
        if (p->gv_switch[t])
            v += (c[t * s] - m) * (c[t * s] - m);
    v /= (double)gv_len;
    *mean = m;
    *vari = v;
}

/* One gradient evaluation; leaves the step direction in g; returns -objective. */
static double gv_derivative(const ss_mlpg_problem *p, size_t nwin, size_t gv_len,
                            double (*wuw)[WIDTH], const double *wum, double *g)
{
    const size_t T = p->length;
    double *c = p->out;
    const size_t s = p->out_stride;
    double mean, vari;
    const double w = 1.0 / (double)(nwin * T);
    gv_stats(p, gv_len, &mean, &vari);
    double gvobj = -0.5 * vari * p->gv_vari * (vari - 2.0 * p->gv_mean);
    double dv = -2.0 * p->gv_vari * (vari - p->gv_mean) / (double)T;
    for (size_t t = 0; t < T; t++) {
        g[t] = wuw[t][0] * c[t * s];
        for (size_t i = 1; i < WIDTH; i++) {
            if (t + i < T)
                g[t] += wuw[t][i] * c[(t + i) * s];
            if (t + 1 > i)
                g[t] += wuw[t - i][i] * c[(t - i) * s];
        }
    }
    double hmmobj = 0.0;
    const double TT = (double)(T * T);
    for (size_t t = 0; t < T; t++) {
        double ct = c[t * s];
        hmmobj += w * ct * (wum[t] - 0.5 * g[t]);
        double h = -w * wuw[t][0] -
                   2.0 / TT *
                       ((double)(T - 1) * p->gv_vari * (vari - p->gv_mean) +
                        2.0 * p->gv_vari * (ct - mean) * (ct - mean));
        if (p->gv_switch[t])
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]) + dv * (ct - mean));
        else
            g[t] = 1.0 / h * (w * (-g[t] + wum[t]));
    }
    return -(hmmobj + gvobj);
}

static void apply_gv(const ss_mlpg_windows *win, const ss_mlpg_problem *p, double (*wuw)[WIDTH],
                     double *wum, double *g)
{
    size_t gv_len = 0;
    for (size_t t = 0; t < p->length; t++)
        gv_len += p->gv_switch[t] ? 1 : 0;
    if (gv_len == 0)
        return;
    double mean, vari;
    gv_stats(p, gv_len, &mean, &vari);
    double ratio = sqrt(p->gv_mean / vari);
    double *c = p->out;
    const size_t s = p->out_stride;
    for (size_t t = 0; t < p->length; t++)
        if (p->gv_switch[t])
            c[t * s] = ratio * (c[t * s] - mean) + mean;
    build_normal_equations(win, p, wuw, wum);
    double step = GV_STEP_INIT, prev = 0.0;
    for (int it = 1; it <= GV_ITERATIONS; it++) {
        double obj = gv_derivative(p, (size_t)win->nwin, gv_len, wuw, wum, g);
        if (it > 1) {
            if (obj > prev)
                step *= GV_STEP_DEC;
            if (obj < prev)
                step *= GV_STEP_INC;
        }
        for (size_t t = 0; t < p->length; t++)
            if (p->gv_switch[t])
                c[t * s] += step * g[t];
        prev = obj;
    }
}

int ss_kern_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                 double *work, size_t work_len, char *err, size_t errlen)
{
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < nprobs; k++) {
        const ss_mlpg_problem *p = &probs[k];
        if (ss_kern_mlpg_workspace(p->length) > work_len || !work) {
            snprintf(err, errlen, "mlpg: workspace too small for %zu frames", p->length);
            return -1;
        }
        double (*wuw)[WIDTH] = (double (*)[WIDTH])work;
        double *wum = work + p->length * WIDTH;
        double *g = wum + p->length;
        build_normal_equations(win, p, wuw, wum);
        solve_band(p->length, wuw, wum, g, p->out, p->out_stride);
        if (p->gv_switch)
            apply_gv(win, p, wuw, wum, g);
    }
    return 0;
}
