/* Unit tests for node/engine/voice/base_choice.h: a reference whose
 * statistics are a man's picks a male base and a woman's picks the female
 * one, both on synthetic statistics and on the real voices' own profiles
 * (clustergen slt, rms, awb: each voice speaking the profile paragraph,
 * measured by the analyser references go through); equal F0 is decided by
 * the spectrum; ties go to the earlier base. */
#include "node/engine/clustergen/cg_profile.h"
#include "node/engine/voice/base_choice.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

/* Statistics of a speaker with mean F0 f0 and a spectral tilt of `tilt`
 * (c1), at 32 kHz analysis. */
static ss_speaker_stats speaker(double f0, double tilt)
{
    ss_speaker_stats s;
    memset(&s, 0, sizeof s);
    s.lf0_mean = log(f0);
    s.lf0_std = 0.15;
    s.bandwidth_hz = 16000;
    s.lta_mcep[0] = 1.0;
    s.lta_mcep[1] = tilt;
    s.lta_mcep[2] = -0.1;
    return s;
}

Test(base_choice, male_reference_picks_the_male_base)
{
    ss_speaker_stats female = speaker(180, 0.9), male = speaker(105, 0.9);
    const ss_speaker_stats *bases[] = {&female, &male};
    ss_speaker_stats ref_m = speaker(112, 0.8), ref_f = speaker(200, 1.0);
    double d;
    cr_assert_eq(ss_choice_nearest(&ref_m, bases, 2, &d), 1);
    cr_assert_float_eq(d, ss_choice_distance(&ref_m, &male), 1e-12);
    cr_assert_eq(ss_choice_nearest(&ref_f, bases, 2, NULL), 0);
    cr_assert_float_eq(ss_choice_f0_semitones(&female, &male), 12.0 * log(180.0 / 105.0) / M_LN2, 1e-9);
}

Test(base_choice, same_pitch_is_decided_by_the_spectrum_and_ties_by_order)
{
    ss_speaker_stats a = speaker(110, 0.4), b = speaker(110, 1.2);
    const ss_speaker_stats *bases[] = {&a, &b};
    ss_speaker_stats ref = speaker(110, 1.1);
    cr_assert_eq(ss_choice_nearest(&ref, bases, 2, NULL), 1);
    cr_assert_float_eq(ss_choice_spectral_db(&a, &a), 0.0, 1e-12);
    const ss_speaker_stats *same[] = {&a, &a, NULL};
    cr_assert_eq(ss_choice_nearest(&ref, same, 3, NULL), 0, "a tie goes to the first base");
    cr_assert_eq(ss_choice_nearest(&ref, same + 2, 1, NULL), -1, "no base");
    /* a level difference alone is no speaker difference */
    ss_speaker_stats louder = a;
    louder.lta_mcep[0] += 2.0;
    cr_assert_float_eq(ss_choice_spectral_db(&a, &louder), 0.0, 1e-9);
}

/* Real profiles: the clustergen voices' own statistics (the profile
 * paragraph through our synthesis and the reference analyser). Three
 * voices, not the HTS one too, to keep the sanitizer run short. */
Test(base_choice, real_profiles_pick_the_voice_of_the_same_sex, .timeout = 200)
{
    char err[256];
    ss_speaker_stats p_rms, p_awb, p_slt_cg;
    static const char *const names[] = {"rms", "awb", "slt"};
    ss_speaker_stats *outs[] = {&p_rms, &p_awb, &p_slt_cg};
    for (int i = 0; i < 3; i++) {
        ss_cg_voice *v = ss_cg_voice_load(names[i], err, sizeof err);
        cr_assert(v, "%s", err);
        cr_assert_eq(ss_cg_profile_compute(v, outs[i], err, sizeof err), 0, "%s: %s", names[i], err);
        ss_cg_voice_free(v);
    }
    cr_assert_gt(ss_choice_f0_semitones(&p_slt_cg, &p_rms), 6.0, "slt and rms are not far apart in F0");
    /* bases: slt (female) and rms (male); a male reference: awb */
    const ss_speaker_stats *bases[] = {&p_slt_cg, &p_rms};
    cr_assert_eq(ss_choice_nearest(&p_awb, bases, 2, NULL), 1, "awb's statistics picked slt");
    /* awb an octave up (a woman's F0 with a man's spectrum): F0 decides */
    ss_speaker_stats high = p_awb;
    high.lf0_mean += M_LN2;
    cr_assert_eq(ss_choice_nearest(&high, bases, 2, NULL), 0, "an octave-up reference picked rms");
}
