/* Unit tests for gateway/speaker_fingerprint.c: the distance formulas, the
 * thresholds, the JSON form, and real analysis of synthetic speech-like
 * signals (two "speakers" a fifth apart are told apart; one speaker's two
 * takes match). The error rates on real voices are measured by
 * tests/bench/speaker_blocklist_eval.sh (docs/CLONING.md). */
#include "gateway/speaker_fingerprint.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

Test(speaker_fingerprint, distances_and_thresholds)
{
    speaker_fingerprint a = {.lf0_mean = log(120.0), .lf0_std = 0.1}, b = a;
    double f0, mcd;
    speaker_fingerprint_distance(&a, &b, &f0, &mcd);
    cr_assert_float_eq(f0, 0, 1e-9);
    cr_assert_float_eq(mcd, 0, 1e-9);
    cr_assert(speaker_fingerprint_matches(&a, &b));
    b.lf0_mean = log(120.0 * pow(2.0, 1.0 / 12)); /* one semitone up */
    speaker_fingerprint_distance(&a, &b, &f0, &mcd);
    cr_assert_float_eq(f0, 1.0, 1e-9);
    cr_assert(speaker_fingerprint_matches(&a, &b), "1 st < %.1f st", SPEAKER_F0_MAX_ST);
    b.lf0_mean = log(120.0 * pow(2.0, 2.0 / 12));
    cr_assert_not(speaker_fingerprint_matches(&a, &b), "2 st apart");
    b = a;
    b.ceps[0] = 0.5; /* 10/ln10 * sqrt(2 * 0.25) = 3.07 dB */
    speaker_fingerprint_distance(&a, &b, &f0, &mcd);
    cr_assert_float_eq(mcd, 10.0 / log(10.0) * sqrt(0.5), 1e-9);
    cr_assert(speaker_fingerprint_matches(&a, &b));
    b.ceps[1] = 0.5; /* 4.34 dB */
    cr_assert_not(speaker_fingerprint_matches(&a, &b));
}

Test(speaker_fingerprint, json_round_trip_and_refusals)
{
    speaker_fingerprint a = {.lf0_mean = 4.8, .lf0_std = 0.2}, b;
    for (int k = 0; k < SPEAKER_FP_CEPS; k++)
        a.ceps[k] = 0.01 * k;
    json_t *j = speaker_fingerprint_json(&a);
    cr_assert_eq(speaker_fingerprint_from_json(j, &b), 0);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    json_object_set_new(j, "v", json_integer(2));
    cr_assert_eq(speaker_fingerprint_from_json(j, &b), -1);
    json_decref(j);
    json_t *bad = json_pack("{s:i,s:f,s:f,s:[f]}", "v", 1, "lf0_mean", 4.0, "lf0_std", 0.1, "ceps", 0.1);
    cr_assert_eq(speaker_fingerprint_from_json(bad, &b), -1, "too few cepstra");
    json_decref(bad);
}

/* 6 s of a vowel-like buzz: a glottal pulse train at f0 (with slow vibrato)
 * through two resonances. */
static float *buzz(double f0, double f1, double f2, int rate, size_t n, unsigned seed)
{
    float *x = calloc(n, sizeof *x);
    double phase = 0, y1 = 0, y2 = 0, z1 = 0, z2 = 0;
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        double f = f0 * (1 + 0.03 * sin(2 * M_PI * 4.0 * (double)i / rate));
        phase += f / rate;
        double e = phase >= 1 ? (phase -= 1, 1.0) : 0.0;
        e += 0.002 * ((double)rand() / RAND_MAX - 0.5);
        double r1 = 0.97, r2 = 0.95;
        double a1 = 2 * r1 * cos(2 * M_PI * f1 / rate), a2 = 2 * r2 * cos(2 * M_PI * f2 / rate);
        double v1 = e + a1 * y1 - r1 * r1 * y2;
        y2 = y1;
        y1 = v1;
        double v2 = v1 + a2 * z1 - r2 * r2 * z2;
        z2 = z1;
        z1 = v2;
        x[i] = (float)(0.02 * v2);
    }
    return x;
}

Test(speaker_fingerprint, analysis_tells_two_synthetic_speakers_apart)
{
    const int rate = 16000;
    const size_t n = 6 * rate;
    float *a1 = buzz(110, 600, 1200, rate, n, 1), *a2 = buzz(110, 600, 1200, rate, n, 2);
    float *b = buzz(165, 900, 2300, rate, n, 3);
    speaker_fingerprint fa1, fa2, fb;
    char err[256];
    cr_assert_eq(speaker_fingerprint_of(a1, n, rate, &fa1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(speaker_fingerprint_of(a2, n, rate, &fa2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(speaker_fingerprint_of(b, n, rate, &fb, err, sizeof err), 0, "%s", err);
    cr_assert(speaker_fingerprint_matches(&fa1, &fa2), "the same speaker twice");
    cr_assert_not(speaker_fingerprint_matches(&fa1, &fb), "a fifth higher, other formants");
    free(a1);
    free(a2);
    free(b);
}
