/* Speaker fingerprints for the speaker blocklist (API.md §6): when an admin
 * erases a voice and blocks its speaker, the fingerprint of its reference is
 * kept, and intake refuses a new reference whose fingerprint matches
 * (422 SCAISPEAK_SPEAKER_BLOCKED).
 *
 * What: the engine's speaker analysis (node/engine/voice/speaker_stats.h) of
 * the clip — the log-F0 mean and spread over voiced frames, and the
 * long-term average mel-cepstrum of voiced frames (32 kHz, alpha 0.45,
 * order 44). Why these: they are what makes a voice sound like its speaker
 * to the engine (conditioning moves exactly these), they are stable across
 * texts (averages over seconds of speech), and they are cheap and already
 * computed for cloning. What they are not: a speaker-verification embedding;
 * people with similar pitch and vocal tract can collide, and one speaker
 * acting far from their usual voice can escape. docs/CLONING.md gives the
 * error rates measured on the voices available here and the thresholds.
 *
 * Comparison: two clips match when their mean F0 differ by less than
 * SPEAKER_F0_MAX_ST semitones AND the mel-cepstral distance of their
 * long-term spectra (c1..c24, excluding c0 = loudness; 10/ln10 *
 * sqrt(2 * sum dc^2) dB) is below SPEAKER_MCD_MAX_DB. Pure functions. */
#ifndef SS_GATEWAY_SPEAKER_FINGERPRINT_H
#define SS_GATEWAY_SPEAKER_FINGERPRINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SPEAKER_FP_CEPS 24       /* c1..c24 kept */
#define SPEAKER_F0_MAX_ST 1.5    /* see docs/CLONING.md */
#define SPEAKER_MCD_MAX_DB 4.0

typedef struct {
    double lf0_mean, lf0_std;
    double ceps[SPEAKER_FP_CEPS];
} speaker_fingerprint;

/* Analyses mono x[0..n) at rate. 0, or -1 with err (too little voiced
 * speech, out of memory). */
int speaker_fingerprint_of(const float *x, size_t n, int rate, speaker_fingerprint *out, char *err, size_t errlen);

/* {v:1, lf0_mean, lf0_std, ceps:[...]} and back (-1 when not one). */
json_t *speaker_fingerprint_json(const speaker_fingerprint *fp);
int speaker_fingerprint_from_json(const json_t *j, speaker_fingerprint *out);

/* The two distances: mean-F0 difference in semitones, spectral distance in dB. */
void speaker_fingerprint_distance(const speaker_fingerprint *a, const speaker_fingerprint *b, double *f0_st,
                                  double *mcd_db);

/* Whether b matches a (both distances under their thresholds). */
bool speaker_fingerprint_matches(const speaker_fingerprint *a, const speaker_fingerprint *b);

#endif
