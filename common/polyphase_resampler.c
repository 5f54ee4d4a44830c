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
#define LANES 16          /* taps per phase are padded to a multiple of this */

typedef void (*run_fn)(const ss_polyphase *p, uint64_t k, uint64_t k_end, float *out);

struct ss_polyphase {
    int L, M;
    size_t taps;      /* per phase, a multiple of LANES */
    uint64_t delay;   /* D, at the upsampled rate */
    float *coef;      /* L phases of taps each, reversed */
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

/* Portable loop: sixteen lanes per output, lane l and l + 8 summed, then
 * pairs (0+1, 2+3, 4+5, 6+7), then (01 + 45) + (23 + 67): the order of
 * the AVX2 loop. Without FMA the products round once more, so the last
 * bits differ from the AVX2 build, never the filter. */
static void run_portable(const ss_polyphase *p, uint64_t k, uint64_t k_end, float *out)
{
    cursor u = cursor_at(p, k);
    for (; k < k_end; k++, cursor_step(p, &u)) {
        const float *c = p->coef + u.phase * p->taps, *x = u.x;
        float a[LANES] = {0};
        for (size_t t = 0; t < p->taps; t += LANES)
            for (int l = 0; l < LANES; l++)
                a[l] += c[t + l] * x[t + l];
        float s[8];
        for (int l = 0; l < 8; l++)
            s[l] = a[l] + a[l + 8];
        float q0 = (s[0] + s[1]) + (s[4] + s[5]), q1 = (s[2] + s[3]) + (s[6] + s[7]);
        *out++ = q0 + q1;
    }
}

/* One output's two 8-lane accumulators, summed as run_portable sums:
 * returns [out(a), out(b), out(c), out(d)] for four such pairs. */
__attribute__((target("avx2,fma"))) static inline __m128 reduce4(__m256 a, __m256 b, __m256 c,
                                                                 __m256 d)
{
    __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    __m128 qab = _mm_add_ps(_mm256_castps256_ps128(ab), _mm256_extractf128_ps(ab, 1));
    __m128 qcd = _mm_add_ps(_mm256_castps256_ps128(cd), _mm256_extractf128_ps(cd, 1));
    return _mm_hadd_ps(qab, qcd);
}

/* Outputs k, k + L, k + 2L, k + 3L share a phase (their positions differ
 * by L * M) and their windows are M input samples apart: one coefficient
 * load serves four FMAs, eight accumulators are in flight. out gets the
 * four at stride L. */
__attribute__((target("avx2,fma"))) static void quad_avx2(const ss_polyphase *p, cursor u,
                                                            float *out)
{
    const float *c = p->coef + u.phase * p->taps, *x = u.x;
    const size_t m = (size_t)p->M, L = (size_t)p->L;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
    for (size_t t = 0; t < p->taps; t += LANES) {
        __m256 h0 = _mm256_load_ps(c + t), h1 = _mm256_load_ps(c + t + 8);
        a0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(x + t), a0);
        a1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(x + t + 8), a1);
        b0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(x + m + t), b0);
        b1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(x + m + t + 8), b1);
        c0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(x + 2 * m + t), c0);
        c1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(x + 2 * m + t + 8), c1);
        d0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(x + 3 * m + t), d0);
        d1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(x + 3 * m + t + 8), d1);
    }
    __m128 q = reduce4(_mm256_add_ps(a0, a1), _mm256_add_ps(b0, b1), _mm256_add_ps(c0, c1),
                       _mm256_add_ps(d0, d1));
    float r[4];
    _mm_storeu_ps(r, q);
    for (int i = 0; i < 4; i++)
        out[(size_t)i * L] = r[i];
}

/* One output alone (the last few of a write), summed in the same order. */
__attribute__((target("avx2,fma"))) static float one_avx2(const ss_polyphase *p, cursor u)
{
    const float *c = p->coef + u.phase * p->taps;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    for (size_t t = 0; t < p->taps; t += LANES) {
        a0 = _mm256_fmadd_ps(_mm256_load_ps(c + t), _mm256_loadu_ps(u.x + t), a0);
        a1 = _mm256_fmadd_ps(_mm256_load_ps(c + t + 8), _mm256_loadu_ps(u.x + t + 8), a1);
    }
    __m256 s = _mm256_add_ps(a0, a1);
    return _mm_cvtss_f32(reduce4(s, s, s, s));
}

/* AVX2: blocks of 4L outputs as L quads (each output summed in the same
 * order whichever path computes it, so chunking never changes a bit),
 * then the rest one by one. */
__attribute__((target("avx2,fma"))) static void run_avx2(const ss_polyphase *p, uint64_t k,
                                                           uint64_t k_end, float *out)
{
    cursor u = cursor_at(p, k);
    const uint64_t block = 4 * (uint64_t)p->L;
    for (; k + block <= k_end; k += block, out += block) {
        cursor v = u;
        for (int i = 0; i < p->L; i++, cursor_step(p, &v))
            quad_avx2(p, v, out + i);
        u.x += 4 * (size_t)p->M; /* 4L outputs on: same phase, 4M samples later */
    }
    for (; k < k_end; k++, cursor_step(p, &u))
        *out++ = one_avx2(p, u);
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
    /* taps - 1 old samples, one write, and finish's zeros (< taps). */
    p->cap = 2 * p->taps + SS_POLYPHASE_MAX_IN;
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
    free(p->buf);
    free(p);
}
