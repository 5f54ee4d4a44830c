/* Unit tests for node/engine/clustergen/cg_ssml_runs.c: an SSML document becomes runs of
 * words of equal prosody for the clustergen voices; a <break> ends a run
 * and keeps its pause; a prosody change starts a new run with its rate and
 * pitch; each word keeps its range in the document; malformed SSML is an
 * error with the parser's message. */
#include "node/engine/clustergen/cg_ssml_runs.h"

#include <criterion/criterion.h>
#include <string.h>

static ss_cg_run *runs_of(const char *doc, size_t *n)
{
    char err[256];
    ss_cg_run *r = NULL;
    cr_assert_eq(ss_cg_ssml_runs(doc, strlen(doc), &r, n, err, sizeof err), 0, "%s", err);
    return r;
}

Test(cg_ssml_runs, break_and_prosody_cut_runs)
{
    const char *doc = "<speak>Hello there.<break time='500ms'/> "
                      "<prosody rate='50%' pitch='+2st'>Slow words</prosody> end</speak>";
    size_t n = 0;
    ss_cg_run *r = runs_of(doc, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(r[0].text, "hello there.");
    cr_assert_eq(r[0].pause_ms, 500);
    cr_assert_float_eq(r[0].rate, 1.0, 1e-9);
    cr_assert_str_eq(r[1].text, "slow words");
    cr_assert_float_eq(r[1].rate, 0.5, 1e-9);
    cr_assert_float_eq(r[1].pitch_st, 2.0, 1e-9);
    cr_assert_eq(r[1].pause_ms, 0);
    cr_assert_str_eq(r[2].text, "end");
    cr_assert_eq(r[0].nwords, 2);
    cr_assert(!strncmp(doc + r[0].words[0].start, "Hello", 5));
    cr_assert(!strncmp(doc + r[1].words[1].start, "words", 5));
    ss_cg_runs_free(r, n);
}

Test(cg_ssml_runs, malformed_ssml_is_an_error)
{
    char err[256] = "";
    ss_cg_run *r = NULL;
    size_t n = 0;
    const char *doc = "<speak>Hello <break time='1s'> there.</speak>";
    cr_assert_eq(ss_cg_ssml_runs(doc, strlen(doc), &r, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "SSML"), "%s", err);
    cr_assert_null(r);
    cr_assert_eq(n, 0);
}
