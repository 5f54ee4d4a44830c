/* Unit tests for node/engine/conditioning (fit, validation, serialisation)
 * and node/engine/conditioned_voice (applied to the real slt voice: the
 * identity is bit-exact with the base voice; an F0 shift moves the F0 our
 * tracker measures by that much; a cepstral bias and a duration scale are
 * found again by analysing the output). */
#include "cli/cli_voice.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/pitch_tracker.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

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

static double median_f0(const float *x, size_t n, int rate)
{
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    ss_pitch_track t;
    char err[128];
    cr_assert_eq(ss_pitch_track_compute(x, n, rate, &o, &t, err, sizeof err), 0);
    float *v = malloc(t.nframes * sizeof *v);
    size_t k = 0;
    for (size_t f = 0; f < t.nframes; f++)
        if (t.f0[f] > 0)
            v[k++] = t.f0[f];
    cr_assert(k > 50);
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += log(v[i]);
    free(v);
    ss_pitch_track_free(&t);
    return exp(s / (double)k);
}

Test(conditioned_voice, identity_is_exact_and_changes_move_the_output, .timeout = 30)
{
    char err[512];
    ss_voice *base = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(base, "%s", err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
    const char *text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue "
                       "background. These days a chicken leg is a rare dish.";
    float *a, *b;
    size_t na, nb;
    cr_assert_eq(ss_model_speak(base, fe, text, 1.0, &a, &na, err, sizeof err), 0, "%s", err);

    ss_conditioning k;
    ss_conditioning_identity(&k, log(170.0), ss_voice_mcp_alpha(base));
    size_t bytes = 0;
    ss_voice *v = ss_conditioned_voice_new(base, &k, &bytes, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert(bytes > 100000 && bytes < 8000000, "%zu bytes", bytes);
    cr_assert_eq(ss_model_speak(v, fe, text, 1.0, &b, &nb, err, sizeof err), 0, "%s", err);
    cr_assert_eq(na, nb);
    cr_assert_eq(memcmp(a, b, na * sizeof *a), 0, "identity conditioning changed the audio");
    free(b);
    ss_conditioned_voice_free(v);

    double f_base = median_f0(a, na, 32000);
    k.lf0_shift = -7.0 * log(2.0) / 12.0; /* 7 semitones down */
    v = ss_conditioned_voice_new(base, &k, NULL, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(ss_model_speak(v, fe, text, 1.0, &b, &nb, err, sizeof err), 0, "%s", err);
    double moved = 12 * log2(median_f0(b, nb, 32000) / f_base);
    cr_assert(fabs(moved + 7.0) < 0.5, "moved %.2f st", moved);
    free(b);
    ss_conditioned_voice_free(v);

    ss_conditioning_identity(&k, log(170.0), ss_voice_mcp_alpha(base));
    k.cep_bias[2] = 0.3;
    k.duration_scale = 1.3;
    v = ss_conditioned_voice_new(base, &k, NULL, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(ss_model_speak(v, fe, text, ss_conditioned_speed(&k, 1.0), &b, &nb, err, sizeof err), 0);
    cr_assert(nb > 1.2 * na && nb < 1.4 * na, "%zu vs %zu samples", nb, na);
    /* the analysis + fit find the applied spectral change again (a little
     * less: the bias goes to sonorant states only) */
    ss_speaker_stats sa, sb;
    cr_assert_eq(ss_speaker_stats_compute(a, na, 32000, &sa, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_speaker_stats_compute(b, nb, 32000, &sb, err, sizeof err), 0, "%s", err);
    ss_conditioning back;
    cr_assert_eq(ss_conditioning_fit(&sa, &sb, 0.45, &back, err, sizeof err), 0, "%s", err);
    cr_assert(back.cep_bias[2] > 0.15 && back.cep_bias[2] < 0.4, "c2 bias found %f", back.cep_bias[2]);
    cr_assert(fabs(back.cep_bias[1]) < 0.1 && fabs(back.cep_bias[3]) < 0.1, "c1 %f c3 %f", back.cep_bias[1],
              back.cep_bias[3]);
    cr_assert(back.duration_scale > 1.1, "duration %f", back.duration_scale);
    free(b);
    ss_conditioned_voice_free(v);

    k.alpha = 0.95; /* invalid: refused */
    cr_assert_null(ss_conditioned_voice_new(base, &k, NULL, err, sizeof err));
    free(a);
    ss_frontend_free(fe);
    ss_voice_free(base);
}

Test(conditioning, effective_bandwidth_sees_an_emptied_top)
{
    size_t n = 32000;
    float *x = malloc(n * sizeof *x);
    unsigned r = 9;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)((r >> 8) / 16777216.0 - 0.5);
    }
    double full = ss_mcep_effective_bandwidth(x, n, 16000);
    cr_assert(full > 15000, "white noise: %f Hz", full);
    /* low-pass by averaging 4 neighbours twice: nulls at 8 kHz and above */
    for (int pass = 0; pass < 6; pass++)
        for (size_t i = n - 1; i >= 3; i--)
            x[i] = 0.25f * (x[i] + x[i - 1] + x[i - 2] + x[i - 3]);
    double low = ss_mcep_effective_bandwidth(x, n, 16000);
    cr_assert(low < 12000, "low-passed: %f Hz", low);
    cr_assert(ss_mcep_effective_bandwidth(x, n, 4000) <= 4000);
    free(x);
}

Test(cli_voice, design_and_reference_paths, .timeout = 30)
{
    char err[512];
    ss_voice *base = ss_voice_load(VOICE, err, sizeof err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert(base && fe);
    ss_voice *v = NULL;
    ss_conditioning c;
    cr_assert_eq(ss_cli_conditioned_voice(base, fe, NULL, NULL, &v, &c, err, sizeof err), -1);
    cr_assert_eq(ss_cli_conditioned_voice(base, fe, "/nonexistent/ref.wav", NULL, &v, &c, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot open"), "%s", err);
    cr_assert_eq(ss_cli_conditioned_voice(base, fe, NULL, "deep male voice", &v, &c, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(v);
    cr_assert_str_eq(c.source, "design");
    cr_assert(ss_conditioning_target_f0_hz(&c) < 100.0);
    ss_conditioned_voice_free(v);
    ss_frontend_free(fe);
    ss_voice_free(base);
}
