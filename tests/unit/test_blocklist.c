/* Unit tests for the blocklist check (gateway/blocklist.c): folding, the
 * first matching text entry, speaker entries ignored, and failing closed on
 * an entry that cannot be read. */
#include "gateway/blocklist.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static blocklist_verdict check(const char *const *entries, size_t n, const char *text, char *id,
                               char *why)
{
    size_t lens[8];
    const char *ids[8];
    char names[8][32];
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(entries[i]);
        snprintf(names[i], sizeof names[i], "bl_%zu", i); /* the hash field */
        ids[i] = names[i];
    }
    return blocklist_check(ids, entries, lens, n, text, id, 64, why, 200);
}

Test(blocklist, text_entries_match_folded)
{
    const char *e[] = {
        "{\"id\":\"bl_s\",\"kind\":\"speaker\",\"voice_id\":\"vc_1\"}",
        "{\"id\":\"bl_1\",\"kind\":\"text\",\"pattern\":\"Secret   Word\"}",
    };
    char id[64], why[200];
    cr_assert_eq(check(e, 2, "say the SECRET\n\tword now", id, why), BLOCKLIST_HIT);
    cr_assert_str_eq(id, "bl_1", "named by its hash field");
    cr_assert_eq(check(e, 2, "nothing to see", id, why), BLOCKLIST_PASS);
    cr_assert_str_eq(id, "");
    cr_assert_eq(check(e, 0, "anything", id, why), BLOCKLIST_PASS);
}

Test(blocklist, an_unreadable_entry_fails_closed)
{
    char id[64], why[200];
    const char *not_json[] = {"{\"id\":\"bl_1\",\"kind\":\"text\",\"pattern\":\"x\"}", "{broken"};
    cr_assert_eq(check(not_json, 2, "harmless", id, why), BLOCKLIST_BROKEN);
    cr_assert(strstr(why, "bl_1 is not JSON"), "%s", why);
    const char *no_pattern[] = {"{\"id\":\"bl_2\",\"kind\":\"text\"}"};
    cr_assert_eq(check(no_pattern, 1, "harmless", id, why), BLOCKLIST_BROKEN);
    cr_assert(strstr(why, "bl_0") && strstr(why, "without a pattern"), "%s", why);
    const char *odd_kind[] = {"{\"id\":\"bl_3\",\"kind\":\"image\"}", "[1,2]"};
    cr_assert_eq(check(odd_kind, 1, "harmless", id, why), BLOCKLIST_BROKEN);
    cr_assert_eq(check(odd_kind + 1, 1, "harmless", id, why), BLOCKLIST_BROKEN);
}
