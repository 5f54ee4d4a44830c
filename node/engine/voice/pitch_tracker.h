/* Our pitch tracker (ENGINE.md step 8): F0 per 5 ms frame with a voicing
 * decision, for reference clips and for measuring our own output.
 *
 * Method (YIN-style): the input is resampled to 16 kHz (soxr); per frame a
 * 20 ms window's difference function d(tau) = sum (x[j] - x[j+tau])^2 over
 * lags of f0_max..f0_min, normalised by its cumulative mean (d'(0) = 1). The
 * period is the first dip of d' below `threshold` (followed down to its
 * local minimum), else the global minimum; parabolic interpolation refines
 * it. A frame is voiced when the dip is deep enough (d' <= voicing_max) and
 * the frame is not quiet (energy within 40 dB of the loudest frame). Then,
 * per voiced run: runs shorter than 3 frames are unvoiced, octave jumps
 * against the run's median are folded back, and a 5-point median smooths
 * F0. Deterministic; no global state. */
#ifndef SS_ENGINE_PITCH_TRACKER_H
#define SS_ENGINE_PITCH_TRACKER_H

#include <stddef.h>

typedef struct {
    double f0_min;        /* 60 Hz */
    double f0_max;        /* 500 Hz */
    double hop_ms;        /* 5 */
    double threshold;     /* 0.15: first dip below this is the period */
    double voicing_max;   /* 0.35: above this the frame is unvoiced */
} ss_pitch_options;

typedef struct {
    float *f0;            /* Hz per frame, 0 = unvoiced; frame i centred at i * hop */
    size_t nframes;
    double hop_ms;
} ss_pitch_track;

void ss_pitch_options_default(ss_pitch_options *o);

/* Tracks x[0..n) at rate (any rate >= 8000). 0, or -1 with err. */
int ss_pitch_track_compute(const float *x, size_t n, int rate, const ss_pitch_options *o,
                           ss_pitch_track *out, char *err, size_t errlen);
void ss_pitch_track_free(ss_pitch_track *t);

#endif
