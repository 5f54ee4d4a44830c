/* Unit tests for node/engine/acoustic/question_match: compiled pattern kinds
 * agree with a plain glob. */
#include "node/engine/acoustic/question_match.h"

#include <criterion/criterion.h>
#include <string.h>

static bool match(const char *pat, const char *s)
{
    ss_pattern p;
    char err[128];
    cr_assert_eq(ss_pattern_compile(pat, &p, err, sizeof err), 0);
    bool r = ss_pattern_match(&p, s, strlen(s));
    cr_assert_eq(r, ss_glob_match(pat, s), "compiled and plain glob disagree on %s / %s", pat, s);
    ss_pattern_free(&p);
    return r;
}

static const char *LAB = "pau^dh-ax+b=er@2_1/A:0_0_0/B:0-0-2@1-1&1-9#1-7$1-3!0-1;0-1|ax/C:1+1+3/J:9+8-1";

Test(question_match, kinds)
{
    ss_pattern p;
    char err[128];
    ss_pattern_compile("*-ax+*", &p, err, sizeof err);
    cr_assert_eq(p.kind, SS_PAT_SUBSTR);
    ss_pattern_free(&p);
    ss_pattern_compile("pau^*", &p, err, sizeof err);
    cr_assert_eq(p.kind, SS_PAT_PREFIX);
    ss_pattern_free(&p);
    ss_pattern_compile("*-1", &p, err, sizeof err);
    cr_assert_eq(p.kind, SS_PAT_SUFFIX);
    ss_pattern_free(&p);
    ss_pattern_compile("*/J:?+*", &p, err, sizeof err);
    cr_assert_eq(p.kind, SS_PAT_GLOB);
    ss_pattern_free(&p);
}

Test(question_match, hts_cases)
{
    cr_assert(match("*-ax+*", LAB));
    cr_assert_not(match("*-a+*", LAB));
    cr_assert(match("pau^*", LAB));
    cr_assert_not(match("dh^*", LAB));
    cr_assert(match("*/J:?+*", LAB));
    cr_assert_not(match("*/J:??+*", LAB));
    cr_assert(match("*-1", LAB));
    cr_assert_not(match("*-2", LAB));
    cr_assert(match("*@2_*", LAB));
    cr_assert(match("*", LAB));
    cr_assert(match(LAB, LAB));
    cr_assert_not(match("*[*", LAB)); /* '[' is literal */
    cr_assert(match("*|ax/C:*", LAB));
    cr_assert(match("?au^*", LAB));
}

Test(question_match, question_any_pattern)
{
    ss_question q = {.name = NULL, .npats = 2};
    q.pats = calloc(2, sizeof *q.pats);
    char err[64];
    ss_pattern_compile("*-iy+*", &q.pats[0], err, sizeof err);
    ss_pattern_compile("*-ax+*", &q.pats[1], err, sizeof err);
    cr_assert(ss_question_match(&q, LAB, strlen(LAB)));
    ss_question_free(&q);
}
