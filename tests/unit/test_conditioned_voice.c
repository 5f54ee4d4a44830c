/* Unit tests for node/engine/voice/conditioned_voice, applied to the real slt
 * voice: the identity is bit-exact with the base voice; an F0 shift moves the
 * F0 our tracker measures by that much; a cepstral bias and a duration scale
 * are found again by analysing the output; an invalid warping is refused. */
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/pitch_tracker.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

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
