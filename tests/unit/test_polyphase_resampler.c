/* Unit tests for common/polyphase_resampler and the converter table of
 * common/audio_resample (ss_resampler).
 *
 * Quality is measured from tones, in the float output before the int16
 * rounding (whose own floor, ~-101 dBFS, would hide a -90 dB component):
 * the tone's gain and phase by a least-squares fit at its exact frequency
 * (passband within 0.1 dB, time-aligned), then, with the tone subtracted,
 * each image and alias frequency by the same fit (at least 90 dB under the
 * tone). The inputs are int16 tones of amplitude 30000; their own rounding
 * noise spreads over every frequency and a fit over thousands of samples
 * takes only a -130 dB share of it. Every ratio L/M with L, M <= 8 runs at
 * in = M * 6 kHz, out = L * 6 kHz, and the API's 32 kHz pairs at their
 * own rates, through the AVX2 loop (when the CPU has it) and the portable
 * one. Also: chunking invariance (random chunk sizes, bit-identical),
 * length contract, impulse alignment, first-output latency, silence,
 * full-scale clipping, and which converter ss_resampler picks. */
#include "common/audio_resample.h"
#include "common/polyphase_resampler.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AMP 30000.0
#define MIN_ATTEN_DB 90.0
#define MAX_RIPPLE_DB 0.1

typedef struct {
    float *y;
    size_t n;
} fout;

/* Runs x[0..n) through a fresh polyphase resampler in chunks (chunk 0:
 * whole blocks; else sizes drawn from rand_r(seed) up to chunk). */
static fout run_float(int in_rate, int out_rate, const int16_t *x, size_t n, size_t chunk,
                      unsigned seed, int portable)
{
    char err[256];
    ss_polyphase *p = ss_polyphase_new(in_rate, out_rate, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    if (portable)
        ss_polyphase_force_portable(p);
    size_t room = ss_polyphase_out_room(p), cap = n * (size_t)out_rate / (size_t)in_rate + room;
    fout o = {malloc(cap * sizeof(float)), 0};
    cr_assert_not_null(o.y);
    size_t i = 0;
    while (i < n) {
        size_t k = chunk ? (size_t)rand_r(&seed) % (chunk + 1) : SS_POLYPHASE_MAX_IN;
        if (k > n - i)
            k = n - i;
        if (k > SS_POLYPHASE_MAX_IN)
            k = SS_POLYPHASE_MAX_IN;
        size_t got = 0;
        cr_assert_eq(ss_polyphase_write(p, x + i, k, o.y + o.n, &got, err, sizeof err), 0, "%s", err);
        cr_assert_leq(got, room);
        o.n += got;
        i += k;
    }
    size_t got = 0;
    cr_assert_eq(ss_polyphase_finish(p, o.y + o.n, &got, err, sizeof err), 0, "%s", err);
    cr_assert_leq(got, room);
    o.n += got;
    ss_polyphase_free(p);
    return o;
}

static int16_t *tone(size_t n, double f, int rate)
{
    int16_t *x = malloc(n * sizeof *x);
    cr_assert_not_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)lrint(AMP * sin(2 * M_PI * f * (double)i / rate));
    return x;
}

/* Least-squares a * cos(w k) + b * sin(w k) over y[from..to); with
 * subtract, removes the fit from y. Returns the amplitude. */
static double fit(float *y, size_t from, size_t to, double w, double *a_out, double *b_out,
                  int subtract)
{
    double cc = 0, cs = 0, ss = 0, yc = 0, ys = 0;
    for (size_t k = from; k < to; k++) {
        double c = cos(w * (double)k), s = sin(w * (double)k);
        cc += c * c, cs += c * s, ss += s * s, yc += y[k] * c, ys += y[k] * s;
    }
    double det = cc * ss - cs * cs;
    double a = (yc * ss - ys * cs) / det, b = (ys * cc - yc * cs) / det;
    if (subtract)
        for (size_t k = from; k < to; k++)
            y[k] -= (float)(a * cos(w * (double)k) + b * sin(w * (double)k));
    if (a_out)
        *a_out = a;
    if (b_out)
        *b_out = b;
    return hypot(a, b);
}

/* f (Hz) folded into [0, rate / 2]. */
static double fold(double f, double rate)
{
    f = fmod(fabs(f), rate);
    return f > rate / 2 ? rate - f : f;
}

/* A tone at f Hz: in the passband (pass = 1), gain within the ripple
 * bound and time-aligned (fitted delay < 0.01 sample); in the stopband,
 * its alias at least 90 dB down. Then every image/alias frequency
 * j * in_rate +- f (folded to the output band) at least 90 dB down. */
static void check_tone(int in_rate, int out_rate, double f, int pass, int portable)
{
    const size_t n = (size_t)in_rate / 2;
    int16_t *x = tone(n, f, in_rate);
    fout o = run_float(in_rate, out_rate, x, n, 0, 0, portable);
    /* Away from both ends (the filter spans at most ~90 ms here). */
    size_t from = (size_t)out_rate / 10, to = o.n - (size_t)out_rate / 10;
    double w = 2 * M_PI * f / out_rate, a, b;
    if (pass) {
        double amp = fit(o.y, from, to, w, &a, &b, 1);
        double gain_db = 20 * log10(amp / AMP), delay = atan2(a, b) / w;
        cr_assert(fabs(gain_db) <= MAX_RIPPLE_DB, "%d->%d %s: %.0f Hz gain %.4f dB", in_rate,
                  out_rate, portable ? "portable" : "best", f, gain_db);
        cr_assert(fabs(delay) < 0.01, "%d->%d: %.0f Hz delayed %.4f samples", in_rate, out_rate, f,
                  delay);
    }
    int g = in_rate, r = out_rate;
    while (r) {
        int t = g % r;
        g = r;
        r = t;
    }
    const int L = out_rate / g; /* the upsampled signal holds j * in_rate +- f, j <= L */
    for (int j = 0; j <= L; j++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double fa = fold(j * (double)in_rate + sgn * f, out_rate);
            if ((pass && fabs(fa - f) < 20) || fa < 20 || fa > out_rate / 2.0 - 20)
                continue;
            double amp = fit(o.y, from, to, 2 * M_PI * fa / out_rate, NULL, NULL, 0);
            double db = 20 * log10(amp / AMP + 1e-12);
            cr_assert(db <= -MIN_ATTEN_DB, "%d->%d %s: tone %.0f Hz leaves %.1f dB at %.0f Hz",
                      in_rate, out_rate, portable ? "portable" : "best", f, db, fa);
        }
    free(o.y);
    free(x);
}

/* Tones across the passband (up to its 0.9 edge) and, when
 * downsampling, across the stopband above the output Nyquist. */
static void check_quality(int in_rate, int out_rate, int portable)
{
    double lo_nyq = (in_rate < out_rate ? in_rate : out_rate) / 2.0;
    const double pass[] = {0.0137, 0.211, 0.523, 0.777, 0.8993};
    for (size_t i = 0; i < sizeof pass / sizeof *pass; i++)
        check_tone(in_rate, out_rate, pass[i] * lo_nyq, 1, portable);
    if (out_rate < in_rate) {
        const double stop[] = {1.0013, 1.0731, 1.3119, 1.7771, 2.4137, 3.1193, 5.2371, 7.8913};
        for (size_t i = 0; i < sizeof stop / sizeof *stop; i++)
            if (stop[i] * out_rate / 2.0 < in_rate / 2.0 - 20)
                check_tone(in_rate, out_rate, stop[i] * out_rate / 2.0, 0, portable);
    }
}

static const int API_OUT[] = {48000, 24000, 16000, 8000};

Test(polyphase, api_rates_passband_stopband_aliasing)
{
    for (size_t i = 0; i < 4; i++) {
        check_quality(32000, API_OUT[i], 0);
        check_quality(32000, API_OUT[i], 1);
    }
}

static int coprime(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a == 1;
}

Test(polyphase, every_ratio_up_to_8_quality)
{
    int pairs = 0;
    for (int L = 1; L <= SS_POLYPHASE_MAX_LM; L++)
        for (int M = 1; M <= SS_POLYPHASE_MAX_LM; M++) {
            if (L == M || !coprime(L, M))
                continue;
            cr_assert(ss_polyphase_supported(M * 6000, L * 6000));
            check_quality(M * 6000, L * 6000, 0);
            pairs++;
        }
    cr_assert_eq(pairs, 42);
    cr_assert_not(ss_polyphase_supported(32000, 22050));
    cr_assert_not(ss_polyphase_supported(32000, 44100));
    cr_assert_not(ss_polyphase_supported(9000, 1000)); /* 1/9 */
    cr_assert_not(ss_polyphase_supported(32000, 32000));
    cr_assert_not(ss_polyphase_supported(0, 32000));
}

/* Speech-like test input: two tones, a chirp and white noise. */
static int16_t *busy_signal(size_t n, int rate, unsigned seed)
{
    int16_t *x = malloc(n * sizeof *x);
    cr_assert_not_null(x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, u = fmod(t, 1.0);
        double v = 0.3 * sin(2 * M_PI * 440 * t) + 0.2 * sin(2 * M_PI * (100 * u + 6000 * u * u)) +
                   0.2 * ((double)rand_r(&seed) / RAND_MAX - 0.5);
        x[i] = (int16_t)lrint(v * 32767);
    }
    return x;
}

Test(polyphase, any_chunking_gives_the_same_samples)
{
    const size_t n = 3 * 32000 + 17;
    int16_t *x = busy_signal(n, 32000, 7);
    for (int portable = 0; portable <= 1; portable++)
        for (size_t i = 0; i < 4; i++) {
            fout whole = run_float(32000, API_OUT[i], x, n, 0, 0, portable);
            const size_t chunks[] = {1, 37, 641, SS_POLYPHASE_MAX_IN};
            for (size_t c = 0; c < 4; c++) {
                fout part = run_float(32000, API_OUT[i], x, n, chunks[c], 11 + (unsigned)c, portable);
                cr_assert_eq(part.n, whole.n);
                cr_assert_eq(memcmp(part.y, whole.y, whole.n * sizeof(float)), 0,
                             "32000->%d chunks up to %zu differ", API_OUT[i], chunks[c]);
                free(part.y);
            }
            free(whole.y);
        }
    free(x);
}

/* The portable loop and the AVX2 loop differ only in rounding. */
Test(polyphase, portable_loop_matches_the_avx2_loop)
{
    const size_t n = 32000;
    int16_t *x = busy_signal(n, 32000, 3);
    for (size_t i = 0; i < 4; i++) {
        fout a = run_float(32000, API_OUT[i], x, n, 0, 0, 0);
        fout b = run_float(32000, API_OUT[i], x, n, 0, 0, 1);
        cr_assert_eq(a.n, b.n);
        for (size_t k = 0; k < a.n; k++)
            cr_assert(fabsf(a.y[k] - b.y[k]) < 0.02f, "32000->%d sample %zu: %f vs %f", API_OUT[i], k,
                      (double)a.y[k], (double)b.y[k]);
        free(a.y);
        free(b.y);
    }
    free(x);
}

typedef struct {
    int16_t *s;
    size_t n, cap, first_at; /* first_at: input count when output first came */
    size_t *fed;
} collect;

static int on_pcm(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    collect *c = user;
    if (c->n == 0 && n > 0 && c->fed)
        c->first_at = *c->fed;
    if (c->n + n > c->cap) {
        c->cap = (c->n + n) * 2;
        c->s = realloc(c->s, c->cap * sizeof *c->s);
        cr_assert_not_null(c->s);
    }
    memcpy(c->s + c->n, pcm, n * sizeof *pcm);
    c->n += n;
    return 0;
}

/* x[0..n) through ss_resampler in random chunks up to chunk (0: at once). */
static collect resample(int in_rate, int out_rate, const int16_t *x, size_t n, size_t chunk,
                        unsigned seed)
{
    char err[256];
    collect c = {0};
    ss_resampler *r = ss_resampler_new(in_rate, out_rate, on_pcm, &c, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    for (size_t i = 0; i < n;) {
        size_t k = chunk ? (size_t)rand_r(&seed) % (chunk + 1) : n;
        if (k > n - i)
            k = n - i;
        cr_assert_eq(ss_resampler_write(r, x + i, k, err, sizeof err), 0, "%s", err);
        i += k;
    }
    cr_assert_eq(ss_resampler_finish(r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_resampler_samples_out(r), c.n);
    ss_resampler_free(r);
    return c;
}

Test(polyphase, resampler_chunking_and_repeat_give_the_same_samples)
{
    const size_t n = 2 * 32000 + 5;
    int16_t *x = busy_signal(n, 32000, 5);
    for (size_t i = 0; i < 4; i++) {
        collect whole = resample(32000, API_OUT[i], x, n, 0, 0);
        collect again = resample(32000, API_OUT[i], x, n, 0, 0);
        collect part = resample(32000, API_OUT[i], x, n, 9000, 21);
        cr_assert_eq(part.n, whole.n);
        cr_assert_eq(again.n, whole.n);
        cr_assert_eq(memcmp(part.s, whole.s, whole.n * 2), 0, "32000->%d: chunked differs", API_OUT[i]);
        cr_assert_eq(memcmp(again.s, whole.s, whole.n * 2), 0, "32000->%d: repeat differs", API_OUT[i]);
        free(whole.s), free(again.s), free(part.s);
    }
    free(x);
}

Test(polyphase, length_is_the_rounded_ratio)
{
    const size_t lens[] = {0, 1, 2, 3, 7, 63, 64, 65, 1000, 4095, 4096, 4097, 32001};
    int16_t *x = busy_signal(32001, 32000, 9);
    for (int L = 1; L <= SS_POLYPHASE_MAX_LM; L++)
        for (int M = 1; M <= SS_POLYPHASE_MAX_LM; M++) {
            if (L == M || !coprime(L, M))
                continue;
            for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
                fout o = run_float(M * 4000, L * 4000, x, lens[i], 0, 0, 0);
                size_t want = (lens[i] * (size_t)L + (size_t)M / 2) / (size_t)M;
                cr_assert_eq(o.n, want, "%d/%d: %zu in, %zu out, want %zu", L, M, lens[i], o.n, want);
                free(o.y);
            }
        }
    free(x);
}

/* An impulse at input time i0 (a multiple of M) peaks at output L * i0 / M
 * and the response is symmetric about it (linear phase, delay
 * compensated). */
Test(polyphase, impulse_is_centred_on_its_time)
{
    for (int L = 1; L <= SS_POLYPHASE_MAX_LM; L++)
        for (int M = 1; M <= SS_POLYPHASE_MAX_LM; M++) {
            if (L == M || !coprime(L, M))
                continue;
            const size_t n = 4000, i0 = 120 * (size_t)M + 3 * (size_t)M;
            int16_t *x = calloc(n, sizeof *x);
            x[i0] = 30000;
            fout o = run_float(M * 4000, L * 4000, x, n, 0, 0, 0);
            size_t c = i0 * (size_t)L / (size_t)M, peak = 0;
            for (size_t k = 1; k < o.n; k++)
                if (fabsf(o.y[k]) > fabsf(o.y[peak]))
                    peak = k;
            cr_assert_eq(peak, c, "%d/%d: impulse at %zu peaks at %zu, want %zu", L, M, i0, peak, c);
            for (size_t j = 1; j < 40; j++)
                cr_assert(fabsf(o.y[c - j] - o.y[c + j]) < 1e-3f, "%d/%d: asymmetric at +-%zu", L, M, j);
            free(o.y);
            free(x);
        }
}

/* The first output appears after ss_polyphase_first_input samples: 2 ms
 * to 48 kHz, 2.75 ms to 24, 4 ms to 16, 8 ms to 8 (soxr held ~60 ms). */
Test(polyphase, first_output_latency)
{
    const size_t want[] = {64, 88, 128, 256};
    int16_t *x = busy_signal(1000, 32000, 1);
    for (size_t i = 0; i < 4; i++) {
        char err[256];
        ss_polyphase *p = ss_polyphase_new(32000, API_OUT[i], err, sizeof err);
        cr_assert_not_null(p, "%s", err);
        cr_assert_eq(ss_polyphase_first_input(p), want[i], "32000->%d: %zu", API_OUT[i],
                     ss_polyphase_first_input(p));
        collect c = {0};
        size_t fed = 0;
        c.fed = &fed;
        ss_resampler *r = ss_resampler_new(32000, API_OUT[i], on_pcm, &c, err, sizeof err);
        cr_assert_not_null(r, "%s", err);
        for (; fed < 1000 && c.n == 0;) {
            fed++;
            cr_assert_eq(ss_resampler_write(r, x + fed - 1, 1, err, sizeof err), 0, "%s", err);
        }
        cr_assert_eq(c.first_at, want[i], "32000->%d: first output after %zu samples", API_OUT[i],
                     c.first_at);
        ss_resampler_free(r);
        ss_polyphase_free(p);
        free(c.s);
    }
    free(x);
}

Test(polyphase, silence_in_silence_out)
{
    int16_t *x = calloc(20000, sizeof *x);
    for (size_t i = 0; i < 4; i++) {
        collect c = resample(32000, API_OUT[i], x, 20000, 700, 3);
        cr_assert_eq(c.n, 20000 * (size_t)API_OUT[i] / 32000);
        for (size_t k = 0; k < c.n; k++)
            cr_assert_eq(c.s[k], 0, "32000->%d: sample %zu is %d", API_OUT[i], k, c.s[k]);
        free(c.s);
    }
    free(x);
}

/* Full scale: a constant stays exactly at the rail, and a full-scale
 * square wave's overshoot (Gibbs) is clipped to the rail, never wrapped:
 * every output sample in the middle of a plateau has the plateau's sign
 * and the rails are reached. */
Test(polyphase, full_scale_clips)
{
    const size_t n = 16000, half = 160; /* 100 Hz square at 32 kHz */
    int16_t *dc = malloc(n * sizeof *dc), *sq = malloc(n * sizeof *sq);
    for (size_t i = 0; i < n; i++) {
        dc[i] = -32768;
        sq[i] = (i / half) % 2 ? -32768 : 32767;
    }
    for (size_t i = 0; i < 4; i++) {
        collect c = resample(32000, API_OUT[i], dc, n, 0, 0);
        for (size_t k = c.n / 4; k < 3 * c.n / 4; k++)
            cr_assert_eq(c.s[k], -32768, "32000->%d: DC sample %zu is %d", API_OUT[i], k, c.s[k]);
        free(c.s);
        c = resample(32000, API_OUT[i], sq, n, 0, 0);
        int hi = 0, lo = 0;
        for (size_t k = c.n / 4; k < 3 * c.n / 4; k++) {
            double t = (double)k * 32000 / API_OUT[i]; /* input time */
            double in_plateau = fmod(t, (double)half);
            int sign = ((size_t)(t / half)) % 2 ? -1 : 1;
            if (in_plateau > 40 && in_plateau < half - 40)
                cr_assert(c.s[k] * sign > 30000, "32000->%d: sample %zu is %d", API_OUT[i], k, c.s[k]);
            hi += c.s[k] == 32767;
            lo += c.s[k] == -32768;
        }
        cr_assert(hi > 0 && lo > 0, "32000->%d: overshoot never clipped", API_OUT[i]);
        free(c.s);
    }
    free(dc);
    free(sq);
}

Test(polyphase, resampler_table_by_ratio)
{
    struct {
        int in, out;
        const char *method;
    } t[] = {{32000, 32000, "copy"},      {32000, 48000, "polyphase"}, {32000, 24000, "polyphase"},
             {32000, 16000, "polyphase"}, {32000, 8000, "polyphase"},  {32000, 12000, "polyphase"},
             {16000, 48000, "polyphase"}, {48000, 32000, "polyphase"}, {32000, 22050, "soxr"},
             {32000, 44100, "soxr"},      {32000, 11025, "soxr"},      {32000, 4000, "polyphase"},
             {16000, 44100, "soxr"},      {9000, 1000, "soxr"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char err[256];
        collect c = {0};
        ss_resampler *r = ss_resampler_new(t[i].in, t[i].out, on_pcm, &c, err, sizeof err);
        cr_assert_not_null(r, "%s", err);
        cr_assert_str_eq(ss_resampler_method(r), t[i].method, "%d -> %d", t[i].in, t[i].out);
        ss_resampler_free(r);
    }
    char err[256];
    cr_assert_null(ss_polyphase_new(32000, 22050, err, sizeof err));
    cr_assert(strstr(err, "22050") != NULL, "%s", err);
}

Test(polyphase, misuse_is_an_error)
{
    char err[256];
    ss_polyphase *p = ss_polyphase_new(32000, 48000, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    float *out = malloc(ss_polyphase_out_room(p) * sizeof *out);
    int16_t x[8] = {0};
    size_t got;
    cr_assert_eq(ss_polyphase_write(p, NULL, 3, out, &got, err, sizeof err), -1);
    cr_assert_eq(ss_polyphase_write(p, x, SS_POLYPHASE_MAX_IN + 1, out, &got, err, sizeof err), -1);
    cr_assert_eq(ss_polyphase_finish(p, out, &got, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_polyphase_finish(p, out, &got, err, sizeof err), -1);
    cr_assert_eq(ss_polyphase_write(p, x, 8, out, &got, err, sizeof err), -1);
    cr_assert(strstr(err, "after finish") != NULL, "%s", err);
    free(out);
    ss_polyphase_free(p);
}

/* Both int16 conversions round half to even and clip at the rails. */
Test(polyphase, to_s16_rounds_and_clips_alike_on_both_loops)
{
    char err[256];
    ss_polyphase *p = ss_polyphase_new(32000, 48000, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    const float in[] = {0.5f,     1.5f,      -0.5f,    -1.5f,     2.4999f, -2.5001f,
                        32766.5f, 32767.49f, 32768.0f, 1e9f,      -32768.4f, -32768.6f,
                        -1e9f,    0.0f,      -0.0f,    12345.67f, 3.5f,     -3.5f, 7.0f};
    const int16_t want[] = {0,     2,     -0,    -2,     2,     -3,     32766, 32767, 32767, 32767,
                            -32768, -32768, -32768, 0, 0, 12346, 4, -4, 7};
    const size_t n = sizeof in / sizeof *in;
    int16_t a[32], b[32];
    ss_polyphase_to_s16(p, in, n, a);
    ss_polyphase_force_portable(p);
    ss_polyphase_to_s16(p, in, n, b);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(a[i], want[i], "%f -> %d, want %d", (double)in[i], a[i], want[i]);
        cr_assert_eq(b[i], want[i], "portable: %f -> %d, want %d", (double)in[i], b[i], want[i]);
    }
    ss_polyphase_free(p);
}
