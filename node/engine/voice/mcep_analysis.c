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

/* The analysis' buffers and tables, allocated together (lta_open). */
typedef struct {
    double complex *a;  /* one frame's spectrum [NFFT] */
    double *pw, *env;   /* its power and peak-held log envelope [NFFT / 2 + 1] */
    double *win;        /* Blackman window [WIN] */
    double *frame_e;    /* energy around each pitch-track frame */
    double *bw;         /* linear bin position of each warped point [NB] */
    double *cosb;       /* the warped cosine transform [NB][SS_MCEP_ORDER + 1] */
} lta_work;

static void lta_close(lta_work *w)
{
    free(w->a), free(w->pw), free(w->env), free(w->win), free(w->frame_e), free(w->bw), free(w->cosb);
}

static int lta_open(lta_work *w, size_t nframes)
{
    w->a = malloc(NFFT * sizeof *w->a);
    w->pw = malloc((NFFT / 2 + 1) * sizeof *w->pw);
    w->env = malloc((NFFT / 2 + 1) * sizeof *w->env);
    w->win = malloc(WIN * sizeof *w->win);
    w->frame_e = calloc(nframes + 1, sizeof *w->frame_e);
    w->bw = malloc(NB * sizeof *w->bw);
    w->cosb = malloc((size_t)NB * (SS_MCEP_ORDER + 1) * sizeof *w->cosb);
    if (!w->a || !w->pw || !w->env || !w->win || !w->frame_e || !w->bw || !w->cosb)
        return -1;
    for (int i = 0; i < WIN; i++)
        w->win[i] = 0.42 - 0.5 * cos(2 * M_PI * i / (WIN - 1)) + 0.08 * cos(4 * M_PI * i / (WIN - 1));
    for (int k = 0; k < NB; k++) {
        double b = M_PI * (k + 0.5) / NB;
        w->bw[k] = ss_mcep_warp(b, -SS_MCEP_ALPHA) / M_PI * (NFFT / 2);
        for (int m = 0; m <= SS_MCEP_ORDER; m++)
            w->cosb[(size_t)k * (SS_MCEP_ORDER + 1) + (size_t)m] = cos(m * b) * (m ? 2.0 : 1.0) / NB;
    }
    return 0;
}

/* Fills frame_e with each frame's energy over 320 samples around its
 * centre; returns the largest energy of a voiced frame. */
static double frame_energies(lta_work *w, const float *x, size_t n, const ss_pitch_track *t, double hop)
{
    double emax = 0;
    for (size_t f = 0; f < t->nframes; f++) {
        long c = (long)((double)f * hop);
        double e = 0;
        for (long i = c - 160; i < c + 160; i++)
            if (i >= 0 && (size_t)i < n)
                e += (double)x[i] * x[i];
        w->frame_e[f] = e;
        if (t->f0[f] > 0 && e > emax)
            emax = e;
    }
    return emax;
}

/* env = the log amplitude of the frame centred on sample c, each bin the
 * peak within half an F0 around it (the harmonics' envelope), flat above
 * bin top. */
static void frame_envelope(lta_work *w, const float *x, size_t n, long c, double f0, int top)
{
    for (int i = 0; i < NFFT; i++) {
        long j = c - WIN / 2 + i;
        w->a[i] = i < WIN && j >= 0 && (size_t)j < n ? x[j] * w->win[i] : 0.0;
    }
    fft(w->a, NFFT);
    for (int k = 0; k <= NFFT / 2; k++)
        w->pw[k] = creal(w->a[k]) * creal(w->a[k]) + cimag(w->a[k]) * cimag(w->a[k]);
    int half = (int)(0.5 * f0 / ((double)SS_MCEP_RATE / NFFT));
    if (half < 1)
        half = 1;
    for (int k = 0; k <= NFFT / 2; k++) {
        double mx = 0;
        int lo = k - half < 0 ? 0 : k - half, hi = k + half > NFFT / 2 ? NFFT / 2 : k + half;
        for (int q = lo; q <= hi; q++)
            if (w->pw[q] > mx)
                mx = w->pw[q];
        w->env[k] = 0.5 * log(mx > 1e-20 ? mx : 1e-20);
    }
    for (int k = top + 1; k <= NFFT / 2; k++)
        w->env[k] = w->env[top];
}

/* acc += the warped cosine transform of env (one frame's mel-cepstrum). */
static void accumulate_warped(const lta_work *w, double *acc)
{
    for (int k = 0; k < NB; k++) {
        double pos = w->bw[k];
        int k0 = (int)pos;
        double fr = pos - k0,
               l = k0 >= NFFT / 2 ? w->env[NFFT / 2] : w->env[k0] * (1 - fr) + w->env[k0 + 1] * fr;
        const double *cb = w->cosb + (size_t)k * (SS_MCEP_ORDER + 1);
        for (int m = 0; m <= SS_MCEP_ORDER; m++)
            acc[m] += l * cb[m];
    }
}

int ss_mcep_lta(const float *x, size_t n, const ss_pitch_track *t, double bandwidth_hz, double *lta,
                size_t *nused, char *err, size_t errlen)
{
    memset(lta, 0, (SS_MCEP_ORDER + 1) * sizeof *lta);
    *nused = 0;
    lta_work w = {0};
    int rc = -1;
    if (lta_open(&w, t->nframes) != 0) {
        snprintf(err, errlen, "mcep: out of memory");
        goto out;
    }
    double hop = t->hop_ms * SS_MCEP_RATE / 1000.0, emax = frame_energies(&w, x, n, t, hop);
    int top = (int)(0.95 * bandwidth_hz / ((double)SS_MCEP_RATE / NFFT));
    if (top > NFFT / 2 || top < 16)
        top = NFFT / 2;
    double acc[SS_MCEP_ORDER + 1] = {0};
    size_t used = 0;
    for (size_t f = 0; f < t->nframes; f++) {
        if (t->f0[f] <= 0 || w.frame_e[f] < emax * 1e-4 || w.frame_e[f] <= 0)
            continue;
        frame_envelope(&w, x, n, (long)((double)f * hop), t->f0[f], top);
        accumulate_warped(&w, acc);
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
    lta_close(&w);
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
