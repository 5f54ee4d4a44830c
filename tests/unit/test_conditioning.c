/* Unit tests for node/engine/voice/conditioning: the fit of speaker
 * statistics to the model (identity, a known bias, pitch and rate found
 * again), validation, and the text serialisation (exact round trip, broken
 * text refused). */
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/pitch_tracker.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A plausible long-term mel-cepstrum: a tilted spectrum with two formants. */
static void model_cep(double *c)
{
    memset(c, 0, (SS_MCEP_ORDER + 1) * sizeof *c);
    c[0] = 3.0;
    c[1] = 1.2;
    c[2] = -0.3;
    c[3] = 0.25;
    c[4] = -0.2;
    c[5] = 0.1;
    c[6] = 0.08;
    for (int m = 7; m <= SS_MCEP_ORDER; m++)
        c[m] = 0.3 * pow(-0.8, m) / m;
}

static ss_speaker_stats stats(double lf0_mean, double lf0_std, double rate, const double *cep)
{
    ss_speaker_stats s;
    memset(&s, 0, sizeof s);
    s.lf0_mean = lf0_mean;
    s.lf0_std = lf0_std;
    s.syllable_rate = rate;
    s.voiced_frames = 1000;
    s.bandwidth_hz = 16000;
    memcpy(s.lta_mcep, cep, sizeof s.lta_mcep);
    return s;
}

Test(conditioning, fit_of_the_model_to_itself_is_the_identity)
{
    double c[SS_MCEP_ORDER + 1];
    model_cep(c);
    ss_speaker_stats m = stats(log(170.0), 0.2, 4.0, c);
    ss_conditioning k;
    char err[256];
    cr_assert_eq(ss_conditioning_fit(&m, &m, 0.45, &k, err, sizeof err), 0, "%s", err);
    cr_assert(fabs(k.alpha - 0.45) < 1e-9, "alpha %f", k.alpha);
    cr_assert(fabs(k.lf0_shift) < 1e-12 && fabs(k.lf0_scale - 1) < 1e-12);
    cr_assert(fabs(k.duration_scale - 1) < 1e-12);
    for (int i = 0; i < SS_COND_NBIAS; i++)
        cr_assert(fabs(k.cep_bias[i]) < 1e-6, "bias %d %g", i, k.cep_bias[i]);
    cr_assert(k.fit_rms_db < 1e-3);
}

Test(conditioning, fit_recovers_a_known_bias_pitch_and_rate)
{
    double c[SS_MCEP_ORDER + 1], r[SS_MCEP_ORDER + 1];
    model_cep(c);
    memcpy(r, c, sizeof r);
    r[1] += 0.2; /* a tilt and a mid-order ripple, in the model's own alpha */
    r[3] -= 0.1;
    ss_speaker_stats m = stats(log(170.0), 0.2, 4.0, c), ref = stats(log(100.0), 0.3, 3.2, r);
    ss_conditioning k;
    char err[256];
    cr_assert_eq(ss_conditioning_fit(&m, &ref, 0.45, &k, err, sizeof err), 0, "%s", err);
    cr_assert(fabs(k.alpha - 0.45) <= SS_COND_ALPHA_BAND + 1e-9, "alpha %f", k.alpha);
    cr_assert(fabs(k.cep_bias[1] - 0.2) < 0.03, "c1 bias %f", k.cep_bias[1]);
    cr_assert(fabs(k.cep_bias[3] + 0.1) < 0.03, "c3 bias %f", k.cep_bias[3]);
    cr_assert(fabs(k.cep_bias[0]) < 1e-12, "loudness must stay");
    cr_assert(k.fit_rms_db < 0.5, "residual %f dB", k.fit_rms_db);
    cr_assert(fabs(ss_conditioning_target_f0_hz(&k) - 100.0) < 1e-6);
    cr_assert(fabs(k.lf0_scale - 1.5) < 1e-9);
    cr_assert(fabs(k.duration_scale - 1.25) < 1e-9);
    cr_assert(fabs(k.ref_f0_hz - 100.0) < 1e-9);
    /* a band-limited (16 kHz) reference: the missing band asks for no change */
    ref.bandwidth_hz = 8000;
    cr_assert_eq(ss_conditioning_fit(&m, &ref, 0.45, &k, err, sizeof err), 0, "%s", err);
    cr_assert(fabs(k.cep_bias[1] - 0.2) < 0.1, "c1 bias %f", k.cep_bias[1]);
}

Test(conditioning, serialisation_round_trip_is_exact)
{
    ss_conditioning k;
    ss_conditioning_identity(&k, log(171.3), 0.45);
    snprintf(k.source, sizeof k.source, "reference");
    k.lf0_shift = -0.5112031506717471;
    k.lf0_scale = 1.4002160980815208;
    k.alpha = 0.4125;
    k.duration_scale = 1.0321354692836868;
    k.ref_f0_hz = 103.08411000763387;
    k.ref_lf0_std = 0.133;
    k.ref_syllable_rate = 4.24;
    k.fit_rms_db = 5.5;
    for (int i = 1; i < 7; i++)
        k.cep_bias[i] = 0.1 * i - 0.31 + 1e-13 * i;
    char buf[1024], err[256];
    int n = ss_conditioning_serialize(&k, buf, sizeof buf);
    cr_assert(n > 0 && (size_t)n == strlen(buf));
    ss_conditioning back;
    cr_assert_eq(ss_conditioning_parse(buf, (size_t)n, &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(&back, &k, sizeof k), 0, "round trip differs:\n%s", buf);
    cr_assert_eq(ss_conditioning_serialize(&k, buf, 40), -1);
}

Test(conditioning, parse_rejects_broken_text)
{
    ss_conditioning k, out;
    ss_conditioning_identity(&k, log(170.0), 0.45);
    char buf[1024], err[256];
    int n = ss_conditioning_serialize(&k, buf, sizeof buf);
    char *v = strstr(buf, "conditioning 1");
    v[13] = '9'; /* version 9 */
    cr_assert_eq(ss_conditioning_parse(buf, (size_t)n, &out, err, sizeof err), -1);
    cr_assert(strstr(err, "version"), "%s", err);
    n = ss_conditioning_serialize(&k, buf, sizeof buf);
    char *a = strstr(buf, "alpha ");
    a[0] = 'x'; /* key missing */
    cr_assert_eq(ss_conditioning_parse(buf, (size_t)n, &out, err, sizeof err), -1);
    n = ss_conditioning_serialize(&k, buf, sizeof buf);
    a = strstr(buf, "alpha ");
    memcpy(a + 6, "9.5", 3); /* out of range */
    cr_assert_eq(ss_conditioning_parse(buf, (size_t)n, &out, err, sizeof err), -1);
    cr_assert_eq(ss_conditioning_parse("garbage", 7, &out, err, sizeof err), -1);
    k.lf0_shift = NAN;
    cr_assert_eq(ss_conditioning_validate(&k, err, sizeof err), -1);
}
