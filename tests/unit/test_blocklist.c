/* Unit tests for gateway/blocklist's text match (blocklist_match, the pure
 * part; the /admin/blocklist handlers run against Redis in
 * tests/integration/test_tenant_controls.py). A `text` entry blocks any text
 * that contains its pattern, case-insensitively after folding runs of white
 * space; `speaker` entries and empty patterns never match text; the first
 * matching entry's id is returned. */
#include "gateway/blocklist.h"

#include <criterion/criterion.h>

static json_t *entries(const char *json)
{
    json_t *e = json_loads(json, 0, NULL);
    cr_assert(json_is_array(e), "%s", json);
    return e;
}

Test(blocklist, text_entries_match_folded_case_and_space)
{
    json_t *e = entries("[{\"id\":\"bl_1\",\"kind\":\"text\",\"pattern\":\"Secret   Plan\"}]");
    cr_assert_str_eq(blocklist_match(e, "the secret plan is out"), "bl_1");
    cr_assert_str_eq(blocklist_match(e, "THE SECRET\n\t PLAN"), "bl_1");
    cr_assert_str_eq(blocklist_match(e, "  secret plan"), "bl_1");
    cr_assert_null(blocklist_match(e, "a secretplan"), "white space is folded, not removed");
    cr_assert_null(blocklist_match(e, "the secret is the plan"));
    cr_assert_null(blocklist_match(e, ""));
    json_decref(e);
}

Test(blocklist, only_text_entries_with_a_pattern_count)
{
    json_t *e = entries("[{\"id\":\"bl_s\",\"kind\":\"speaker\",\"voice_id\":\"vc_x\",\"pattern\":\"hello\"},"
                        "{\"id\":\"bl_e\",\"kind\":\"text\",\"pattern\":\"\"},"
                        "{\"id\":\"bl_w\",\"kind\":\"text\",\"pattern\":\"   \"},"
                        "{\"id\":\"bl_n\",\"kind\":\"text\"},"
                        "{\"id\":\"bl_k\",\"pattern\":\"hello\"},"
                        "{\"id\":\"bl_t\",\"kind\":\"text\",\"pattern\":\"world\"}]");
    cr_assert_null(blocklist_match(e, "hello there"));
    cr_assert_str_eq(blocklist_match(e, "hello world"), "bl_t");
    json_decref(e);
    json_t *none = json_array();
    cr_assert_null(blocklist_match(none, "anything"));
    json_decref(none);
}

Test(blocklist, first_matching_entry_wins)
{
    json_t *e = entries("[{\"id\":\"bl_a\",\"kind\":\"text\",\"pattern\":\"forbidden\"},"
                        "{\"id\":\"bl_b\",\"kind\":\"text\",\"pattern\":\"word\"}]");
    cr_assert_str_eq(blocklist_match(e, "a word that is forbidden"), "bl_a");
    cr_assert_str_eq(blocklist_match(e, "just a word"), "bl_b");
    json_decref(e);
}
