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
 * separate copy pass. Everything stays in double precision.
 *
 * Two builds of the per-frame sample loop: a baseline one with SSE2 pairs
 * (3 x 2 lanes) and, chosen at run time when the CPU has AVX2 and FMA, one
 * with a 4-lane and a 2-lane vector and fused multiply-adds (the tap-to-tap
 * dependency becomes a single FMA). In the AVX2 build the accumulators stay
 * in registers and the per-sample coefficient interpolation (b += binc) is
 * fused into the tap loop; see section2_avx2. Both use the same state
 * layout, so a state may move between them. Fused rounding differs from
 * HTS's by ~1e-16 relative per operation; the parity test bounds the effect
 * on the waveform (LSD, not bits), and the unit test pins the AVX2 build to
 * a scalar fma() transcription bit for bit, so a rewrite of the loop that
 * changes any sample is caught.
 *
 * States with cells = 1 go to cell mode (mlsa_cells.c): the same per-sample
 * arithmetic, four cells of the utterance side by side in SIMD lanes. */
#include "kernels/cpu/mlsa_cells.h"
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

void ss_mlsa_state_release(ss_mlsa_state *st)
{
    free(st->history);
    st->history = NULL;
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

/* The second section's output stage, shared by both builds: pt[1..5] hold
 * the five FIR outputs; the Pade-weighted sum with alternating signs is
 * added to x in HTS's order (stage 5 first). */
static inline double section2_output(double x, double *pt)
{
    double out = 0.0;
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
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
            /* (old + a*next) does not depend on the previous tap, so only
             * one multiply and one subtract sit on the tap-to-tap chain */
            v2d nk = (oldk[l] + va * on) - va * prev[l];
            next[l] = nk;
            y[l] += nk * bk;
            prev[l] = nk;
            oldk[l] = on;
        }
    }
    pt[1] = y[0][0];
    pt[2] = y[0][1];
    pt[3] = y[1][0];
    pt[4] = y[1][1];
    pt[5] = y[2][0];
    return section2_output(x, pt);
}

/* Same as section2 with AVX2 + FMA. Lanes 0..3 in a 4-vector, 4..5 in a
 * 2-vector; fir rows are 6 doubles, so loads are unaligned.
 *
 * Two things make this build fast, and neither changes a bit of output:
 *   - the accumulators (y4, y2) and the running taps are plain vector locals
 *     and the results go straight to pt, never through a local array: with
 *     an array GCC 12 kept y4 in a stack slot, which put a store and a
 *     reload on the accumulation chain of every tap (175 ns/sample);
 *   - the per-sample coefficient interpolation is fused into the tap loop:
 *     b[k] is read once, used, and advanced to the next sample's value
 *     (b[k] + binc[k], the same rounding as a separate pass), instead of a
 *     second loop over b after every sample. b[0] and b[1] are advanced by
 *     the caller. The loop is latency-bound (one FMA per tap on the
 *     tap-to-tap chain), so the extra load/add/store rides along for free. */
__attribute__((target("avx2,fma"))) static inline double
section2_avx2(double x, double *restrict b, const double *restrict binc, int m, double a, double aa,
              double *restrict fir, double *restrict pt)
{
    const __m256d va4 = _mm256_set1_pd(a), vaa4 = _mm256_set1_pd(aa);
    const __m128d va2 = _mm_set1_pd(a), vaa2 = _mm_set1_pd(aa);
    const __m256d in4 = _mm256_loadu_pd(pt);
    const __m128d in2 = _mm_set_pd(0.0, pt[4]);
    double *row1 = fir + 1 * SS_MLSA_LANES, *row2 = fir + 2 * SS_MLSA_LANES;
    __m256d prev4 = _mm256_fmadd_pd(vaa4, in4, _mm256_mul_pd(va4, _mm256_loadu_pd(row1)));
    __m128d prev2 = _mm_fmadd_pd(vaa2, in2, _mm_mul_pd(va2, _mm_loadu_pd(row1 + 4)));
    __m256d old4 = _mm256_loadu_pd(row2);
    __m128d old2 = _mm_loadu_pd(row2 + 4);
    _mm256_storeu_pd(row1, prev4);
    _mm_storeu_pd(row1 + 4, prev2);
    _mm256_storeu_pd(row2, prev4);
    _mm_storeu_pd(row2 + 4, prev2);
    __m256d y4 = _mm256_setzero_pd();
    __m128d y2 = _mm_setzero_pd();
    double *next = fir + 3 * SS_MLSA_LANES;
    for (int k = 2; k <= m; k++, next += SS_MLSA_LANES) {
        const double bk = b[k];
        b[k] = bk + binc[k];
        const __m256d bk4 = _mm256_set1_pd(bk);
        const __m128d bk2 = _mm_set1_pd(bk);
        const __m256d on4 = _mm256_loadu_pd(next);
        const __m128d on2 = _mm_loadu_pd(next + 4);
        const __m256d nk4 = _mm256_fnmadd_pd(va4, prev4, _mm256_fmadd_pd(va4, on4, old4));
        const __m128d nk2 = _mm_fnmadd_pd(va2, prev2, _mm_fmadd_pd(va2, on2, old2));
        _mm256_storeu_pd(next, nk4);
        _mm_storeu_pd(next + 4, nk2);
        y4 = _mm256_fmadd_pd(nk4, bk4, y4);
        y2 = _mm_fmadd_pd(nk2, bk2, y2);
        prev4 = nk4;
        prev2 = nk2;
        old4 = on4;
        old2 = on2;
    }
    _mm256_storeu_pd(pt + 1, y4);
    _mm_storel_pd(pt + 5, y2);
    return section2_output(x, pt);
}

/* One frame's samples, AVX2 + FMA build: gain, section 1, section 2 (which
 * also advances b[2..m]), then b[0] and b[1] advance. */
__attribute__((target("avx2,fma"))) static void frame_avx2(ss_mlsa_state *st, const double *binc,
                                                           const double *ex, double *out, size_t len)
{
    const int m = st->order;
    const double a = st->alpha, aa = 1.0 - a * a;
    double *b = st->b;
    for (size_t n = 0; n < len; n++) {
        double x = ex[n];
        if (x != 0.0)
            x *= exp(b[0]);
        x = section1(x, b[1], a, aa, st->d1);
        b[0] += binc[0];
        b[1] += binc[1];
        out[n] = section2_avx2(x, b, binc, m, a, aa, st->fir, st->pt);
    }
}

/* One frame's samples, baseline build: the same steps, with the
 * interpolation as its own pass after each sample. */
static void frame_sse2(ss_mlsa_state *st, const double *binc, const double *ex, double *out,
                       size_t len)
{
    const int m = st->order;
    const double a = st->alpha, aa = 1.0 - a * a;
    v2d *fir = (v2d *)st->fir;
    for (size_t n = 0; n < len; n++) {
        double x = ex[n];
        if (x != 0.0)
            x *= exp(st->b[0]);
        x = section1(x, st->b[1], a, aa, st->d1);
        out[n] = section2(x, st->b, m, a, aa, fir, st->pt);
        for (int i = 0; i <= m; i++)
            st->b[i] += binc[i];
    }
}

int ss_kern_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    if (ss_kern_mlsa_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    const int wide_cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    for (size_t k = 0; k < njobs; k++) {
        const ss_mlsa_job *j = &jobs[k];
        ss_mlsa_state *st = j->state;
        if (st->cells) {
            /* the grid is the CPU's best build's, so the portable
             * build (tests) gives that build's samples */
            const ss_mlsa_cells_build best = ss_mlsa_cells_best();
            if (ss_mlsa_cells_run(j, st->portable ? SS_MLSA_CELLS_PORTABLE : best, ss_mlsa_cells_per_group(best), err,
                                  errlen) != 0)
                return -1;
            continue;
        }
        const int m = st->order;
        const double a = st->alpha;
        const double fp = (double)j->frame_period;
        double bnext[SS_MLSA_MAX_ORDER + 1], binc[SS_MLSA_MAX_ORDER + 1];
        void (*frame)(ss_mlsa_state *, const double *, const double *, double *, size_t) =
            wide_cpu && !st->portable ? frame_avx2 : frame_sse2;
        for (size_t f = 0; f < j->nframes; f++) {
            const double *mc = j->mcep + f * (size_t)(m + 1);
            if (!st->started) {
                mc2b(mc, st->b, m, a);
                st->started = 1;
            }
            mc2b(mc, bnext, m, a);
            for (int i = 0; i <= m; i++)
                binc[i] = (bnext[i] - st->b[i]) / fp;
            frame(st, binc, j->excitation + f * j->frame_period, j->out + f * j->frame_period,
                  j->frame_period);
            memcpy(st->b, bnext, sizeof(double) * (size_t)(m + 1));
        }
    }
    return 0;
}
