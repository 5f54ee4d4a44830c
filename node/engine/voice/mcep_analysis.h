/* Mel-cepstral analysis matched to the model (ENGINE.md step 8): 32 kHz,
 * all-pass constant 0.45, order 44, so a reference's long-term spectrum is in
 * the same coordinates as the voice's MCP stream.
 *
 * Per voiced frame (F0 from pitch_tracker.h): a 1024-sample Blackman window
 * centred on the frame, a 2048-point FFT, the power spectrum's harmonic peak
 * envelope (each bin takes the largest power within half an F0 either side,
 * so the envelope does not depend on F0 the way the raw spectrum's valleys
 * between harmonics do), then the mel-cepstrum by definition:
 * ln|H(w)| = sum_m c_m cos(m b(w)), b the all-pass warped frequency, computed
 * as a cosine transform on 256 points uniform in b. The long-term average
 * (LTA) is the mean over voiced frames that are within 40 dB of the loudest. */
#ifndef SS_ENGINE_MCEP_ANALYSIS_H
#define SS_ENGINE_MCEP_ANALYSIS_H

#include "node/engine/voice/pitch_tracker.h"

#include <stddef.h>

#define SS_MCEP_RATE 32000
#define SS_MCEP_ORDER 44
#define SS_MCEP_ALPHA 0.45

/* All-pass warped frequency b(w) of w in [0, pi]; warp(w, -a) inverts it. */
double ss_mcep_warp(double omega, double alpha);

/* ln|H| at omega[0..n) of the mel-cepstrum c[0..order] with alpha. */
void ss_mcep_log_amplitude(const double *c, int order, double alpha, const double *omega, size_t n,
                           double *out);

/* Long-term average mel-cepstrum (SS_MCEP_ORDER + 1 values) of the voiced
 * frames of x (at SS_MCEP_RATE) given its pitch track. *nused gets the
 * frames averaged. bandwidth_hz is what the recording holds (half its
 * original rate); the envelope above 0.95 of it repeats the value there, so a
 * band-limited clip (16 kHz, telephone) has no cliff for the cepstrum to
 * ring on. 0, or -1 with err (no voiced frame, no memory). */
int ss_mcep_lta(const float *x, size_t n, const ss_pitch_track *t, double bandwidth_hz, double *lta,
                size_t *nused, char *err, size_t errlen);

/* Highest frequency (Hz) of x (at SS_MCEP_RATE) whose long-term average
 * power (Welch, 2048-point Blackman frames, 2 kHz-wide smoothing) is within
 * 65 dB of the strongest band: what a clip really holds once resampling or
 * a lossy codec's low-pass has emptied the top. At most max_hz. */
double ss_mcep_effective_bandwidth(const float *x, size_t n, double max_hz);

#endif
