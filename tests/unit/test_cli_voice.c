/* Unit tests for cli/cli_voice: the conditioned voice of `--voice-ref` and
 * `--design` (no source is an error, a missing reference names the file, a
 * design prompt gives a designed voice, and the conditioning equals what
 * the engine's conditioner, a node's path, fits from the same statistics). */
#include "cli/cli_voice.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/model_profile.h"

#include <criterion/criterion.h>
#include <string.h>

/* Whether a and b serialise alike (every parameter, printed exactly). */
static int same_conditioning(const ss_conditioning *a, const ss_conditioning *b)
{
    char sa[4096], sb[4096];
    return ss_conditioning_serialize(a, sa, sizeof sa) > 0 && ss_conditioning_serialize(b, sb, sizeof sb) > 0 &&
           strcmp(sa, sb) == 0;
}

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

Test(cli_voice, design_and_reference_paths, .timeout = 60)
{
    char err[512];
    ss_voice *base = ss_voice_load(VOICE, err, sizeof err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert(base && fe);
    ss_speaker_stats model;
    cr_assert_eq(ss_model_profile_compute(base, fe, NULL, &model, err, sizeof err), 0, "%s", err);
    ss_voice *v = NULL;
    ss_conditioning c, want;
    cr_assert_eq(ss_cli_conditioned_voice(base, &model, NULL, NULL, NULL, &v, &c, err, sizeof err), -1);
    cr_assert_eq(ss_cli_conditioned_voice(base, &model, "/nonexistent/ref.wav", NULL, NULL, &v, &c, err, sizeof err),
                 -1);
    cr_assert(strstr(err, "cannot open"), "%s", err);

    cr_assert_eq(ss_cli_conditioned_voice(base, &model, NULL, NULL, "deep male voice", &v, &c, err, sizeof err), 0,
                 "%s", err);
    cr_assert_not_null(v);
    cr_assert_str_eq(c.source, "design");
    cr_assert(ss_conditioning_target_f0_hz(&c) < 100.0);
    ss_conditioned_voice_free(v);
    ss_conditioner *cond = ss_conditioner_new(base, fe, err, sizeof err);
    cr_assert_not_null(cond, "%s", err);
    cr_assert_eq(ss_conditioner_from_prompt(cond, "deep male voice", &want, NULL, err, sizeof err), 0, "%s", err);
    cr_assert(same_conditioning(&c, &want), "the CLI's design differs from the conditioner's");

    /* Statistics measured elsewhere (the base choice's): the fit a node makes. */
    ss_speaker_stats ref = model;
    ref.lf0_mean -= 0.5;
    ref.syllable_rate *= 0.9;
    cr_assert_eq(ss_cli_conditioned_voice(base, &model, "/unread.wav", &ref, NULL, &v, &c, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(ss_conditioning_fit(&model, &ref, ss_voice_mcp_alpha(base), &want, err, sizeof err), 0, "%s", err);
    cr_assert(same_conditioning(&c, &want), "the CLI's fit differs from ss_conditioning_fit's");
    ss_conditioned_voice_free(v);
    ss_conditioner_free(cond);
    ss_frontend_free(fe);
    ss_voice_free(base);
}
