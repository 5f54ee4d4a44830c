/* Mel-cepstral analysis of voiced frames; see mcep_analysis.h. The FFT is a
 * small iterative radix-2 transform kept private to this file. */
#include "node/engine/voice/mcep_analysis.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN 1024
#define NFFT 2048
#define NB 256 /* points in the warped-frequency cosine transform */

double ss_mcep_warp(double omega, double alpha)
{
    return omega + 2.0 * atan2(alpha * sin(omega), 1.0 - alpha * cos(omega));
}

void ss_mcep_log_amplitude(const double *c, int order, double alpha, const double *omega, size_t n,
                           double *out)
{
    for (size_t i = 0; i < n; i++) {
        double b = ss_mcep_warp(omega[i], alpha), s = 0;
        for (int m = 0; m <= order; m++)
            s += c[m] * cos(m * b);
        out[i] = s;
    }
}

static void fft(double complex *a, int n)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double complex t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double complex wl = cexp(-2.0 * M_PI * I / len);
        for (int i = 0; i < n; i += len) {
            double complex w = 1;
            for (int k = 0; k < len / 2; k++) {
                double complex u = a[i + k], v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= wl;
            }
        }
    }
}

int ss_mcep_lta(const float *x, size_t n, const ss_pitch_track *t, double bandwidth_hz, double *lta,
                size_t *nused, char *err, size_t errlen)
{
    memset(lta, 0, (SS_MCEP_ORDER + 1) * sizeof *lta);
    *nused = 0;
    double complex *a = malloc(NFFT * sizeof *a);
    double *pw = malloc((NFFT / 2 + 1) * sizeof *pw), *env = malloc((NFFT / 2 + 1) * sizeof *env);
    double *win = malloc(WIN * sizeof *win), *frame_e = calloc(t->nframes + 1, sizeof *frame_e);
    double *bw = malloc(NB * sizeof *bw); /* linear bin position of each warped point */
    double *cosb = malloc((size_t)NB * (SS_MCEP_ORDER + 1) * sizeof *cosb);
    int rc = -1;
    if (!a || !pw || !env || !win || !frame_e || !bw || !cosb) {
        snprintf(err, errlen, "mcep: out of memory");
        goto out;
    }
    for (int i = 0; i < WIN; i++)
        win[i] = 0.42 - 0.5 * cos(2 * M_PI * i / (WIN - 1)) + 0.08 * cos(4 * M_PI * i / (WIN - 1));
    for (int k = 0; k < NB; k++) {
        double b = M_PI * (k + 0.5) / NB;
        bw[k] = ss_mcep_warp(b, -SS_MCEP_ALPHA) / M_PI * (NFFT / 2);
        for (int m = 0; m <= SS_MCEP_ORDER; m++)
            cosb[(size_t)k * (SS_MCEP_ORDER + 1) + (size_t)m] = cos(m * b) * (m ? 2.0 : 1.0) / NB;
    }
    double hop = t->hop_ms * SS_MCEP_RATE / 1000.0, emax = 0;
    for (size_t f = 0; f < t->nframes; f++) {
        long c = (long)((double)f * hop);
        double e = 0;
        for (long i = c - 160; i < c + 160; i++)
            if (i >= 0 && (size_t)i < n)
                e += (double)x[i] * x[i];
        frame_e[f] = e;
        if (t->f0[f] > 0 && e > emax)
            emax = e;
    }
    int top = (int)(0.95 * bandwidth_hz / ((double)SS_MCEP_RATE / NFFT));
    if (top > NFFT / 2 || top < 16)
        top = NFFT / 2;
    double acc[SS_MCEP_ORDER + 1] = {0};
    size_t used = 0;
    for (size_t f = 0; f < t->nframes; f++) {
        if (t->f0[f] <= 0 || frame_e[f] < emax * 1e-4 || frame_e[f] <= 0)
            continue;
        long c = (long)((double)f * hop);
        for (int i = 0; i < NFFT; i++) {
            long j = c - WIN / 2 + i;
            a[i] = i < WIN && j >= 0 && (size_t)j < n ? x[j] * win[i] : 0.0;
        }
        fft(a, NFFT);
        for (int k = 0; k <= NFFT / 2; k++)
            pw[k] = creal(a[k]) * creal(a[k]) + cimag(a[k]) * cimag(a[k]);
        int half = (int)(0.5 * t->f0[f] / ((double)SS_MCEP_RATE / NFFT));
        if (half < 1)
            half = 1;
        for (int k = 0; k <= NFFT / 2; k++) {
            double mx = 0;
            int lo = k - half < 0 ? 0 : k - half, hi = k + half > NFFT / 2 ? NFFT / 2 : k + half;
            for (int q = lo; q <= hi; q++)
                if (pw[q] > mx)
                    mx = pw[q];
            env[k] = 0.5 * log(mx > 1e-20 ? mx : 1e-20);
        }
        for (int k = top + 1; k <= NFFT / 2; k++)
            env[k] = env[top];
        for (int k = 0; k < NB; k++) {
            double pos = bw[k];
            int k0 = (int)pos;
            double fr = pos - k0, l = k0 >= NFFT / 2 ? env[NFFT / 2] : env[k0] * (1 - fr) + env[k0 + 1] * fr;
            const double *cb = cosb + (size_t)k * (SS_MCEP_ORDER + 1);
            for (int m = 0; m <= SS_MCEP_ORDER; m++)
                acc[m] += l * cb[m];
        }
        used++;
    }
    if (used == 0) {
        snprintf(err, errlen, "mcep: no voiced frame to analyse");
        goto out;
    }
    for (int m = 0; m <= SS_MCEP_ORDER; m++)
        lta[m] = acc[m] / (double)used;
    *nused = used;
    rc = 0;
out:
    free(a), free(pw), free(env), free(win), free(frame_e), free(bw), free(cosb);
    return rc;
}

double ss_mcep_effective_bandwidth(const float *x, size_t n, double max_hz)
{
    double complex *a = malloc(NFFT * sizeof *a);
    double *acc = calloc(NFFT / 2 + 1, sizeof *acc), *win = malloc(NFFT * sizeof *win);
    double bw = max_hz;
    if (!a || !acc || !win || n < NFFT)
        goto out;
    for (int i = 0; i < NFFT; i++)
        win[i] = 0.42 - 0.5 * cos(2 * M_PI * i / (NFFT - 1)) + 0.08 * cos(4 * M_PI * i / (NFFT - 1));
    for (size_t st = 0; st + NFFT <= n; st += NFFT / 2) {
        for (int i = 0; i < NFFT; i++)
            a[i] = x[st + (size_t)i] * win[i];
        fft(a, NFFT);
        for (int k = 0; k <= NFFT / 2; k++)
            acc[k] += creal(a[k]) * creal(a[k]) + cimag(a[k]) * cimag(a[k]);
    }
    /* 2 kHz-wide moving average, in dB */
    const int half = (int)(1000.0 / ((double)SS_MCEP_RATE / NFFT));
    double peak = -1e300, *db = malloc((NFFT / 2 + 1) * sizeof *db);
    if (!db)
        goto out;
    for (int k = 0; k <= NFFT / 2; k++) {
        double s = 0;
        int c = 0;
        for (int q = k - half; q <= k + half; q++)
            if (q >= 0 && q <= NFFT / 2) {
                s += acc[q];
                c++;
            }
        db[k] = 10 * log10(s / c + 1e-30);
        if (db[k] > peak)
            peak = db[k];
    }
    for (int k = NFFT / 2; k >= 0; k--)
        if (db[k] > peak - 65.0) {
            double hz = (double)k * SS_MCEP_RATE / NFFT;
            bw = hz < max_hz ? hz : max_hz;
            break;
        }
    free(db);
out:
    free(a), free(acc), free(win);
    return bw;
}
