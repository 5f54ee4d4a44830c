/* Preflight: is a reference clip good enough to clone from? Figures and
 * pass/fail exactly as spec/API.md §4 words them.
 *
 * Figures, from the mono samples at the clip's own rate:
 *   duration_s            samples / rate;
 *   peak_dbfs             20 log10 of the absolute peak over all channels
 *                         (taken before mixdown; -120 for digital silence);
 *   voice_activity_ratio  share of 20 ms frames whose energy is "active":
 *                         above the noise floor (10th percentile of frame
 *                         energies) by at least max(6 dB, 30 % of the
 *                         floor-to-top range, top = 99th percentile), and
 *                         within 50 dB of the top. A steady signal (noise
 *                         only, a hum) has almost no range and so almost no
 *                         active frames;
 *   snr_db                active-frame mean power over inactive-frame mean
 *                         power, noise removed from the first:
 *                         10 log10((P_active - P_noise) / P_noise), capped at
 *                         100 dB (digital silence between words) and floored
 *                         at -20 dB. When fewer than 5 % of frames are
 *                         inactive the quietest 5 % stand for the noise.
 * Thresholds are settings (defaults in ss_preflight_thresholds_default):
 * 5 s <= duration <= 25 s, ratio >= 0.5, peak <= -0.5 dBFS, SNR >= 15 dB. */
#ifndef SS_COMMON_PREFLIGHT_H
#define SS_COMMON_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    double min_duration_s;           /* 5 */
    double max_duration_s;           /* 25 */
    double min_voice_activity_ratio; /* 0.5 */
    double max_peak_dbfs;            /* -0.5 */
    double min_snr_db;               /* 15 */
} ss_preflight_thresholds;

enum {
    SS_PREFLIGHT_DURATION_BELOW_MINIMUM = 1u << 0,
    SS_PREFLIGHT_DURATION_ABOVE_MAXIMUM = 1u << 1,
    SS_PREFLIGHT_LOW_VOICE_ACTIVITY_RATIO = 1u << 2,
    SS_PREFLIGHT_PEAK_DBFS_ABOVE_THRESHOLD = 1u << 3,
    SS_PREFLIGHT_SNR_BELOW_THRESHOLD = 1u << 4,
};
#define SS_PREFLIGHT_NREASONS 5

typedef struct {
    bool passed;
    double duration_s;
    double voice_activity_ratio;
    double peak_dbfs;
    double snr_db;
    int sample_rate;
    int channels;
    unsigned fail_mask;              /* SS_PREFLIGHT_* bits */
    ss_preflight_thresholds thresholds;
} ss_preflight_result;

void ss_preflight_thresholds_default(ss_preflight_thresholds *t);

/* Analyses mono samples x[0..n) at rate; peak is the absolute peak over the
 * file's channels (pass the mono peak when there is only one). 0, or -1 with
 * err (no samples, bad rate). */
int ss_preflight_run(const float *x, size_t n, int rate, int channels, float peak,
                     const ss_preflight_thresholds *t, ss_preflight_result *out, char *err,
                     size_t errlen);

/* The API's names of the failed checks, in the spec's order
 * ("duration_below_minimum", ...). Writes at most max; returns the count. */
size_t ss_preflight_fail_reasons(const ss_preflight_result *r, const char **names, size_t max);

/* The frame-level activity decision preflight uses (20 ms frames), shared
 * with the engine's reference analysis. active[] gets one flag per frame;
 * returns the number of frames (n / frame), or 0. */
size_t ss_preflight_activity(const float *x, size_t n, int rate, unsigned char *active,
                             size_t max_frames);

#endif
