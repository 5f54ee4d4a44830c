/* Formant-sharpening postfilter on mel-cepstra (see cg_postfilter.h). */
#include "node/engine/clustergen/cg_postfilter.h"

#include <math.h>
#include <string.h>

#define IR_LEN 64
#define MAX_DIM 64

/* Mel-cepstrum (warping alpha) to linear cepstrum c[0..IR_LEN-1]: the
 * all-pass frequency transformation with -alpha (SPTK's freqt recursion). */
static void warp_to_cepstrum(const double *mc, int dim, double alpha, double *c)
{
    double g[IR_LEN] = {0}, d[IR_LEN];
    const double a = -alpha, b = 1.0 - a * a;
    for (int i = dim - 1; i >= 0; i--) {
        d[0] = g[0];
        g[0] = mc[i] + a * d[0];
        d[1] = g[1];
        g[1] = b * d[0] + a * d[1];
        for (int j = 2; j < IR_LEN; j++) {
            d[j] = g[j];
            g[j] = d[j - 1] + a * (d[j] - g[j - 1]);
        }
    }
    memcpy(c, g, sizeof g);
}

/* Energy of the minimum-phase impulse response of cepstrum c. */
static double impulse_energy(const double *c)
{
    double h[IR_LEN], en;
    h[0] = exp(c[0]);
    en = h[0] * h[0];
    for (int n = 1; n < IR_LEN; n++) {
        double s = 0.0;
        for (int k = 1; k <= n; k++)
            s += k * c[k] * h[n - k];
        h[n] = s / n;
        en += h[n] * h[n];
    }
    return en;
}

static double frame_energy(const double *mc, int dim, double alpha)
{
    double c[IR_LEN];
    warp_to_cepstrum(mc, dim, alpha, c);
    return impulse_energy(c);
}

void ss_cg_postfilter(double *mcep, size_t nframes, int dim, double alpha, double beta)
{
    if (beta <= 0.0 || dim < 3 || dim > MAX_DIM)
        return;
    for (size_t t = 0; t < nframes; t++) {
        double *mc = mcep + t * (size_t)dim;
        double e1 = frame_energy(mc, dim, alpha);
        for (int k = 2; k < dim; k++)
            mc[k] *= 1.0 + beta;
        double e2 = frame_energy(mc, dim, alpha);
        mc[0] += log(e1 / e2) / 2.0;
    }
}
