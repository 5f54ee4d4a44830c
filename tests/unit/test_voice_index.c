/* Unit tests for the pure parts of gateway/voice_index.c: index members, the
 * cursor codec (round trip, and refusal of anything it did not make), the
 * list filters. The Redis walk is covered by test_voice_library.py. */
#include "gateway/voice_index.h"

#include <criterion/criterion.h>
#include <string.h>

Test(voice_index, member_sorts_by_time_then_id)
{
    char a[VOICE_INDEX_MEMBER_MAX], b[VOICE_INDEX_MEMBER_MAX];
    cr_assert_eq(voice_index_member(a, sizeof a, 1764944401123, "vc_a"), 0);
    cr_assert_str_eq(a, "0001764944401123:vc_a");
    cr_assert_eq(voice_index_member(b, sizeof b, 999, "vc_b"), 0);
    cr_assert(strcmp(b, a) < 0, "older sorts first in lex order");
    cr_assert_eq(voice_index_member(a, 10, 1, "vc_a"), -1, "too small a buffer");
}

Test(voice_index, cursor_round_trip)
{
    char c[VOICE_CURSOR_MAX], m[VOICE_INDEX_MEMBER_MAX];
    voice_segment seg;
    cr_assert_eq(voice_cursor_encode(VOICE_SEG_TENANT, "0001764944401123:vc_Ab9", c, sizeof c), 0);
    cr_assert_eq(voice_cursor_decode(c, &seg, m, sizeof m), 0);
    cr_assert_eq(seg, VOICE_SEG_TENANT);
    cr_assert_str_eq(m, "0001764944401123:vc_Ab9");
    cr_assert_eq(voice_cursor_encode(VOICE_SEG_GLOBAL, "", c, sizeof c), 0, "the top of a segment");
    cr_assert_eq(voice_cursor_decode(c, &seg, m, sizeof m), 0);
    cr_assert_eq(seg, VOICE_SEG_GLOBAL);
    cr_assert_str_eq(m, "");
}

Test(voice_index, cursor_refuses_what_it_did_not_make)
{
    char c[VOICE_CURSOR_MAX], m[VOICE_INDEX_MEMBER_MAX];
    voice_segment seg;
    const char *bad[] = {"", "zz", "abc", "7631", /* "v1" */
                         "76317c337c30303031373634393434343031313233", /* seg 3 */
                         "76317c317c3030303137363439343434303131323a76632d78", /* '-' in the id */
                         "76327c317c303030313736343934343430313132333a7663", /* "v2" */
                         NULL};
    for (size_t i = 0; bad[i]; i++)
        cr_assert_eq(voice_cursor_decode(bad[i], &seg, m, sizeof m), -1, "%s", bad[i]);
    cr_assert_eq(voice_cursor_decode(NULL, &seg, m, sizeof m), -1);
    cr_assert_eq(voice_cursor_encode(VOICE_SEG_USER, "0001764944401123:vc_x", c, 8), -1, "no room");
}

Test(voice_index, filters)
{
    json_t *v = json_pack("{s:s,s:s,s:s,s:[s,s],s:s,s:s,s:s,s:[s]}", "scope", "tenant", "display_name", "Old Man",
                          "language_primary", "en-GB", "language_supported", "en-GB", "fr", "gender_hint", "male",
                          "embedding_status", "ready", "description", "for stories", "style_tags", "Calm");
    voice_filter none = {0};
    cr_assert(voice_filter_matches(v, &none));
    struct {
        voice_filter f;
        bool want;
    } cases[] = {
        {{.language = "en"}, true},      {{.language = "en-GB"}, true}, {{.language = "en-US"}, false},
        {{.language = "fr"}, true},      {{.language = "de"}, false},   {{.scope = "tenant"}, true},
        {{.scope = "user"}, false},      {{.gender = "male"}, true},    {{.gender = "female"}, false},
        {{.q = "old"}, true},            {{.q = "STORIES"}, true},      {{.q = "calm"}, true},
        {{.q = "narrator"}, false},      {{.embedding_status = "ready"}, true},
        {{.embedding_status = "failed"}, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(voice_filter_matches(v, &cases[i].f), cases[i].want, "case %zu", i);
    json_decref(v);
}
