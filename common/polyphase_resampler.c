/* Polyphase FIR resampler (see polyphase_resampler.h for the contract).
 *
 * Conventions. The prototype filter h has N = L * taps - 1 taps at the
 * upsampled rate in_rate * L (odd length, so its centre D = (N - 1) / 2 is
 * a whole sample), and output k is sum_j h[j] * x_up[k * M + D - j], where
 * x_up is the input with L - 1 zeros after every sample. Only one tap in L
 * meets a nonzero x_up, so output k uses phase ph = (k * M + D) mod L:
 * taps h[ph], h[ph + L], ... against x[imax], x[imax - 1], ... with
 * imax = (k * M + D) / L. Each phase is stored reversed, so the inner loop
 * is a plain dot product of taps contiguous coefficients with taps
 * contiguous input samples ending at imax.
 *
 * The input history (float, int16 units) starts with taps - 1 zeros for
 * the time before the first sample; after each write the samples no later
 * output needs are dropped, so the buffer never holds more than taps - 1
 * old samples plus one write (plus the zeros finish appends). */
#include "common/polyphase_resampler.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTEN_MIN_DB 98.0 /* Kaiser design target: 8 dB over the 90 dB asked */
#define PASS_EDGE 0.9     /* of the lower Nyquist */
#define LANES 16          /* taps per phase are a multiple of this */

typedef void (*run_fn)(const ss_polyphase *p, uint64_t k, uint64_t k_end, float *out);

struct ss_polyphase {
    int L, M;
    size_t taps;      /* per phase, a multiple of LANES */
    uint64_t delay;   /* D, at the upsampled rate */
    float *coef;      /* L phases of taps each, reversed */
    float *lanes;     /* AVX2: L tables of rlen rows of eight (build_lanes) */
    size_t rlen;
    float *buf;       /* input history; buf[0] is input index start */
    size_t len, cap;
    int64_t start;
    uint64_t n_in;    /* input samples written */
    uint64_t k_next;  /* next output index */
    run_fn run;
    int avx2, finished;
};

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int ss_polyphase_supported(int in_rate, int out_rate)
{
    if (in_rate <= 0 || out_rate <= 0 || in_rate == out_rate)
        return 0;
    int g = gcd(in_rate, out_rate);
    return out_rate / g <= SS_POLYPHASE_MAX_LM && in_rate / g <= SS_POLYPHASE_MAX_LM;
}

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 200 && term > sum * 1e-17; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

/* Tap j of the prototype: a sinc with cutoff fc (cycles per upsampled
 * sample) centred on d, under a Kaiser window of the given beta. */
static double proto_tap(size_t j, double d, double fc, double beta, double i0b)
{
    double t = (double)j - d, r = t / d;
    double s = t == 0 ? 2 * fc : sin(2 * M_PI * fc * t) / (M_PI * t);
    return s * bessel_i0(beta * sqrt(fmax(0, 1 - r * r))) / i0b;
}

/* Designs h (N = L * taps - 1 taps at in_rate * L) and stores it as L
 * reversed phases in p->coef. lo_nyq and width are in cycles per
 * upsampled sample: the transition band runs from PASS_EDGE to 1.0 of the
 * lower Nyquist lo_nyq (width = its length), the cutoff is its middle,
 * and beta is the Kaiser beta for the attenuation this length affords at
 * that width (Kaiser's A = 14.36 * width * (N - 1) + 7.95; at least
 * ATTEN_MIN_DB, as taps was chosen from it). DC gain is L, so each phase
 * sums to about 1. */
static void design(ss_polyphase *p, double lo_nyq, double width)
{
    const size_t n = (size_t)p->L * p->taps - 1;
    const double d = (double)(n - 1) / 2, fc = lo_nyq * (1 + PASS_EDGE) / 2;
    const double atten = 14.36 * width * (double)(n - 1) + 7.95;
    const double beta = 0.1102 * (atten - 8.7), i0b = bessel_i0(beta);
    double sum = 0;
    for (size_t j = 0; j < n; j++)
        sum += proto_tap(j, d, fc, beta, i0b);
    const double gain = p->L / sum;
    for (int ph = 0; ph < p->L; ph++) {
        float *c = p->coef + (size_t)ph * p->taps;
        for (size_t m = 0; m < p->taps; m++) {
            size_t j = (size_t)ph + m * (size_t)p->L;
            double h = j < n ? proto_tap(j, d, fc, beta, i0b) : 0;
            c[p->taps - 1 - m] = (float)(h * gain);
        }
    }
    p->delay = (uint64_t)(n - 1) / 2;
}

/* The input window of output k: taps samples ending at imax. */
static inline const float *window(const ss_polyphase *p, uint64_t k, const float **coef)
{
    uint64_t pos = k * (uint64_t)p->M + p->delay;
    uint64_t imax = pos / (uint64_t)p->L;
    *coef = p->coef + (size_t)(pos % (uint64_t)p->L) * p->taps;
    return p->buf + ((int64_t)imax - (int64_t)p->taps + 1 - p->start);
}

/* Walks the outputs k, k + 1, ... without a division per sample: the
 * position k * M + D advances by M, split into imax (whole input samples)
 * and the phase. */
typedef struct {
    const float *x;  /* buf at imax - taps + 1 */
    size_t phase;
} cursor;

static inline cursor cursor_at(const ss_polyphase *p, uint64_t k)
{
    const float *c;
    const float *x = window(p, k, &c);
    return (cursor){x, (size_t)(c - p->coef) / p->taps};
}

static inline void cursor_step(const ss_polyphase *p, cursor *u)
{
    u->phase += (size_t)p->M;
    while (u->phase >= (size_t)p->L) {
        u->phase -= (size_t)p->L;
        u->x++;
    }
}

/* Output k alone: coefficient m ascending, one multiply-add each. This
 * is the order of every path: the vector paths below add the same
 * products in the same order, with zeros (exact no-ops) between them. */
static float one_portable(const ss_polyphase *p, cursor u)
{
    const float *c = p->coef + u.phase * p->taps;
    float a = 0;
    for (size_t m = 0; m < p->taps; m++)
        a += c[m] * u.x[m];
    return a;
}

/* Without FMA the products round once more than in the AVX2 build, so
 * the last bits differ from it, never the filter. */
static void run_portable(const ss_polyphase *p, uint64_t k, uint64_t k_end, float *out)
{
    cursor u = cursor_at(p, k);
    for (; k < k_end; k++, cursor_step(p, &u))
        *out++ = one_portable(p, u);
}

/* The lane tables of the AVX2 path. Eight consecutive outputs k0..k0+7
 * form a vector. For k0 = rho (mod L) the phases of its lanes and their
 * window starts relative to lane 0's (off_i) are the same for every
 * vector, so output k0 + i = sum over r of W_rho[r][i] * x[b + r], with
 * b lane 0's window start and W_rho[r][i] lane i's coefficient for input
 * b + r: phase ph_i's tap r - off_i inside its window, zero outside.
 * One aligned load of W_rho[r] and one broadcast of x[b + r] feed eight
 * outputs, with no horizontal sums; every lane is one chain of fused
 * multiply-adds in the order of one_portable. The tables hold L * rlen
 * rows of eight floats (rlen = taps + the largest off_7). */
static int build_lanes(ss_polyphase *p)
{
    const uint64_t L = (uint64_t)p->L, M = (uint64_t)p->M, D = p->delay;
    size_t maxoff = 0;
    for (uint64_t rho = 0; rho < L; rho++) {
        size_t off = (size_t)(((rho + 7) * M + D) / L - (rho * M + D) / L);
        maxoff = off > maxoff ? off : maxoff;
    }
    p->rlen = p->taps + maxoff;
    size_t bytes = (size_t)p->L * p->rlen * 8 * sizeof *p->lanes;
    bytes = (bytes + 63) / 64 * 64; /* aligned_alloc: a multiple of the alignment */
    p->lanes = aligned_alloc(64, bytes);
    if (!p->lanes)
        return -1;
    memset(p->lanes, 0, bytes);
    for (uint64_t rho = 0; rho < L; rho++) {
        float *w = p->lanes + rho * p->rlen * 8;
        for (uint64_t i = 0; i < 8; i++) {
            uint64_t pos = (rho + i) * M + D;
            size_t off = (size_t)(pos / L - (rho * M + D) / L);
            const float *c = p->coef + (size_t)(pos % L) * p->taps;
            for (size_t t = 0; t < p->taps; t++)
                w[(off + t) * 8 + i] = c[t];
        }
    }
    return 0;
}

/* Eight vectors of one residue, 8L outputs apart (their windows 8M input
 * samples apart): one table load serves eight chains. out[j * 8L + i] is
 * output k0 + j * 8L + i. */
__attribute__((target("avx2,fma"))) static void vectors8_avx2(const ss_polyphase *p, uint64_t k0,
                                                                float *out)
{
    const float *w = p->lanes + (size_t)(k0 % (uint64_t)p->L) * p->rlen * 8;
    cursor u = cursor_at(p, k0);
    const float *x = u.x;
    const size_t s = 8 * (size_t)p->M, stride = 8 * (size_t)p->L;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t r = 0; r < p->rlen; r++, x++) {
        __m256 wr = _mm256_load_ps(w + r * 8);
        a0 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x), a0);
        a1 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + s), a1);
        a2 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 2 * s), a2);
        a3 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 3 * s), a3);
        a4 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 4 * s), a4);
        a5 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 5 * s), a5);
        a6 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 6 * s), a6);
        a7 = _mm256_fmadd_ps(wr, _mm256_broadcast_ss(x + 7 * s), a7);
    }
    _mm256_storeu_ps(out, a0);
    _mm256_storeu_ps(out + stride, a1);
    _mm256_storeu_ps(out + 2 * stride, a2);
    _mm256_storeu_ps(out + 3 * stride, a3);
    _mm256_storeu_ps(out + 4 * stride, a4);
    _mm256_storeu_ps(out + 5 * stride, a5);
    _mm256_storeu_ps(out + 6 * stride, a6);
    _mm256_storeu_ps(out + 7 * stride, a7);
}

/* n consecutive vectors (n <= 8, a constant where this is inlined) from
 * k0, each with its own table and window: n independent chains, two
 * loads per multiply-add. Writes 8n outputs to out. The chains are named
 * variables, not an array: GCC keeps an array of vectors on the stack. */
#define VEC_SETUP(j)                                                                     \
    const float *w##j = p->lanes, *x##j = p->buf;                                      \
    __m256 a##j = _mm256_setzero_ps();                                                 \
    if (n > j) {                                                                       \
        uint64_t k = k0 + 8 * (uint64_t)(j);                                           \
        w##j = p->lanes + (size_t)(k % (uint64_t)p->L) * p->rlen * 8;                   \
        x##j = cursor_at(p, k).x;                                                      \
    }
#define VEC_STEP(j)                                                                      \
    if (n > j)                                                                         \
        a##j = _mm256_fmadd_ps(_mm256_load_ps(w##j + r * 8), _mm256_broadcast_ss(x##j + r), a##j);
#define VEC_STORE(j)                                                                     \
    if (n > j)                                                                         \
        _mm256_storeu_ps(out + 8 * (j), a##j);

__attribute__((target("avx2,fma"), always_inline)) static inline void
vectors_n_avx2(const ss_polyphase *p, uint64_t k0, const int n, float *out)
{
    VEC_SETUP(0) VEC_SETUP(1) VEC_SETUP(2) VEC_SETUP(3)
    VEC_SETUP(4) VEC_SETUP(5) VEC_SETUP(6) VEC_SETUP(7)
    for (size_t r = 0; r < p->rlen; r++) {
        VEC_STEP(0) VEC_STEP(1) VEC_STEP(2) VEC_STEP(3)
        VEC_STEP(4) VEC_STEP(5) VEC_STEP(6) VEC_STEP(7)
    }
    VEC_STORE(0) VEC_STORE(1) VEC_STORE(2) VEC_STORE(3)
    VEC_STORE(4) VEC_STORE(5) VEC_STORE(6) VEC_STORE(7)
}

__attribute__((target("avx2,fma"))) static void vectors_avx2(const ss_polyphase *p, uint64_t k0,
                                                               int n, float *out)
{
    switch (n) {
    case 1: vectors_n_avx2(p, k0, 1, out); break;
    case 2: vectors_n_avx2(p, k0, 2, out); break;
    case 3: vectors_n_avx2(p, k0, 3, out); break;
    case 4: vectors_n_avx2(p, k0, 4, out); break;
    case 5: vectors_n_avx2(p, k0, 5, out); break;
    case 6: vectors_n_avx2(p, k0, 6, out); break;
    case 7: vectors_n_avx2(p, k0, 7, out); break;
    default: vectors_n_avx2(p, k0, 8, out); break;
    }
}

/* AVX2: blocks of 64L outputs as L groups of eight vectors (group j0:
 * the vectors at 8 * j0 + 8L * j, j < 8, which share a residue and so one
 * table load), then the remaining vectors up to eight at a time, the last
 * one partial: its lanes past k_end read input that is there (or stale,
 * finite values within the buffer) and are dropped. Each output is summed
 * in the same order whichever path computes it, so chunking never
 * changes a bit. */
__attribute__((target("avx2,fma"))) static void run_avx2(const ss_polyphase *p, uint64_t k,
                                                           uint64_t k_end, float *out)
{
    const uint64_t block = 64 * (uint64_t)p->L;
    for (; k + block <= k_end; k += block, out += block)
        for (int j0 = 0; j0 < p->L; j0++)
            vectors8_avx2(p, k + 8 * (uint64_t)j0, out + 8 * j0);
    while (k < k_end) {
        uint64_t left = k_end - k;
        int n = left >= 64 ? 8 : (int)((left + 7) / 8);
        if (left >= 8 * (uint64_t)n) {
            vectors_avx2(p, k, n, out);
        } else { /* the last vector is partial */
            float tmp[64];
            vectors_avx2(p, k, n, tmp);
            memcpy(out, tmp, (size_t)left * sizeof *out);
        }
        uint64_t done = left < 8 * (uint64_t)n ? left : 8 * (uint64_t)n;
        k += done;
        out += done;
    }
}

ss_polyphase *ss_polyphase_new(int in_rate, int out_rate, char *err, size_t errlen)
{
    if (!ss_polyphase_supported(in_rate, out_rate)) {
        snprintf(err, errlen, "polyphase: %d -> %d Hz is not a ratio L/M with L, M <= %d", in_rate,
                 out_rate, SS_POLYPHASE_MAX_LM);
        return NULL;
    }
    ss_polyphase *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "polyphase: out of memory");
        return NULL;
    }
    int g = gcd(in_rate, out_rate);
    p->L = out_rate / g;
    p->M = in_rate / g;
    /* In cycles per upsampled sample (rate in_rate * L). */
    double lo_nyq = 0.5 * (p->L < p->M ? 1.0 / p->M : 1.0 / p->L);
    double width = lo_nyq * (1 - PASS_EDGE);
    double n_est = (ATTEN_MIN_DB - 7.95) / (14.36 * width) + 1;
    size_t taps = (size_t)ceil(n_est / p->L);
    p->taps = (taps + LANES - 1) / LANES * LANES;
    /* 64-byte aligned: every phase starts on a cache line (taps is a
     * multiple of 16 floats). */
    p->coef = aligned_alloc(64, (size_t)p->L * p->taps * sizeof *p->coef);
    /* taps - 1 old samples, one write, finish's zeros (< taps), and what
     * a vector reads past the last input (its lane 0 up to 8 * M / L + 1
     * samples past its window, with zero coefficients; the lanes of a
     * partial vector past the end, dropped); the values there are always
     * finite. */
    p->cap = 2 * p->taps + SS_POLYPHASE_MAX_IN + 8 * (size_t)p->M + 8;
    p->buf = calloc(p->cap, sizeof *p->buf);
    if (!p->coef || !p->buf) {
        snprintf(err, errlen, "polyphase: out of memory");
        ss_polyphase_free(p);
        return NULL;
    }
    design(p, lo_nyq, width);
    p->len = p->taps - 1;
    p->start = -(int64_t)(p->taps - 1);
    p->avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (p->avx2 && build_lanes(p) != 0) {
        snprintf(err, errlen, "polyphase: out of memory");
        ss_polyphase_free(p);
        return NULL;
    }
    p->run = p->avx2 ? run_avx2 : run_portable;
    return p;
}

size_t ss_polyphase_out_room(const ss_polyphase *p)
{
    return (SS_POLYPHASE_MAX_IN + 2 * p->taps) * (size_t)p->L / (size_t)p->M + 2;
}

/* Computes outputs k_next..k_end-1 into out, then drops the history no
 * later output needs. */
static size_t emit(ss_polyphase *p, uint64_t k_end, float *out)
{
    if (k_end <= p->k_next)
        return 0;
    p->run(p, p->k_next, k_end, out);
    size_t n = (size_t)(k_end - p->k_next);
    p->k_next = k_end;
    const float *c;
    size_t drop = (size_t)(window(p, p->k_next, &c) - p->buf);
    if (drop > p->len)
        drop = p->len;
    memmove(p->buf, p->buf + drop, (p->len - drop) * sizeof *p->buf);
    p->len -= drop;
    p->start += (int64_t)drop;
    return n;
}

int ss_polyphase_write(ss_polyphase *p, const int16_t *in, size_t n, float *out, size_t *nout,
                       char *err, size_t errlen)
{
    if (!p || !out || !nout || (n > 0 && !in) || n > SS_POLYPHASE_MAX_IN) {
        snprintf(err, errlen, "polyphase: bad arguments");
        return -1;
    }
    if (p->finished) {
        snprintf(err, errlen, "polyphase: write after finish");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        p->buf[p->len + i] = in[i];
    p->len += n;
    p->n_in += n;
    /* Outputs whose imax = (k * M + D) / L is at most n_in - 1. */
    uint64_t last = p->n_in * (uint64_t)p->L;
    uint64_t k_end = last > p->delay ? (last - 1 - p->delay) / (uint64_t)p->M + 1 : 0;
    *nout = emit(p, k_end, out);
    return 0;
}

int ss_polyphase_finish(ss_polyphase *p, float *out, size_t *nout, char *err, size_t errlen)
{
    if (!p || !out || !nout) {
        snprintf(err, errlen, "polyphase: bad arguments");
        return -1;
    }
    if (p->finished) {
        snprintf(err, errlen, "polyphase: finish called twice");
        return -1;
    }
    p->finished = 1;
    *nout = 0;
    uint64_t total = (p->n_in * (uint64_t)p->L + (uint64_t)p->M / 2) / (uint64_t)p->M;
    if (total <= p->k_next)
        return 0;
    /* Zeros after the input up to the last output's imax. */
    uint64_t imax = ((total - 1) * (uint64_t)p->M + p->delay) / (uint64_t)p->L;
    int64_t have = p->start + (int64_t)p->len; /* first index not in buf */
    if ((int64_t)imax >= have) {
        size_t z = (size_t)((int64_t)imax + 1 - have);
        if (p->len + z > p->cap) {
            snprintf(err, errlen, "polyphase: tail of %zu samples exceeds the buffer", z);
            return -1;
        }
        memset(p->buf + p->len, 0, z * sizeof *p->buf);
        p->len += z;
    }
    *nout = emit(p, total, out);
    return 0;
}

/* Clamp, then round to nearest (even on ties: lrintf and cvtps2dq under
 * the default rounding mode agree), so both builds give the same int16. */
static void to_s16_portable(const float *in, size_t n, int16_t *out)
{
    for (size_t i = 0; i < n; i++) {
        float v = in[i];
        v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
        out[i] = (int16_t)lrintf(v);
    }
}

__attribute__((target("avx2,fma"))) static void to_s16_avx2(const float *in, size_t n, int16_t *out)
{
    const __m256 hi = _mm256_set1_ps(32767.0f), lo = _mm256_set1_ps(-32768.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(in + i), hi), lo);
        __m256 b = _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(in + i + 8), hi), lo);
        __m256i w = _mm256_packs_epi32(_mm256_cvtps_epi32(a), _mm256_cvtps_epi32(b));
        w = _mm256_permute4x64_epi64(w, 0xD8); /* packs works per 128-bit half */
        _mm256_storeu_si256((__m256i *)(out + i), w);
    }
    to_s16_portable(in + i, n - i, out + i);
}

void ss_polyphase_to_s16(const ss_polyphase *p, const float *in, size_t n, int16_t *out)
{
    if (p->avx2)
        to_s16_avx2(in, n, out);
    else
        to_s16_portable(in, n, out);
}

size_t ss_polyphase_first_input(const ss_polyphase *p) { return (size_t)(p->delay / (uint64_t)p->L) + 1; }
size_t ss_polyphase_taps_per_phase(const ss_polyphase *p) { return p->taps; }
int ss_polyphase_uses_avx2(const ss_polyphase *p) { return p->avx2; }

void ss_polyphase_force_portable(ss_polyphase *p)
{
    p->avx2 = 0;
    p->run = run_portable;
}

void ss_polyphase_free(ss_polyphase *p)
{
    if (!p)
        return;
    free(p->coef);
    free(p->lanes);
    free(p->buf);
    free(p);
}
