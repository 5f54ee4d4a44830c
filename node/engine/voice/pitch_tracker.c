/* YIN-style pitch tracker; see pitch_tracker.h for the method. */
#include "node/engine/voice/pitch_tracker.h"

#include "common/resample_whole.h"

#include <math.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_RATE 16000
#define WIN 320 /* 20 ms at 16 kHz */

void ss_pitch_options_default(ss_pitch_options *o)
{
    o->f0_min = 60.0;
    o->f0_max = 500.0;
    o->hop_ms = 5.0;
    o->threshold = 0.15;
    o->voicing_max = 0.35;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static float median_of(float *tmp, size_t n)
{
    qsort(tmp, n, sizeof *tmp, cmp_float);
    return tmp[n / 2];
}

/* Period in samples of the frame starting at x (x has WIN + tmax samples),
 * and the depth of its dip; 0 when no period. */
static double frame_period(const float *x, int tmin, int tmax, double thr, double *dip,
                           double *d)
{
    d[0] = 0;
    for (int t = 1; t <= tmax; t++) {
        double s = 0;
        for (int j = 0; j < WIN; j++) {
            double e = (double)x[j] - x[j + t];
            s += e * e;
        }
        d[t] = s;
    }
    /* cumulative mean normalisation, in place */
    double run = 0;
    for (int t = 1; t <= tmax; t++) {
        run += d[t];
        d[t] = run > 0 ? d[t] * t / run : 1.0;
    }
    int best = -1;
    for (int t = tmin; t <= tmax; t++) {
        if (d[t] < thr) {
            while (t + 1 <= tmax && d[t + 1] < d[t])
                t++;
            best = t;
            break;
        }
    }
    if (best < 0) {
        best = tmin;
        for (int t = tmin; t <= tmax; t++)
            if (d[t] < d[best])
                best = t;
    }
    *dip = d[best];
    double p = best;
    if (best > tmin && best < tmax) {
        double a = d[best - 1], b = d[best], c = d[best + 1];
        double den = a - 2 * b + c;
        if (den > 1e-12)
            p = best + 0.5 * (a - c) / den;
    }
    return p;
}

static float *to_work_rate(const float *x, size_t n, int rate, size_t *nout)
{
    size_t cap = (size_t)((double)n * WORK_RATE / rate) + 16;
    float *o = malloc(cap * sizeof *o);
    if (!o)
        return NULL;
    if (rate == WORK_RATE) {
        memcpy(o, x, n * sizeof *o);
        *nout = n;
        return o;
    }
    size_t done = 0;
    char err[256];
    if (ss_resample_whole(x, n, rate, WORK_RATE, SOXR_MQ, o, cap, &done, err, sizeof err) != 0) {
        free(o);
        return NULL;
    }
    *nout = done;
    return o;
}

/* Run-level clean-up: short runs unvoiced, octave folding, median smoothing. */
static int clean_runs(float *f0, size_t nf)
{
    float *tmp = malloc((nf ? nf : 1) * sizeof *tmp);
    float *sm = malloc((nf ? nf : 1) * sizeof *sm);
    if (!tmp || !sm) {
        free(tmp);
        free(sm);
        return -1;
    }
    size_t i = 0;
    while (i < nf) {
        if (f0[i] <= 0) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < nf && f0[j] > 0)
            j++;
        size_t len = j - i;
        if (len < 3) {
            for (size_t k = i; k < j; k++)
                f0[k] = 0;
        } else {
            memcpy(tmp, f0 + i, len * sizeof *tmp);
            float med = median_of(tmp, len);
            for (size_t k = i; k < j; k++) {
                double r = f0[k] / med;
                if (r > 1.7 && r < 2.3)
                    f0[k] *= 0.5f;
                else if (r > 0.42 && r < 0.6)
                    f0[k] *= 2.0f;
            }
            for (size_t k = i; k < j; k++) {
                size_t a = k >= i + 2 ? k - 2 : i, b = k + 3 <= j ? k + 3 : j;
                memcpy(tmp, f0 + a, (b - a) * sizeof *tmp);
                sm[k] = median_of(tmp, b - a);
            }
            memcpy(f0 + i, sm + i, len * sizeof *sm);
        }
        i = j;
    }
    free(tmp);
    free(sm);
    return 0;
}

int ss_pitch_track_compute(const float *x, size_t n, int rate, const ss_pitch_options *o,
                           ss_pitch_track *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!x || n == 0 || rate < 8000 || !(o->f0_min > 20 && o->f0_max > o->f0_min &&
                                         o->f0_max < 2000 && o->hop_ms > 0)) {
        snprintf(err, errlen, "pitch: bad input or options");
        return -1;
    }
    size_t m;
    float *w = to_work_rate(x, n, rate, &m);
    if (!w) {
        snprintf(err, errlen, "pitch: resampling failed");
        return -1;
    }
    int tmin = (int)floor(WORK_RATE / o->f0_max), tmax = (int)ceil(WORK_RATE / o->f0_min);
    double hop = o->hop_ms * WORK_RATE / 1000.0;
    size_t nf = (size_t)((double)m / hop) + 1;
    size_t span = (size_t)(WIN + tmax);
    /* zero-padded copy so every frame has its full span */
    size_t half = span / 2, plen = m + span + 2;
    float *p = calloc(plen, sizeof *p);
    double *d = malloc(((size_t)tmax + 1) * sizeof *d);
    double *energy = malloc(nf * sizeof *energy);
    out->f0 = calloc(nf, sizeof *out->f0);
    if (!p || !d || !energy || !out->f0) {
        free(p), free(d), free(energy), free(w);
        ss_pitch_track_free(out);
        snprintf(err, errlen, "pitch: out of memory");
        return -1;
    }
    memcpy(p + half, w, m * sizeof *w);
    free(w);
    double emax = 1e-12;
    for (size_t f = 0; f < nf; f++) {
        const float *fr = p + (size_t)((double)f * hop);
        double e = 0;
        for (int j = 0; j < WIN; j++)
            e += (double)fr[j + tmax / 2] * fr[j + tmax / 2];
        energy[f] = e / WIN;
        if (energy[f] > emax)
            emax = energy[f];
    }
    for (size_t f = 0; f < nf; f++) {
        if (energy[f] < emax * 1e-4 || energy[f] < 1e-9)
            continue;
        const float *fr = p + (size_t)((double)f * hop);
        double dip, per = frame_period(fr, tmin, tmax, o->threshold, &dip, d);
        if (dip <= o->voicing_max && per > 0) {
            double hz = WORK_RATE / per;
            if (hz >= o->f0_min && hz <= o->f0_max)
                out->f0[f] = (float)hz;
        }
    }
    free(p);
    free(d);
    free(energy);
    out->nframes = nf;
    out->hop_ms = o->hop_ms;
    if (clean_runs(out->f0, nf) != 0) {
        ss_pitch_track_free(out);
        snprintf(err, errlen, "pitch: out of memory");
        return -1;
    }
    return 0;
}

void ss_pitch_track_free(ss_pitch_track *t)
{
    if (!t)
        return;
    free(t->f0);
    memset(t, 0, sizeof *t);
}
