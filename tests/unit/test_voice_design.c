/* Unit tests for node/engine/voice_design: the prompts of the issue parse
 * to what they say, in the documented amounts; parsing is deterministic;
 * intensifiers and negation work; bad prompts are refused. */
#include "node/engine/voice/voice_design.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#define MODEL_LF0 5.1467484076792225 /* slt, about 171.9 Hz */
#define ST(x) (12.0 * log2(x))

static ss_conditioning parse(const char *p, ss_design_understood *u)
{
    ss_conditioning c;
    char err[256];
    cr_assert_eq(ss_voice_design_parse(p, MODEL_LF0, 0.45, &c, u, err, sizeof err), 0, "%s: %s", p, err);
    return c;
}

Test(voice_design, deep_slow_elderly_male_narrator)
{
    ss_design_understood u;
    ss_conditioning c = parse("Deep, slow, elderly male narrator", &u);
    cr_assert_str_eq(u.gender, "male");
    cr_assert_str_eq(u.age, "elderly");
    cr_assert_str_eq(u.pitch, "low");
    cr_assert_str_eq(u.pace, "slow");
    cr_assert_str_eq(u.ignored, "narrator");
    /* 110 Hz, -1.5 st (elderly), -3 st (deep) */
    double want = ST(110.0) - 4.5;
    cr_assert(fabs(ST(ss_conditioning_target_f0_hz(&c)) - want) < 1e-9);
    cr_assert(fabs(c.alpha - (0.45 + 0.04 + 0.02)) < 1e-12);
    cr_assert(fabs(c.duration_scale - 1.2 * 1.1) < 1e-12);
    cr_assert(fabs(c.lf0_scale - 0.85) < 1e-12);
    cr_assert_str_eq(c.source, "design");
}

Test(voice_design, bright_young_female_energetic_fast)
{
    ss_design_understood u;
    ss_conditioning c = parse("bright young female, energetic, fast", &u);
    cr_assert_str_eq(u.gender, "female");
    cr_assert_str_eq(u.age, "young");
    cr_assert_str_eq(u.timbre, "bright");
    cr_assert_str_eq(u.energy, "energetic");
    cr_assert_str_eq(u.pace, "fast");
    cr_assert(fabs(ST(ss_conditioning_target_f0_hz(&c)) - (ST(200.0) + 1.0)) < 1e-9);
    cr_assert(c.duration_scale < 0.8, "%f", c.duration_scale); /* 0.83 * 0.95 */
    cr_assert(fabs(c.lf0_scale - 1.3) < 1e-12);
    cr_assert(c.cep_bias[1] < 0 && c.cep_bias[0] > 0);
    char buf[256];
    ss_design_understood_format(&u, buf, sizeof buf);
    cr_assert_str_eq(buf, "gender=female age=young pitch= pace=fast timbre=bright energy=energetic");
}

Test(voice_design, deterministic_and_modifiers)
{
    ss_design_understood u1, u2;
    ss_conditioning a = parse("warm, calm, slightly slow woman", &u1);
    ss_conditioning b = parse("warm, calm, slightly slow woman", &u2);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    cr_assert_eq(memcmp(&u1, &u2, sizeof u1), 0);
    cr_assert(fabs(a.duration_scale - sqrt(1.2)) < 1e-12);
    ss_conditioning v = parse("very fast", &u1);
    cr_assert(fabs(v.duration_scale - 0.83 * 0.83) < 1e-12);
    ss_conditioning n = parse("not fast", &u1);
    cr_assert_str_eq(u1.pace, "");
    cr_assert(fabs(n.duration_scale - 1.0) < 1e-12);
    ss_conditioning h = parse("HIGH-pitched", &u1);
    cr_assert_str_eq(u1.pitch, "high");
    cr_assert(fabs(h.lf0_shift - 3.0 * log(2.0) / 12.0) < 1e-12);
    ss_conditioning none = parse("a voice for the ages", &u1);
    cr_assert(fabs(none.lf0_shift) < 1e-12 && none.duration_scale == 1.0);
}

Test(voice_design, two_word_energy_cues_are_not_pitch)
{
    ss_design_understood u;
    ss_conditioning calm = parse("calm woman", &u);
    ss_conditioning low = parse("low energy woman", &u);
    cr_assert_str_eq(u.energy, "calm");
    cr_assert_str_eq(u.pitch, "", "\"low energy\" read as pitch %s", u.pitch);
    cr_assert_str_eq(u.used, "low energy woman");
    cr_assert_eq(memcmp(&calm, &low, sizeof calm), 0);
    parse("a low-energy, low voice", &u);
    cr_assert_str_eq(u.energy, "calm");
    cr_assert_str_eq(u.pitch, "low");
    parse("very high energy", &u);
    cr_assert_str_eq(u.energy, "energetic");
    cr_assert_str_eq(u.pitch, "");
    parse("low key narrator", &u);
    cr_assert_str_eq(u.energy, "calm");
    parse("low", &u); /* a first word at the end */
    cr_assert_str_eq(u.pitch, "low");
}

Test(voice_design, refuses_empty_and_long_prompts_and_maps_numbers)
{
    ss_conditioning c;
    char err[256], big[SS_DESIGN_MAX_PROMPT + 2];
    cr_assert_eq(ss_voice_design_parse("", MODEL_LF0, 0.45, &c, NULL, err, sizeof err), -1);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_assert_eq(ss_voice_design_parse(big, MODEL_LF0, 0.45, &c, NULL, err, sizeof err), -1);
    cr_assert_eq(ss_voice_design_from_numbers(-5, 0, 0.02, 1, 3, 1.25, MODEL_LF0, 0.45, &c, err, sizeof err), 0);
    cr_assert(fabs(c.lf0_shift + 5 * log(2.0) / 12) < 1e-12);
    cr_assert(fabs(c.lf0_scale - 1) < 1e-12 && fabs(c.duration_scale - 0.8) < 1e-12);
    cr_assert(fabs(c.alpha - 0.47) < 1e-12 && c.cep_bias[1] < 0 && c.cep_bias[0] > 0);
    cr_assert_eq(ss_voice_design_from_numbers(NAN, 0, 0, 0, 0, 0, MODEL_LF0, 0.45, &c, err, sizeof err), -1);
    /* extreme values are clamped, not refused */
    cr_assert_eq(ss_voice_design_from_numbers(-40, 9, 0.5, 0, 0, 9, MODEL_LF0, 0.45, &c, err, sizeof err), 0);
    cr_assert(c.alpha <= 0.6 && c.duration_scale >= 0.6 && c.lf0_shift >= -1.05);
}
