/* The nearest base voice to a reference; see base_choice.h. */
#include "node/engine/voice/base_choice.h"

#include <math.h>

#define NPOINTS 64
#define DB_PER_NEPER (20.0 / M_LN10)

double ss_choice_f0_semitones(const ss_speaker_stats *a, const ss_speaker_stats *b)
{
    return fabs(a->lf0_mean - b->lf0_mean) * 12.0 / M_LN2;
}

double ss_choice_spectral_db(const ss_speaker_stats *a, const ss_speaker_stats *b)
{
    double band = SS_MCEP_RATE / 2.0;
    if (a->bandwidth_hz > 0 && a->bandwidth_hz < band)
        band = a->bandwidth_hz;
    if (b->bandwidth_hz > 0 && b->bandwidth_hz < band)
        band = b->bandwidth_hz;
    /* the grid: uniform in perceptual frequency up to 0.95 of the band */
    const double top = ss_mcep_warp(M_PI * 0.95 * band / (SS_MCEP_RATE / 2.0), 0.42);
    double omega[NPOINTS], la[NPOINTS], lb[NPOINTS];
    for (int i = 0; i < NPOINTS; i++)
        omega[i] = ss_mcep_warp(top * (i + 0.5) / NPOINTS, -0.42);
    ss_mcep_log_amplitude(a->lta_mcep, SS_MCEP_ORDER, SS_MCEP_ALPHA, omega, NPOINTS, la);
    ss_mcep_log_amplitude(b->lta_mcep, SS_MCEP_ORDER, SS_MCEP_ALPHA, omega, NPOINTS, lb);
    double mean = 0;
    for (int i = 0; i < NPOINTS; i++)
        mean += la[i] - lb[i];
    mean /= NPOINTS;
    double ss = 0;
    for (int i = 0; i < NPOINTS; i++) {
        double d = la[i] - lb[i] - mean;
        ss += d * d;
    }
    return DB_PER_NEPER * sqrt(ss / NPOINTS);
}

double ss_choice_distance(const ss_speaker_stats *ref, const ss_speaker_stats *base)
{
    return ss_choice_f0_semitones(ref, base) + SS_CHOICE_SPECTRAL_WEIGHT * ss_choice_spectral_db(ref, base);
}

long ss_choice_nearest(const ss_speaker_stats *ref, const ss_speaker_stats *const *bases, size_t n,
                       double *distance)
{
    long best = -1;
    double best_d = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!bases[i])
            continue;
        double d = ss_choice_distance(ref, bases[i]);
        if (isfinite(d) && d < best_d) {
            best_d = d;
            best = (long)i;
        }
    }
    if (distance)
        *distance = best_d;
    return best;
}
