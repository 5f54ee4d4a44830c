/* Unit tests for cli/cli_voice: the conditioned voice of `--voice-ref` and
 * `--design` (no source is an error, a missing reference names the file,
 * a design prompt gives a designed voice). */
#include "cli/cli_voice.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/conditioning.h"

#include <criterion/criterion.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

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
