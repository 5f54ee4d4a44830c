/* CPU MLSA kernel (kernels.h): mel-log spectrum approximation filter, gamma 0.
 *
 * The filter exp(H(z)) with H the all-pass-warped cepstrum is realised as in
 * SPTK/HTS: coefficients b from the mel-cepstrum (mc2b), a first section for
 * b[1] and a second section built from 5th-order Pade approximants of exp
 * around the FIR filter of b[2..m], coefficients interpolated linearly per
 * sample from frame to frame, gain exp(b[0]) applied to the excitation.
 *
 * Speed: the second section runs the same FIR (with its own delay line) five
 * times per sample, once per Pade stage, and each stage only reads the
 * previous sample's outputs, so the five are independent. They are computed
 * together: the delay lines are interleaved ([tap][stage], 6 lanes) and the
 * tap loop works on vectors of stages; the delay-line shift is folded into
 * the update (each tap writes its new value one slot down), so there is no
 * separate copy pass. Everything stays in double precision. */
#include "kernels/kernels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef double v2d __attribute__((vector_size(16)));

static const double pade5[SS_MLSA_PADE + 1] = {1.0,        0.4999391,  0.1107098,
                                               0.01369984, 0.0009564853, 0.00003041721};

int ss_mlsa_state_init(ss_mlsa_state *st, int order, double alpha, char *err, size_t errlen)
{
    if (order < 2 || order > SS_MLSA_MAX_ORDER || !(fabs(alpha) < 1.0)) {
        snprintf(err, errlen, "mlsa: order must be 2..%d and |alpha| < 1", SS_MLSA_MAX_ORDER);
        return -1;
    }
    memset(st, 0, sizeof *st);
    st->order = order;
    st->alpha = alpha;
    return 0;
}

static void mc2b(const double *mc, double *b, int m, double a)
{
    b[m] = mc[m];
    for (int i = m - 1; i >= 0; i--)
        b[i] = mc[i] - a * b[i + 1];
}

/* First section: b[1] with Pade stages, delay d (pd+1) and outputs pt (pd+1). */
static inline double section1(double x, double b1, double a, double aa, double *d)
{
    double *pt = d + SS_MLSA_PADE + 1;
    double out = 0.0;
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
        d[i] = aa * pt[i - 1] + a * d[i];
        pt[i] = d[i] * b1;
        double v = pt[i] * pade5[i];
        x += (i & 1) ? v : -v;
        out += v;
    }
    pt[0] = x;
    return out + x;
}

/* Second section: the five FIR stages at once. fir holds [tap][lane] for taps
 * 0..m+1; lanes 0..4 are Pade stages 1..5 (lane 5 idle). pt[0] is last
 * sample's output x, pt[1..5] the stage outputs. */
static inline double section2(double x, const double *b, int m, double a, double aa, v2d *fir,
                              double *pt)
{
    const v2d va = {a, a}, vaa = {aa, aa};
    v2d in[3] = {{pt[0], pt[1]}, {pt[2], pt[3]}, {pt[4], 0.0}};
    v2d prev[3], oldk[3], y[3] = {{0, 0}, {0, 0}, {0, 0}};
    for (int l = 0; l < 3; l++) {
        v2d d1 = vaa * in[l] + va * fir[1 * 3 + l];
        prev[l] = d1;
        oldk[l] = fir[2 * 3 + l];
        fir[1 * 3 + l] = d1;
        fir[2 * 3 + l] = d1;
    }
    for (int k = 2; k <= m; k++) {
        const v2d bk = {b[k], b[k]};
        v2d *next = &fir[(k + 1) * 3];
        for (int l = 0; l < 3; l++) {
            v2d on = next[l];
            v2d nk = oldk[l] + va * (on - prev[l]);
            next[l] = nk;
            y[l] += nk * bk;
            prev[l] = nk;
            oldk[l] = on;
        }
    }
    double ys[6] = {y[0][0], y[0][1], y[1][0], y[1][1], y[2][0], y[2][1]};
    double out = 0.0;
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
        pt[i] = ys[i - 1];
        double v = pt[i] * pade5[i];
        x += (i & 1) ? v : -v;
        out += v;
    }
    pt[0] = x;
    return out + x;
}

int ss_kern_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    for (size_t k = 0; k < njobs; k++) {
        const ss_mlsa_job *j = &jobs[k];
        ss_mlsa_state *st = j->state;
        if (!st || st->order < 2 || st->order > SS_MLSA_MAX_ORDER || j->frame_period == 0 ||
            (j->nframes && (!j->mcep || !j->excitation || !j->out))) {
            snprintf(err, errlen, "mlsa: job %zu has no state or buffers", k);
            return -1;
        }
        const int m = st->order;
        const double a = st->alpha, aa = 1.0 - a * a;
        const double fp = (double)j->frame_period;
        double bnext[SS_MLSA_MAX_ORDER + 1], binc[SS_MLSA_MAX_ORDER + 1];
        v2d *fir = (v2d *)st->fir;
        for (size_t f = 0; f < j->nframes; f++) {
            const double *mc = j->mcep + f * (size_t)(m + 1);
            if (!st->started) {
                mc2b(mc, st->b, m, a);
                st->started = 1;
            }
            mc2b(mc, bnext, m, a);
            for (int i = 0; i <= m; i++)
                binc[i] = (bnext[i] - st->b[i]) / fp;
            const double *ex = j->excitation + f * j->frame_period;
            double *out = j->out + f * j->frame_period;
            for (size_t n = 0; n < j->frame_period; n++) {
                double x = ex[n];
                if (x != 0.0)
                    x *= exp(st->b[0]);
                x = section1(x, st->b[1], a, aa, st->d1);
                x = section2(x, st->b, m, a, aa, fir, st->pt);
                out[n] = x;
                for (int i = 0; i <= m; i++)
                    st->b[i] += binc[i];
            }
            memcpy(st->b, bnext, sizeof(double) * (size_t)(m + 1));
        }
    }
    return 0;
}
