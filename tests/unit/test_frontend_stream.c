/* Unit tests for the streamed front end (frontend.h's ss_frontend_stream,
 * text_stream.c's windowed normalisation): a plain text read window by
 * window gives exactly the tokens of the text read at once, even with
 * multi-token readings (dates, times, money, units, "÷") cut across
 * windows; the sentences come before the text has been read to its end;
 * and analysing a long text sentence by sentence does not grow the
 * process's memory. */
#include "tests/unit/long_text_memory.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/frontend.h"
#include "node/engine/frontend/text_normalize.h"
#include "node/engine/frontend/text_stream.h"

static ss_frontend *fe;
static void setup(void)
{
    char err[256];
    fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
}
static void teardown(void)
{
    ss_frontend_free(fe);
}

TestSuite(frontend_stream, .init = setup, .fini = teardown, .timeout = 120);

/* Readings that take several raw tokens or look at their neighbours, plus
 * characters that clean into several raw tokens. */
static const char *const TRICKY[] = {
    "On Jan. 3, 2024 we met.", "It opened December 31, 1999 at 10:30 a.m. sharp.", "Call 555-123-4567 now!",
    "It costs $2.5 million, or $1,200.", "Walk 5 km at 3:15 pm.", "In 1999 the 1990s ended.",
    "Dr. Smith lives on Elm St. in Boston.", "Mr. Jones -- wait -- no.", "6\xc3\xb7" "2 is 3\xc3\x97" "1.",
    "\xe2\x80\x9cHi,\xe2\x80\x9d she said\xe2\x80\xa6 yes.", "Since 2005, by 2024, 20\xc2\xb0 and 250 ml.",
    "The man's dog and it's fine.", "Visit https://example.com/a or mail bob@example.com today.",
    "She came 1st, he 22nd; 45% and 3/4 of 24/7.", "wait\xe2\x80\x94now", "ok \xf0\x9f\x98\x80 fine",
    "Mar 15 at 17:05.", "\xe2\x82\xac" "5 and \xc2\xa3" "3.20 each.", "A B C. NASA and the FBI.",
};

/* A long text of TRICKY fragments with varying white space between them,
 * so that window ends fall on every kind of reading. */
static char *tricky_text(size_t want, size_t *len)
{
    char *t = malloc(want + 256);
    cr_assert_not_null(t);
    size_t n = 0;
    for (size_t k = 0; n < want; k++) {
        const char *f = TRICKY[k % (sizeof TRICKY / sizeof TRICKY[0])];
        size_t fl = strlen(f);
        memcpy(t + n, f, fl);
        n += fl;
        for (size_t s = 0; s < 1 + k % 3; s++) t[n++] = (k % 7 == 0) ? '\n' : ' ';
    }
    t[n] = 0;
    *len = n;
    return t;
}

static void expect_same_token(const ss_token *a, const ss_token *b, size_t i)
{
    cr_assert_str_eq(a->word, b->word, "token %zu", i);
    cr_assert_eq(a->src_start, b->src_start, "token %zu (%s)", i, a->word);
    cr_assert_eq(a->src_end, b->src_end, "token %zu (%s)", i, a->word);
    cr_assert_eq(a->punct, b->punct, "token %zu (%s)", i, a->word);
    cr_assert_eq(a->sentence_end, b->sentence_end, "token %zu (%s)", i, a->word);
    cr_assert_eq(a->phrase_break, b->phrase_break, "token %zu", i);
    cr_assert_eq(a->pause_ms, b->pause_ms, "token %zu", i);
    cr_assert_eq(!a->phones, !b->phones, "token %zu", i);
}

Test(frontend_stream, windows_give_the_tokens_of_the_whole_text)
{
    size_t len;
    char *text = tricky_text(40 * SS_TEXT_WINDOW, &len);
    char err[256];
    ss_token_list whole = {0}, windowed = {0};
    cr_assert_eq(ss_normalize(text, len, NULL, 0, SS_READ_AUTO, &whole, err, sizeof err), 0, "%s", err);
    ss_text_stream ts;
    ss_text_stream_init(&ts, text, len);
    size_t reads = 0;
    while (!ts.done) {
        cr_assert_eq(ss_text_stream_read(&ts, &windowed, err, sizeof err), 0, "%s", err);
        reads++;
    }
    cr_expect_geq(reads, 30, "the text was read in windows (%zu reads)", reads);
    cr_assert_eq(windowed.n, whole.n, "token counts");
    for (size_t i = 0; i < whole.n; i++) expect_same_token(&whole.v[i], &windowed.v[i], i);
    ss_token_list_free(&whole);
    ss_token_list_free(&windowed);
    free(text);
}

Test(frontend_stream, long_tokens_and_blank_runs_grow_the_window)
{
    /* A token longer than a window, then a run of white space longer than
     * one, then words: read as the whole text is. */
    size_t len = 3 * SS_TEXT_WINDOW + 3 * SS_TEXT_WINDOW + 64;
    char *text = malloc(len + 1);
    cr_assert_not_null(text);
    memcpy(text, "Start here. ", 12);
    for (size_t i = 12; i < 3 * SS_TEXT_WINDOW; i++) text[i] = "abcdefg"[i % 7];
    memset(text + 3 * SS_TEXT_WINDOW, ' ', 3 * SS_TEXT_WINDOW);
    memcpy(text + 6 * SS_TEXT_WINDOW, " in 1999 we met at 10:30 a.m. on Jan. 3, 2024 and left. The end.", 64);
    text[len] = 0;
    char err[256];
    ss_token_list whole = {0}, windowed = {0};
    cr_assert_eq(ss_normalize(text, len, NULL, 0, SS_READ_AUTO, &whole, err, sizeof err), 0, "%s", err);
    ss_text_stream ts;
    ss_text_stream_init(&ts, text, len);
    while (!ts.done) cr_assert_eq(ss_text_stream_read(&ts, &windowed, err, sizeof err), 0, "%s", err);
    cr_assert_eq(windowed.n, whole.n);
    for (size_t i = 0; i < whole.n; i++) expect_same_token(&whole.v[i], &windowed.v[i], i);
    ss_token_list_free(&whole);
    ss_token_list_free(&windowed);
    free(text);
}

Test(frontend_stream, sentences_equal_the_whole_analysis)
{
    size_t len;
    char *text = tricky_text(6 * SS_TEXT_WINDOW, &len);
    char err[256];
    ss_utterance *u;
    cr_assert_eq(ss_frontend_analyze(fe, text, len, NULL, &u, err, sizeof err), 0, "%s", err);
    ss_frontend_stream *st;
    cr_assert_eq(ss_frontend_stream_open(fe, text, len, NULL, &st, err, sizeof err), 0, "%s", err);
    ss_sentence s;
    size_t k = 0;
    int rc;
    while ((rc = ss_frontend_stream_next(st, &s, err, sizeof err)) == 1) {
        cr_assert_lt(k, u->n_sentences);
        cr_assert_eq(s.n_phones, u->sentences[k].n_phones, "sentence %zu", k);
        for (size_t p = 0; p < s.n_phones; p++)
            cr_assert_str_eq(s.labels[p], u->sentences[k].labels[p], "sentence %zu phone %zu", k, p);
        ss_sentence_clear(&s);
        k++;
    }
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(k, u->n_sentences);
    ss_frontend_stream_free(st);
    ss_utterance_free(u);
    free(text);
}


/* 200 KB of plain text, analysed sentence by sentence to its end: the first
 * sentence comes after one window of the text has been read, and the peak
 * memory after the last sentence is that after the first few (analysed
 * whole, this text's labels alone take about 40 MB). */
Test(frontend_stream, a_long_text_is_analysed_in_bounded_memory)
{
    static const char *const S[] = {"The birch canoe slid on the smooth planks. ",
                                    "Glue the sheet to the dark blue background. ",
                                    "It's easy to tell the depth of a well. ",
                                    "These days a chicken leg is a rare dish. "};
    size_t len;
    char *text = long_text(S, 4, 200 * 1024, &len);
    cr_assert_not_null(text);
    char err[256];
    ss_frontend_stream *st;
    cr_assert_eq(ss_frontend_stream_open(fe, text, len, NULL, &st, err, sizeof err), 0, "%s", err);
    ss_sentence s;
    size_t k = 0, phones = 0;
    long early_kb = 0;
    int rc;
    while ((rc = ss_frontend_stream_next(st, &s, err, sizeof err)) == 1) {
        if (k == 0)
            cr_expect_leq(ss_frontend_stream_bytes_read(st), 2 * SS_TEXT_WINDOW,
                          "first sentence after %zu bytes read", ss_frontend_stream_bytes_read(st));
        phones += s.n_phones;
        ss_sentence_clear(&s);
        if (++k == 64) early_kb = vm_hwm_kb();
    }
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(ss_frontend_stream_bytes_read(st), len);
    ss_frontend_stream_free(st);
    long end_kb = vm_hwm_kb();
    cr_expect_geq(k, 4000, "%zu sentences", k);
    cr_expect_geq(phones, 100000, "%zu phones", phones);
    if (RSS_IS_MEANINGFUL)
        cr_expect_lt(end_kb - early_kb, 4096, "peak RSS grew from %ld KiB to %ld KiB over the text", early_kb,
                 end_kb);
    free(text);
}
