/* Unit tests for gateway/voice_record.c: the field table (create and PATCH),
 * a new record's shape, PATCH application, the public view. */
#include "gateway/voice_record.h"

#include <criterion/criterion.h>
#include <string.h>

static int problems(const char *body, voice_fields_use use, json_t **details)
{
    json_t *b = json_loads(body, 0, NULL);
    cr_assert_not_null(b, "%s", body);
    *details = json_array();
    int n = voice_fields_check(b, use, *details);
    json_decref(b);
    return n;
}

static bool names_field(const json_t *details, const char *field)
{
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d) if (!strcmp(json_string_value(json_object_get(d, "field")), field)) return true;
    return false;
}

Test(voice_record, design_create_needs_name_language_prompt)
{
    json_t *d;
    cr_assert_eq(problems("{}", VOICE_FIELDS_CREATE_DESIGN, &d), 3);
    cr_assert(names_field(d, "display_name") && names_field(d, "language_primary") &&
              names_field(d, "voice_design_prompt"));
    json_decref(d);
    cr_assert_eq(problems("{\"display_name\":\"A\",\"language_primary\":\"en\",\"voice_design_prompt\":\"deep\"}",
                          VOICE_FIELDS_CREATE_DESIGN, &d),
                 0);
    json_decref(d);
}

Test(voice_record, each_field_check)
{
    const char *bad[] = {
        "{\"display_name\":\"\"}", "{\"display_name\":\"a\\u0001b\"}", "{\"language_primary\":\"EN\"}",
        "{\"language_primary\":\"eng\"}", "{\"gender_hint\":\"man\"}", "{\"age_hint\":\"old\"}",
        "{\"style_tags\":[\"\"]}", "{\"style_tags\":\"calm\"}", "{\"language_supported\":[\"en\",\"xx-yy\"]}",
        "{\"description\":7}", "{\"colour\":\"red\"}", NULL};
    for (size_t i = 0; bad[i]; i++) {
        json_t *d;
        cr_assert_gt(problems(bad[i], VOICE_FIELDS_PATCH, &d), 0,
                     "%s", bad[i]);
        json_decref(d);
    }
}

Test(voice_record, patch_rules)
{
    json_t *d;
    cr_assert_eq(problems("{}", VOICE_FIELDS_PATCH, &d), 1, "an empty PATCH");
    json_decref(d);
    cr_assert_eq(problems("{\"language_primary\":\"fr\"}", VOICE_FIELDS_PATCH, &d), 1, "not patchable");
    json_decref(d);
    cr_assert_eq(problems("{\"consent_text\":\"x\"}", VOICE_FIELDS_PATCH, &d), 1, "a create-only field");
    json_decref(d);
    cr_assert_eq(problems("{\"display_name\":\"B\",\"style_tags\":[\"warm\"],\"language_supported\":[\"en-GB\"]}",
                          VOICE_FIELDS_PATCH, &d),
                 0);
    json_decref(d);
    cr_assert_eq(problems("{\"voice_design_prompt\":\"deep\",\"display_name\":\"A\",\"language_primary\":\"en\"}",
                          VOICE_FIELDS_CREATE_CLONE, &d),
                 1, "a prompt in clone mode");
    json_decref(d);
}

Test(voice_record, new_record_patch_and_public_view)
{
    json_t *body = json_pack("{s:s,s:s,s:s}", "display_name", "N", "language_primary", "en", "voice_design_prompt",
                             "deep male");
    json_t *design = json_pack("{s:s}", "gender", "male");
    json_t *v = voice_record_new("vc_x", "tn_1", "usr_1", "design", "scaispeak-hts-en", body, design,
                                 1764944401123, "0001764944401123:vc_x");
    cr_assert_not_null(v);
    cr_assert_str_eq(json_string_value(json_object_get(v, "scope")), "user");
    cr_assert_str_eq(json_string_value(json_object_get(v, "created_at")), "2025-12-05T14:20:01.123Z");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(v, "language_supported"), 0)), "en");
    cr_assert_str_eq(json_string_value(json_object_get(v, "design_prompt")), "deep male");
    cr_assert(json_is_null(json_object_get(v, "gender_hint")));
    json_t *patch = json_pack("{s:s}", "description", "d");
    json_t *p = voice_record_patched(v, patch, 1764944402000);
    cr_assert_str_eq(json_string_value(json_object_get(p, "description")), "d");
    cr_assert_str_eq(json_string_value(json_object_get(p, "updated_at")), "2025-12-05T14:20:02.000Z");
    cr_assert_str_eq(json_string_value(json_object_get(p, "created_at")), "2025-12-05T14:20:01.123Z");
    json_t *pub = voice_record_public(p);
    cr_assert_null(json_object_get(pub, "_index"));
    cr_assert_not_null(json_object_get(p, "_index"));
    cr_assert_eq(json_object_size(pub) + 1, json_object_size(p));
    json_decref(pub);
    json_decref(p);
    json_decref(patch);
    json_decref(v);
    json_decref(design);
    json_decref(body);
}
