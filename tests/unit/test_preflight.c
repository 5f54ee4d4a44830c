/* Unit tests for common/preflight on synthetic signals with known answers:
 * tone bursts in white noise at a set SNR, clipping, silence, noise only,
 * speech-like bursts with long pauses, durations at the limits. */
#include "common/preflight.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 16000

static unsigned rng = 1;
static double gauss(void)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        rng = rng * 1664525u + 1013904223u;
        u += (rng >> 8) / 16777216.0;
    }
    return u - 6.0;
}

/* Tone bursts (on_s on, off_s off, starting with on) of amplitude a, plus
 * white noise of std sigma everywhere. */
static float *bursts(double seconds, double on_s, double off_s, double a, double sigma, size_t *n)
{
    *n = (size_t)(seconds * RATE);
    float *x = malloc(*n * sizeof *x);
    rng = 7;
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / RATE;
        double ph = fmod(t, on_s + off_s);
        double s = ph < on_s ? a * sin(2 * M_PI * 220.0 * t) : 0;
        x[i] = (float)(s + sigma * gauss());
    }
    return x;
}

static float peak_of(const float *x, size_t n)
{
    float p = 0;
    for (size_t i = 0; i < n; i++)
        p = fmaxf(p, fabsf(x[i]));
    return p;
}

static ss_preflight_result run(const float *x, size_t n)
{
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t);
    ss_preflight_result r;
    char err[128];
    cr_assert_eq(ss_preflight_run(x, n, RATE, 1, peak_of(x, n), &t, &r, err, sizeof err), 0, "%s", err);
    return r;
}

Test(preflight, tone_in_noise_gives_the_set_snr)
{
    const double snrs[] = {10.0, 20.0, 30.0};
    for (int k = 0; k < 3; k++) {
        double a = 0.3, ps = a * a / 2;
        double sigma = sqrt(ps / pow(10.0, snrs[k] / 10.0));
        size_t n;
        float *x = bursts(12.0, 0.7, 0.3, a, sigma, &n);
        ss_preflight_result r = run(x, n);
        cr_assert(fabs(r.snr_db - snrs[k]) < 1.5, "set %.0f dB, measured %.2f", snrs[k], r.snr_db);
        cr_assert(fabs(r.voice_activity_ratio - 0.7) < 0.05, "ratio %.3f", r.voice_activity_ratio);
        cr_assert(fabs(r.duration_s - 12.0) < 1e-9);
        cr_assert_eq(r.passed, snrs[k] >= 15.0, "snr %.1f", r.snr_db);
        cr_assert_eq(!!(r.fail_mask & SS_PREFLIGHT_SNR_BELOW_THRESHOLD), snrs[k] < 15.0);
        free(x);
    }
}

Test(preflight, clipping_fails_the_peak_check)
{
    size_t n;
    float *x = bursts(10.0, 0.7, 0.3, 1.6, 0.001, &n);
    for (size_t i = 0; i < n; i++)
        x[i] = fmaxf(-1.0f, fminf(1.0f, x[i]));
    ss_preflight_result r = run(x, n);
    cr_assert(fabs(r.peak_dbfs) < 0.01, "peak %.3f", r.peak_dbfs);
    cr_assert_not(r.passed);
    const char *names[8];
    size_t k = ss_preflight_fail_reasons(&r, names, 8);
    cr_assert_eq(k, 1);
    cr_assert_str_eq(names[0], "peak_dbfs_above_threshold");
    free(x);
    /* -6 dBFS passes */
    x = bursts(10.0, 0.7, 0.3, 0.5, 0.001, &n);
    r = run(x, n);
    cr_assert(fabs(r.peak_dbfs - 20 * log10(peak_of(x, n))) < 1e-6);
    cr_assert(r.passed, "mask %x", r.fail_mask);
    free(x);
}

Test(preflight, silence_and_noise_only_fail)
{
    size_t n = 10 * RATE;
    float *x = calloc(n, sizeof *x);
    ss_preflight_result r = run(x, n);
    cr_assert_eq(r.voice_activity_ratio, 0.0);
    cr_assert(r.peak_dbfs <= -120.0);
    cr_assert(r.fail_mask & SS_PREFLIGHT_LOW_VOICE_ACTIVITY_RATIO);
    cr_assert(r.fail_mask & SS_PREFLIGHT_SNR_BELOW_THRESHOLD);
    free(x);
    x = bursts(10.0, 0.0, 1.0, 0.0, 0.05, &n); /* white noise only */
    r = run(x, n);
    cr_assert(r.voice_activity_ratio < 0.1, "ratio %.3f", r.voice_activity_ratio);
    cr_assert(r.snr_db < 15.0, "snr %.2f", r.snr_db);
    cr_assert_not(r.passed);
    free(x);
}

Test(preflight, long_pauses_lower_the_activity_ratio)
{
    size_t n;
    float *x = bursts(20.0, 1.0, 2.0, 0.3, 0.0003, &n); /* a third active */
    ss_preflight_result r = run(x, n);
    cr_assert(fabs(r.voice_activity_ratio - 1.0 / 3.0) < 0.04, "ratio %.3f", r.voice_activity_ratio);
    cr_assert(r.snr_db > 40.0, "snr %.1f", r.snr_db);
    const char *names[8];
    cr_assert_eq(ss_preflight_fail_reasons(&r, names, 8), 1);
    cr_assert_str_eq(names[0], "low_voice_activity_ratio");
    free(x);
}

Test(preflight, duration_limits)
{
    size_t n;
    float *x = bursts(4.9, 0.7, 0.3, 0.3, 0.001, &n);
    ss_preflight_result r = run(x, n);
    cr_assert_eq(r.fail_mask, SS_PREFLIGHT_DURATION_BELOW_MINIMUM);
    free(x);
    x = bursts(25.5, 0.7, 0.3, 0.3, 0.001, &n);
    r = run(x, n);
    cr_assert_eq(r.fail_mask, SS_PREFLIGHT_DURATION_ABOVE_MAXIMUM);
    const char *names[8];
    cr_assert_eq(ss_preflight_fail_reasons(&r, names, 8), 1);
    cr_assert_str_eq(names[0], "duration_above_maximum");
    free(x);
    x = bursts(0.5, 0.3, 0.2, 0.3, 0.001, &n);
    r = run(x, n);
    cr_assert(r.fail_mask & SS_PREFLIGHT_DURATION_BELOW_MINIMUM);
    free(x);
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t);
    char err[64];
    cr_assert_eq(ss_preflight_run(NULL, 0, RATE, 1, 0, &t, &r, err, sizeof err), -1);
}
