/* Unit tests for node/engine/clustergen/cg_conditioning.h and cg_profile.h:
 * identity conditioning leaves a clustergen voice's audio byte-identical; a
 * shift moves every voiced frame's F0 by exactly the shift (a scale acts
 * about the pivot) and the bias reaches only voiced frames' c1..; end to
 * end, a +4 semitone clone of rms measures 4 semitones higher by the same
 * analyser as references, and its profile is a male voice's. */
#include "node/engine/clustergen/cg_conditioning.h"
#include "node/engine/clustergen/cg_profile.h"
#include "node/engine/clustergen/cg_synth.h"
#include "tests/unit/cg_test_voice.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>


Test(cg_conditioning, identity_is_byte_identical, .timeout = 60)
{
    ss_cg_voice *v = load("rms");
    ss_conditioning id;
    ss_conditioning_identity(&id, log(110.0), v->db->mlsa_alpha);
    ss_cg_options plain = {.duration_scale = 1.0, .f0_scale = 1.0};
    ss_cg_options cond = {.duration_scale = 1.0, .f0_scale = 1.0, .cond = &id};
    ss_cg_audio a, b;
    char err[256];
    cr_assert_eq(ss_cg_synthesize(v, sentence, &plain, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_cg_synthesize(v, sentence, &cond, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.nsamples, b.nsamples);
    cr_assert(!memcmp(a.samples, b.samples, a.nsamples * sizeof *a.samples), "identity changed the audio");
    ss_cg_audio_free(&a);
    ss_cg_audio_free(&b);
    ss_cg_voice_free(v);
}

Test(cg_conditioning, f0_moves_by_the_shift_and_bias_reaches_voiced_frames)
{
    double f0[4] = {100.0, 0.0, 120.0, 690.0};
    double mcep[4 * SS_CG_MCEP_DIM] = {0};
    ss_cg_params p = {.nframes = 4, .mcep = mcep, .f0 = f0};
    ss_conditioning c;
    ss_conditioning_identity(&c, log(110.0), 0.42);
    c.lf0_shift = 3.0 * M_LN2 / 12.0; /* +3 semitones */
    c.cep_bias[2] = 0.25;
    ss_cg_condition_params(&p, &c);
    const double up = pow(2.0, 3.0 / 12.0);
    cr_assert_float_eq(f0[0], 100.0 * up, 1e-9);
    cr_assert_eq(f0[1], 0.0, "an unvoiced frame stays unvoiced");
    cr_assert_float_eq(f0[2], 120.0 * up, 1e-9);
    cr_assert_float_eq(f0[3], 700.0, 1e-9, "clamped like the voice's own F0");
    cr_assert_float_eq(mcep[0 * SS_CG_MCEP_DIM + 2], 0.25, 1e-12);
    cr_assert_eq(mcep[1 * SS_CG_MCEP_DIM + 2], 0.0, "the bias is for voiced frames");

    /* scale 0.5 about the pivot: 4 semitones above it becomes 2 above */
    double g[1] = {110.0 * pow(2.0, 4.0 / 12.0)};
    double m2[SS_CG_MCEP_DIM] = {0};
    ss_cg_params q = {.nframes = 1, .mcep = m2, .f0 = g};
    ss_conditioning_identity(&c, log(110.0), 0.42);
    c.lf0_scale = 0.5;
    ss_cg_condition_params(&q, &c);
    cr_assert_float_eq(g[0], 110.0 * pow(2.0, 2.0 / 12.0), 1e-9);
}

Test(cg_conditioning, a_shifted_clone_measures_the_shift, .timeout = 120)
{
    ss_cg_voice *v = load("rms");
    ss_speaker_stats base;
    char err[256];
    cr_assert_eq(ss_cg_profile_compute(v, &base, err, sizeof err), 0, "%s", err);
    double f0 = exp(base.lf0_mean);
    cr_assert(f0 > 80 && f0 < 140, "rms profile F0 %.0f Hz is not a male voice's", f0);
    cr_assert(base.bandwidth_hz <= 8000.0 + 1e-6, "a 16 kHz voice holds %.0f Hz", base.bandwidth_hz);

    ss_conditioning c;
    ss_conditioning_identity(&c, base.lf0_mean, v->db->mlsa_alpha);
    c.lf0_shift = 4.0 * M_LN2 / 12.0;
    ss_cg_options opt = {.duration_scale = 1.0, .f0_scale = 1.0, .cond = &c};
    ss_cg_audio a;
    cr_assert_eq(ss_cg_synthesize(v, "The birch canoe slid on the smooth planks. Glue the sheet to the dark "
                                     "blue background. It is easy to tell the depth of a well.",
                                  &opt, &a, err, sizeof err), 0, "%s", err);
    ss_speaker_stats moved;
    cr_assert_eq(ss_speaker_stats_compute(a.samples, a.nsamples, a.rate, &moved, err, sizeof err), 0, "%s", err);
    double st = (moved.lf0_mean - base.lf0_mean) * 12.0 / M_LN2;
    cr_assert(fabs(st - 4.0) < 1.0, "F0 moved %.2f st, asked 4", st);
    ss_cg_audio_free(&a);
    ss_cg_voice_free(v);
}
