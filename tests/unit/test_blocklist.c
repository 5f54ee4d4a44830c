/* Unit tests for the blocklist check (gateway/blocklist.c): folding, the
 * first matching text entry, speaker entries ignored, and failing closed on
 * an entry that cannot be read. */
#include "gateway/blocklist.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --- the normaliser */

static void normalised(const char *text, unsigned how, const char *want)
{
    char *got = blocklist_normalise(text, how);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, want, "normalise(\"%s\", %u)", text, how);
    free(got);
}

Test(blocklist, normalise_folds_case_space_punctuation_and_entities)
{
    normalised("", 0, " ");
    normalised("  Secret\t\nWORD!  ", 0, " secret word ");
    normalised("secret-word", 0, " secret word ");
    normalised("secret\xE2\x80\x94word", 0, " secret word "); /* em dash */
    normalised("secret&#32;word", 0, " secret word ");
    normalised("secret&#x20;word &amp; more", 0, " secret word more ");
    normalised("s&#101;cret&nbsp;word", 0, " secret word ");
    normalised("&unknown; &#0; &#xZZ;", 0, " unknown 0 xzz ");
    normalised("caf\xC3\xA9", 0, " caf\xC3\xA9 "); /* non-ASCII letters are kept */
}

Test(blocklist, normalise_reads_ssml_as_its_words)
{
    normalised("<speak>secret<break time=\"1s\"/>word</speak>", BLOCKLIST_AS_SSML, " secret word ");
    normalised("sec<!-- x > y -->ret", BLOCKLIST_AS_SSML, " secret ");
    normalised("sec<!-- x > y -->ret", BLOCKLIST_AS_SSML | BLOCKLIST_TAGS_SPLIT, " sec ret ");
    normalised("a<emphasis>b</emphasis>c<break/>d<s>e</s>", BLOCKLIST_AS_SSML, " abc d e ");
    normalised("a<emphasis>b</emphasis>c", BLOCKLIST_AS_SSML | BLOCKLIST_TAGS_SPLIT, " a b c ");
    normalised("a &lt;b&gt; c", BLOCKLIST_AS_SSML, " a b c "); /* entities are text, not tags */
    normalised("a < b", BLOCKLIST_AS_SSML, " a b ");           /* an unterminated '<' stays text */
    normalised("x<b>y", 0, " x b y ");                         /* plain reading keeps the tag's words */
}

Test(blocklist, normalise_zero_width_joins_or_splits)
{
    normalised("sec\xE2\x80\x8Bret", 0, " secret ");
    normalised("sec\xE2\x80\x8Bret", BLOCKLIST_ZERO_WIDTH_SPLITS, " sec ret ");
    normalised("a\xC2\xAD" "b\xEF\xBB\xBF" "c\xE2\x81\xA0" "d\xE2\x80\x8D" "e", 0, " abcde ");
    normalised("\xE2\x80\x8B", 0, " ");
    normalised("bad\xFFword", 0, " bad word "); /* invalid UTF-8 separates */
}

Test(blocklist, bypasses_are_blocked_and_boundaries_respected)
{
    const char *e[] = {"{\"id\":\"bl_1\",\"kind\":\"text\",\"pattern\":\"Secret Word\"}"};
    const char *bypasses[] = {
        "say secret<break time=\"500ms\"/>word",
        "<speak>secret <break/> word</speak>",
        "secret&#32;word",
        "secret&#x20;word",
        "secret\xE2\x80\x8Bword",
        "se\xE2\x80\x8B" "cret word",
        "secret-word",
        "SeCrEt WoRd",
        "secret, word!",
        "secret...word",
        "secret&nbsp;word",
        "s<emphasis>ecr</emphasis>et word",
        "secret<emphasis>word</emphasis>",
        "<speak><s>secret</s><s>word</s></speak>",
    };
    char id[64], why[200];
    for (size_t i = 0; i < sizeof bypasses / sizeof bypasses[0]; i++)
        cr_assert_eq(check(e, 1, bypasses[i], id, why), BLOCKLIST_HIT, "bypass %zu: %s", i, bypasses[i]);
    cr_assert_eq(check(e, 1, "secretword", id, why), BLOCKLIST_PASS);
    cr_assert_eq(check(e, 1, "secret words", id, why), BLOCKLIST_PASS);

    const char *ass[] = {"{\"id\":\"bl_2\",\"kind\":\"text\",\"pattern\":\"ass\"}"};
    cr_assert_eq(check(ass, 1, "a class of glass", id, why), BLOCKLIST_PASS);
    cr_assert_eq(check(ass, 1, "you ass.", id, why), BLOCKLIST_HIT);
    cr_assert_eq(check(ass, 1, "ass", id, why), BLOCKLIST_HIT);
}

Test(blocklist, a_pattern_without_words_fails_closed)
{
    const char *e[] = {"{\"id\":\"bl_1\",\"kind\":\"text\",\"pattern\":\"--- !!\"}"};
    char id[64], why[200];
    cr_assert_eq(check(e, 1, "anything", id, why), BLOCKLIST_BROKEN);
    cr_assert(strstr(why, "no words"), "%s", why);
}
