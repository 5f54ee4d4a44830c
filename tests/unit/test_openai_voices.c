/* Unit tests for gateway/openai_voices.c: the openai_voices setting parsed
 * (the default, empty, spaces), refused with a reason (unknown name, twice,
 * bad id, not name=id, trailing comma), and the lookup (listed, unlisted,
 * not a built-in name). */
#include "common/config.h"
#include "gateway/openai_voices.h"

#include <criterion/criterion.h>
#include <string.h>

Test(openai_voices, the_default_setting_gives_male_names_male_voices)
{
    char err[256];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert(s, "%s", err);
    gw_openai_voices v;
    cr_assert_eq(gw_openai_voices_parse(s->openai_voices, &v, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(gw_openai_voice_id(&v, "onyx"), "rms");
    cr_assert_str_eq(gw_openai_voice_id(&v, "echo"), "rms");
    cr_assert_str_eq(gw_openai_voice_id(&v, "fable"), "awb");
    cr_assert_null(gw_openai_voice_id(&v, "alloy"), "alloy stays the default voice");
    cr_assert_null(gw_openai_voice_id(&v, "nova"));
    cr_assert_null(gw_openai_voice_id(&v, "rms"), "not a built-in name");
    ss_config_free(s);
}

Test(openai_voices, empty_lists_none_and_spaces_are_trimmed)
{
    char err[256];
    gw_openai_voices v;
    cr_assert_eq(gw_openai_voices_parse("", &v, err, sizeof err), 0);
    cr_assert_null(gw_openai_voice_id(&v, "onyx"));
    cr_assert_eq(gw_openai_voices_parse("  ", &v, err, sizeof err), 0);
    cr_assert_eq(gw_openai_voices_parse(" onyx = vc_abc-1 , nova=slt_cg", &v, err, sizeof err), -1,
                 "spaces inside an item are not part of a name");
    cr_assert_eq(gw_openai_voices_parse(" onyx=vc_abc-1 , nova=slt_cg ", &v, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(gw_openai_voice_id(&v, "onyx"), "vc_abc-1");
    cr_assert_str_eq(gw_openai_voice_id(&v, "nova"), "slt_cg");
    cr_assert(gw_openai_voice_name("shimmer") && !gw_openai_voice_name("Onyx") && !gw_openai_voice_name(""));
}

Test(openai_voices, bad_settings_say_why)
{
    static const struct {
        const char *spec, *why;
    } bad[] = {
        {"bogus=rms", "not one of OpenAI's voice names"},
        {"onyx=rms,onyx=awb", "listed twice"},
        {"onyx=", "voice id"},
        {"onyx=r m s", "voice id"},
        {"onyx", "not name=voice_id"},
        {"onyx=rms,", "not name=voice_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        gw_openai_voices v;
        cr_assert_eq(gw_openai_voices_parse(bad[i].spec, &v, err, sizeof err), -1, "%s", bad[i].spec);
        cr_assert(strstr(err, bad[i].why), "%s: %s", bad[i].spec, err);
    }
    char long_id[100] = "onyx=";
    memset(long_id + 5, 'a', 80);
    char err[256];
    gw_openai_voices v;
    cr_assert_eq(gw_openai_voices_parse(long_id, &v, err, sizeof err), -1);
}
