/* Formant-sharpening postfilter on mel-cepstra (see cg_postfilter.h).
 *
 * Both energies of a frame come from two long dependency chains (the
 * freqt recursion runs along the cepstrum, the impulse response along
 * time), so one frame at a time runs at the latency of a multiply and an
 * add with the core mostly idle: it was 27 % of a clustergen sentence's
 * CPU. Frames are independent, so FRAMES of them go through the same
 * arithmetic side by side, one per lane of a GCC vector (plain multiplies
 * and adds, no contraction under -std=c11: each lane gives the bits the
 * one-frame code gave). A group past the last frame repeats the last one
 * in its spare lanes and drops their results. Built twice, chosen when
 * the program loads (GCC target_clones): with AVX2 a group is one vector
 * per value, 12.9-15.6 -> 4.2 us per frame (25 coefficients); without it
 * GCC splits each vector in two SSE2 halves through memory, 11.4-12.0 us.
 * Same bits either way. */
#include "node/engine/clustergen/cg_postfilter.h"

#include <math.h>
#include <string.h>

#define IR_LEN 64
#define MAX_DIM 64
enum { FRAMES = 4 };

/* One value per frame of a group. Only ever passed by pointer (a vector
 * by value would change the ABI between SSE2 and AVX builds). */
typedef double frames_v __attribute__((vector_size(FRAMES * sizeof(double))));

/* Mel-cepstrum (warping alpha) to linear cepstrum c[0..IR_LEN-1]: the
 * all-pass frequency transformation with -alpha (SPTK's freqt recursion). */
static inline __attribute__((always_inline)) void warp_to_cepstrum(const frames_v *mc, int dim, double alpha, frames_v *c)
{
    frames_v g[IR_LEN] = {0}, d[IR_LEN];
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

/* Energy of the minimum-phase impulse response of cepstrum c, into *out. */
static inline __attribute__((always_inline)) void impulse_energy(const frames_v *c, frames_v *out)
{
    frames_v h[IR_LEN], en;
    for (int l = 0; l < FRAMES; l++)
        h[0][l] = exp(c[0][l]);
    en = h[0] * h[0];
    for (int n = 1; n < IR_LEN; n++) {
        frames_v s = {0};
        for (int k = 1; k <= n; k++)
            s += (double)k * c[k] * h[n - k];
        h[n] = s / (double)n;
        en += h[n] * h[n];
    }
    *out = en;
}

static inline __attribute__((always_inline)) void frame_energy(const frames_v *mc, int dim, double alpha, frames_v *out)
{
    frames_v c[IR_LEN];
    warp_to_cepstrum(mc, dim, alpha, c);
    impulse_energy(c, out);
}

__attribute__((target_clones("avx2", "default"))) void ss_cg_postfilter(double *mcep, size_t nframes, int dim, double alpha, double beta)
{
    if (beta <= 0.0 || dim < 3 || dim > MAX_DIM)
        return;
    for (size_t t0 = 0; t0 < nframes; t0 += FRAMES) {
        frames_v mc[MAX_DIM];
        for (int l = 0; l < FRAMES; l++) {
            const size_t t = t0 + (size_t)l < nframes ? t0 + (size_t)l : nframes - 1;
            for (int k = 0; k < dim; k++)
                mc[k][l] = mcep[t * (size_t)dim + (size_t)k];
        }
        frames_v e1, e2;
        frame_energy(mc, dim, alpha, &e1);
        for (int k = 2; k < dim; k++)
            mc[k] *= 1.0 + beta;
        frame_energy(mc, dim, alpha, &e2);
        for (int l = 0; l < FRAMES && t0 + (size_t)l < nframes; l++) {
            double *row = mcep + (t0 + (size_t)l) * (size_t)dim;
            for (int k = 2; k < dim; k++)
                row[k] = mc[k][l];
            row[0] += log(e1[l] / e2[l]) / 2.0;
        }
    }
}
