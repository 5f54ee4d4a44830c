/* Preflight figures (see preflight.h). Frame energies in dB, percentiles by
 * sorting a copy; everything is computed in one pass over the frames after
 * the floor and top are known. */
#include "common/preflight.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_MS 20
#define SILENCE_DB (-120.0)

void ss_preflight_thresholds_default(ss_preflight_thresholds *t)
{
    t->min_duration_s = 5.0;
    t->max_duration_s = 25.0;
    t->min_voice_activity_ratio = 0.5;
    t->max_peak_dbfs = -0.5;
    t->min_snr_db = 15.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

/* Mean-square power per frame (linear). Returns frame count. */
static size_t frame_powers(const float *x, size_t n, int rate, double **pow_out)
{
    size_t flen = (size_t)rate * FRAME_MS / 1000;
    size_t nf = flen ? n / flen : 0;
    *pow_out = NULL;
    if (nf == 0)
        return 0;
    double *p = malloc(nf * sizeof *p);
    if (!p)
        return 0;
    for (size_t f = 0; f < nf; f++) {
        double s = 0;
        const float *q = x + f * flen;
        for (size_t i = 0; i < flen; i++)
            s += (double)q[i] * q[i];
        p[f] = s / (double)flen;
    }
    *pow_out = p;
    return nf;
}

static double to_db(double p) { return p > 1e-12 ? 10.0 * log10(p) : SILENCE_DB; }

/* Activity threshold in dB from the frame energies; 0 frames: error. */
static int activity_threshold(const double *pw, size_t nf, double *thr_db)
{
    double *db = malloc(nf * sizeof *db);
    if (!db)
        return -1;
    for (size_t f = 0; f < nf; f++)
        db[f] = to_db(pw[f]);
    qsort(db, nf, sizeof *db, cmp_double);
    double floor_db = percentile(db, nf, 0.10), top_db = percentile(db, nf, 0.99);
    free(db);
    double margin = 0.3 * (top_db - floor_db);
    if (margin < 6.0)
        margin = 6.0;
    double thr = floor_db + margin;
    if (thr < top_db - 50.0)
        thr = top_db - 50.0;
    *thr_db = thr;
    return 0;
}

size_t ss_preflight_activity(const float *x, size_t n, int rate, unsigned char *active,
                             size_t max_frames)
{
    double *pw;
    size_t nf = frame_powers(x, n, rate, &pw);
    if (nf == 0)
        return 0;
    double thr;
    if (activity_threshold(pw, nf, &thr) != 0) {
        free(pw);
        return 0;
    }
    for (size_t f = 0; f < nf && f < max_frames; f++)
        active[f] = to_db(pw[f]) > thr && pw[f] > 1e-12;
    free(pw);
    return nf < max_frames ? nf : max_frames;
}

int ss_preflight_run(const float *x, size_t n, int rate, int channels, float peak,
                     const ss_preflight_thresholds *t, ss_preflight_result *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!x || n == 0 || rate <= 0) {
        snprintf(err, errlen, "preflight: no audio");
        return -1;
    }
    out->thresholds = *t;
    out->sample_rate = rate;
    out->channels = channels;
    out->duration_s = (double)n / rate;
    out->peak_dbfs = peak > 1e-6f ? 20.0 * log10(peak) : SILENCE_DB;

    double *pw;
    size_t nf = frame_powers(x, n, rate, &pw);
    out->snr_db = -20.0;
    if (nf > 0) {
        double thr;
        if (activity_threshold(pw, nf, &thr) != 0) {
            free(pw);
            snprintf(err, errlen, "preflight: out of memory");
            return -1;
        }
        size_t na = 0, ni = 0;
        double pa = 0, pi = 0;
        for (size_t f = 0; f < nf; f++) {
            if (to_db(pw[f]) > thr && pw[f] > 1e-12) {
                na++;
                pa += pw[f];
            } else {
                ni++;
                pi += pw[f];
            }
        }
        out->voice_activity_ratio = (double)na / (double)nf;
        if (ni < nf / 20 + 1) { /* hardly any pauses: the quietest 5 % are the noise */
            qsort(pw, nf, sizeof *pw, cmp_double);
            size_t k = nf / 20 + 1;
            pi = 0;
            for (size_t f = 0; f < k; f++)
                pi += pw[f];
            ni = k;
        }
        if (na > 0) {
            double noise = pi / (double)ni, act = pa / (double)na;
            double sig = act - noise;
            if (noise <= 1e-12)
                out->snr_db = sig > 1e-12 ? 100.0 : -20.0;
            else if (sig <= noise * 1e-2)
                out->snr_db = -20.0;
            else
                out->snr_db = fmin(100.0, 10.0 * log10(sig / noise));
        }
        free(pw);
    }
    unsigned m = 0;
    if (out->duration_s < t->min_duration_s)
        m |= SS_PREFLIGHT_DURATION_BELOW_MINIMUM;
    if (out->duration_s > t->max_duration_s)
        m |= SS_PREFLIGHT_DURATION_ABOVE_MAXIMUM;
    if (out->voice_activity_ratio < t->min_voice_activity_ratio)
        m |= SS_PREFLIGHT_LOW_VOICE_ACTIVITY_RATIO;
    if (out->peak_dbfs > t->max_peak_dbfs)
        m |= SS_PREFLIGHT_PEAK_DBFS_ABOVE_THRESHOLD;
    if (out->snr_db < t->min_snr_db)
        m |= SS_PREFLIGHT_SNR_BELOW_THRESHOLD;
    out->fail_mask = m;
    out->passed = m == 0;
    return 0;
}

size_t ss_preflight_fail_reasons(const ss_preflight_result *r, const char **names, size_t max)
{
    static const char *const all[SS_PREFLIGHT_NREASONS] = {
        "duration_below_minimum", "duration_above_maximum", "low_voice_activity_ratio",
        "peak_dbfs_above_threshold", "snr_below_threshold"};
    size_t k = 0;
    for (int i = 0; i < SS_PREFLIGHT_NREASONS; i++)
        if ((r->fail_mask & (1u << i)) && k < max)
            names[k++] = all[i];
    return k;
}
