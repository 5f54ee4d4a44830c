/* Test helper (header-only, shared by the engine test tools): log-spectral
 * distance between two waveforms. 1024-point Hann frames centred on each
 * frame-period step, magnitudes floored at 1e-3 (16-bit scale), LSD =
 * RMS over bins of the dB difference, averaged over the selected frames. */
#ifndef SS_TESTS_SPECTRAL_DISTANCE_H
#define SS_TESTS_SPECTRAL_DISTANCE_H

#include <math.h>
#include <stddef.h>

#define NFFT 1024

static void fft(double *re, double *im, int n)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double ang = -2 * M_PI / len;
        for (int i = 0; i < n; i += len)
            for (int k = 0; k < len / 2; k++) {
                double wr = cos(ang * k), wi = sin(ang * k);
                double ur = re[i + k], ui = im[i + k];
                double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
                double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
                re[i + k] = ur + vr; im[i + k] = ui + vi;
                re[i + k + len / 2] = ur - vr; im[i + k + len / 2] = ui - vi;
            }
    }
}

static void log_spectrum(const double *x, size_t n, long centre, double *out)
{
    double re[NFFT], im[NFFT];
    for (int i = 0; i < NFFT; i++) {
        long k = centre - NFFT / 2 + i;
        double w = 0.5 - 0.5 * cos(2 * M_PI * i / NFFT);
        re[i] = (k >= 0 && (size_t)k < n) ? x[k] * w : 0.0;
        im[i] = 0.0;
    }
    fft(re, im, NFFT);
    for (int i = 0; i <= NFFT / 2; i++) {
        double mag = sqrt(re[i] * re[i] + im[i] * im[i]);
        out[i] = 20.0 * log10(mag > 1e-3 ? mag : 1e-3);
    }
}

/* Mean LSD (dB) over the frames flagged voiced. */
static double waveform_lsd(const double *a, const double *b, size_t n, size_t fp, const unsigned char *voiced,
                    size_t nframes)
{
    double sa[NFFT / 2 + 1], sb[NFFT / 2 + 1], total = 0.0;
    size_t cnt = 0;
    for (size_t f = 0; f < nframes; f++) {
        if (!voiced[f])
            continue;
        long c = (long)(f * fp + fp / 2);
        log_spectrum(a, n, c, sa);
        log_spectrum(b, n, c, sb);
        double s = 0.0;
        for (int i = 0; i <= NFFT / 2; i++)
            s += (sa[i] - sb[i]) * (sa[i] - sb[i]);
        total += sqrt(s / (NFFT / 2 + 1));
        cnt++;
    }
    return cnt ? total / (double)cnt : 0.0;
}

#endif
