/* Speaker statistics of a clip; see speaker_stats.h. */
#include "node/engine/voice/speaker_stats.h"

#include "common/preflight.h"
#include "common/resample_whole.h"
#include "node/engine/voice/pitch_tracker.h"

#include <math.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *to_model_rate(const float *x, size_t n, int rate, size_t *nout)
{
    size_t cap = (size_t)((double)n * SS_MCEP_RATE / rate) + 16;
    float *o = malloc(cap * sizeof *o);
    if (!o)
        return NULL;
    if (rate == SS_MCEP_RATE) {
        memcpy(o, x, n * sizeof *o);
        *nout = n;
        return o;
    }
    size_t done = 0;
    char err[256];
    if (ss_resample_whole(x, n, rate, SS_MCEP_RATE, SOXR_HQ, o, cap, &done, err, sizeof err) != 0) {
        free(o);
        return NULL;
    }
    *nout = done;
    return o;
}

/* Nuclei per second of active speech. */
static double syllable_rate(const float *x, size_t n, const ss_pitch_track *t, double *speech_s)
{
    size_t flen = SS_MCEP_RATE / 100, nf = n / flen; /* 10 ms */
    size_t na_cap = n / (SS_MCEP_RATE / 50) + 1;
    unsigned char *act = calloc(na_cap, 1);
    double *e = malloc((nf + 1) * sizeof *e), *s = malloc((nf + 1) * sizeof *s);
    double rate = 0;
    *speech_s = 0;
    if (!act || !e || !s || nf < 10)
        goto out;
    size_t na = ss_preflight_activity(x, n, SS_MCEP_RATE, act, na_cap);
    size_t nact = 0;
    for (size_t i = 0; i < na; i++)
        nact += act[i];
    *speech_s = nact * 0.02;
    for (size_t f = 0; f < nf; f++) {
        double p = 0;
        for (size_t i = 0; i < flen; i++)
            p += (double)x[f * flen + i] * x[f * flen + i];
        e[f] = 10 * log10(p / flen + 1e-12);
    }
    for (size_t f = 0; f < nf; f++) {
        double a = 0;
        int k = 0;
        for (long j = (long)f - 2; j <= (long)f + 2; j++)
            if (j >= 0 && (size_t)j < nf) {
                a += e[j];
                k++;
            }
        s[f] = a / k;
    }
    size_t peaks = 0;
    double low_since = 1e9;
    for (size_t f = 0; f < nf; f++) {
        if (s[f] < low_since)
            low_since = s[f];
        int is_max = 1;
        for (long j = (long)f - 6; j <= (long)f + 6 && is_max; j++)
            if (j >= 0 && (size_t)j < nf && j != (long)f && s[j] > s[f])
                is_max = 0;
        size_t tf = (size_t)(f * 10.0 / t->hop_ms), af = f / 2;
        int voiced = tf < t->nframes && t->f0[tf] > 0;
        if (is_max && voiced && af < na && act[af] && s[f] - low_since >= 3.0) {
            peaks++;
            low_since = s[f];
        }
    }
    if (*speech_s > 0)
        rate = (double)peaks / *speech_s;
out:
    free(act), free(e), free(s);
    return rate;
}

int ss_speaker_stats_compute(const float *x, size_t n, int rate, ss_speaker_stats *out, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!x || n == 0 || rate < 8000) {
        snprintf(err, errlen, "speaker analysis: no audio");
        return -1;
    }
    size_t m;
    float *y = to_model_rate(x, n, rate, &m);
    if (!y) {
        snprintf(err, errlen, "speaker analysis: resampling failed");
        return -1;
    }
    ss_pitch_options po;
    ss_pitch_options_default(&po);
    ss_pitch_track t;
    int rc = -1;
    if (ss_pitch_track_compute(y, m, SS_MCEP_RATE, &po, &t, err, errlen) != 0) {
        free(y);
        return -1;
    }
    double s1 = 0, s2 = 0;
    size_t nv = 0;
    for (size_t f = 0; f < t.nframes; f++)
        if (t.f0[f] > 0) {
            double l = log(t.f0[f]);
            s1 += l;
            s2 += l * l;
            nv++;
        }
    if (nv < SS_SPEAKER_MIN_VOICED_FRAMES) {
        snprintf(err, errlen, "too little voiced speech (%.2f s voiced, need %.2f s)", nv * t.hop_ms / 1000.0,
                 SS_SPEAKER_MIN_VOICED_FRAMES * t.hop_ms / 1000.0);
        goto out;
    }
    out->voiced_frames = nv;
    out->lf0_mean = s1 / (double)nv;
    out->lf0_std = sqrt(fmax(0.0, s2 / (double)nv - out->lf0_mean * out->lf0_mean));
    size_t used;
    out->bandwidth_hz = ss_mcep_effective_bandwidth(y, m, rate / 2 < SS_MCEP_RATE / 2 ? rate / 2
                                                                                 : SS_MCEP_RATE / 2);
    if (ss_mcep_lta(y, m, &t, out->bandwidth_hz, out->lta_mcep, &used, err, errlen) != 0)
        goto out;
    out->syllable_rate = syllable_rate(y, m, &t, &out->speech_s);
    rc = 0;
out:
    ss_pitch_track_free(&t);
    free(y);
    return rc;
}
