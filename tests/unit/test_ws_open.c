/* Unit tests for gateway/ws_open: defaults, each field's refusal (the
 * message and the field it names), unknown fields. */
#include "gateway/ws_open.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static int parse_field(const char *text, ws_open_params *p, char *why, char *field)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j, "%s", text);
    ws_open_problem pb;
    int rc = ws_open_parse(j, p, &pb);
    json_decref(j);
    snprintf(why, 200, "%s", pb.message);
    if (field)
        snprintf(field, 128, "%s", pb.field);
    return rc;
}

static int parse(const char *text, ws_open_params *p, char *why)
{
    return parse_field(text, p, why, NULL);
}

Test(ws_open, defaults_are_opus_48k)
{
    ws_open_params p;
    char why[200];
    cr_assert_eq(parse("{\"type\":\"open\"}", &p, why), 0);
    cr_assert(p.opus);
    cr_assert_eq(p.sample_rate, 48000);
    cr_assert_float_eq(p.speed, 1.0, 1e-9);
    cr_assert_str_eq(p.preference, "any");
    cr_assert_str_eq(p.voice_id, "");
    cr_assert_eq(parse("{\"type\":\"open\",\"output\":{\"codec\":\"pcm\"}}", &p, why), 0);
    cr_assert(!p.opus);
    cr_assert_eq(p.sample_rate, 24000);
}

Test(ws_open, every_field_read)
{
    ws_open_params p;
    char why[200];
    cr_assert_eq(parse("{\"type\":\"open\",\"voice_id\":\"vc_x\",\"language_hint\":\"en\",\"speed\":1.5,"
                       "\"output\":{\"codec\":\"pcm\",\"sample_rate\":16000},\"backend_preference\":"
                       "\"prefer_self_hosted\",\"timestamps\":true}",
                       &p, why),
                 0, "%s", why);
    cr_assert_str_eq(p.voice_id, "vc_x");
    cr_assert_eq(p.sample_rate, 16000);
    cr_assert(p.timestamps);
    cr_assert_float_eq(p.speed, 1.5, 1e-9);
}

Test(ws_open, refusals_name_the_field)
{
    static const struct {
        const char *json, *needle, *field;
    } cases[] = {
        {"{\"type\":\"open\",\"speed\":3}", "speed", "speed"},
        {"{\"type\":\"open\",\"speed\":\"fast\"}", "speed", "speed"},
        {"{\"type\":\"open\",\"voice_id\":7}", "voice_id", "voice_id"},
        {"{\"type\":\"open\",\"output\":{\"codec\":\"mp3\"}}", "codec", "output.codec"},
        {"{\"type\":\"open\",\"output\":{\"codec\":\"opus\",\"sample_rate\":24000}}", "48000",
         "output.sample_rate"},
        {"{\"type\":\"open\",\"output\":{\"codec\":\"pcm\",\"sample_rate\":12345}}", "sample_rate",
         "output.sample_rate"},
        {"{\"type\":\"open\",\"output\":{\"rate\":1}}", "output.rate", "output.rate"},
        {"{\"type\":\"open\",\"output\":7}", "output", "output"},
        {"{\"type\":\"open\",\"timestamps\":1}", "timestamps", "timestamps"},
        {"{\"type\":\"open\",\"backend_preference\":\"fastest\"}", "backend_preference", "backend_preference"},
        {"{\"type\":\"open\",\"language_hint\":\"english\"}", "language_hint", "language_hint"},
        {"{\"type\":\"open\",\"sampel_rate\":1}", "sampel_rate", "sampel_rate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_open_params p;
        char why[200] = "", field[128] = "";
        cr_assert_eq(parse_field(cases[i].json, &p, why, field), -1, "%s", cases[i].json);
        cr_assert(strstr(why, cases[i].needle), "%s -> %s", cases[i].json, why);
        cr_assert_str_eq(field, cases[i].field, "%s -> field %s", cases[i].json, field);
    }
}

/* Found by fuzz_ws_open: the rate was cut to int before its check, so
 * 2^32 + 16000 opened a 16 kHz session instead of being refused. */
Test(ws_open, a_rate_beyond_int_is_refused_not_wrapped)
{
    ws_open_params p;
    char why[200];
    cr_assert_neq(parse("{\"type\":\"open\",\"output\":{\"codec\":\"pcm\",\"sample_rate\":4294983296}}", &p, why),
                  0);
    cr_assert(strstr(why, "sample_rate"), "%s", why);
}
