/* Unit tests for gateway/ws_sentences: text streamed word by word comes out
 * as whole sentences, never cut inside one, and a flush hands out the rest. */
#include "gateway/ws_sentences.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Feeds `text` in pieces of `step` bytes; collects the sentences, joined by '|'. */
static void feed(const char *text, size_t step, bool flush_at_end, char *out, size_t cap)
{
    ws_sentences s = {0};
    out[0] = '\0';
    size_t n = strlen(text);
    bool oom = false;
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        cr_assert_eq(ws_sentences_append(&s, text + i, k, 1 << 20), WS_SENTENCES_OK);
        char *sent;
        while ((sent = ws_sentences_next(&s, false, &oom))) {
            strncat(out, sent, cap - strlen(out) - 2);
            strcat(out, "|");
            free(sent);
        }
        cr_assert(!oom);
    }
    char *sent;
    while (flush_at_end && (sent = ws_sentences_next(&s, true, &oom))) {
        strncat(out, sent, cap - strlen(out) - 2);
        strcat(out, "|");
        free(sent);
    }
    ws_sentences_free(&s);
}

Test(ws_sentences, whole_sentences_whatever_the_piece_size)
{
    const char *text = "Hello there. How are you today? I am fine! Thanks.";
    for (size_t step = 1; step < 20; step++) {
        char out[512];
        feed(text, step, false, out, sizeof out);
        cr_assert_str_eq(out, "Hello there.|How are you today?|I am fine!|", "step %zu", step);
        feed(text, step, true, out, sizeof out);
        cr_assert_str_eq(out, "Hello there.|How are you today?|I am fine!|Thanks.|", "step %zu", step);
    }
}

Test(ws_sentences, periods_that_do_not_end_a_sentence)
{
    char out[512];
    feed("Pi is 3.14 and Mr. Smith met J. Doe at example.com today. Next one. ", 3, false, out,
         sizeof out);
    cr_assert_str_eq(out, "Pi is 3.14 and Mr. Smith met J. Doe at example.com today.|Next one.|");
}

Test(ws_sentences, closing_quotes_and_paragraphs)
{
    char out[512];
    feed("He said \"stop.\" Then\n\nnew paragraph ", 1, false, out, sizeof out);
    cr_assert_str_eq(out, "He said \"stop.\"|Then|");
}

Test(ws_sentences, cjk_ends_and_utf8_kept_whole)
{
    char out[512];
    feed("\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82\xe5\x86\x8d\xe8\xa7\x81", 1, true, out, sizeof out);
    cr_assert_str_eq(out, "\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82|\xe5\x86\x8d\xe8\xa7\x81|");
}

Test(ws_sentences, white_space_only_is_not_a_sentence)
{
    char out[64];
    feed("   \n\n  ", 1, true, out, sizeof out);
    cr_assert_str_eq(out, "");
}

Test(ws_sentences, the_limit_is_kept_and_clear_empties)
{
    ws_sentences s = {0};
    cr_assert_eq(ws_sentences_append(&s, "abcdef", 6, 8), WS_SENTENCES_OK);
    cr_assert_eq(ws_sentences_append(&s, "ghi", 3, 8), WS_SENTENCES_OVER_LIMIT);
    cr_assert_eq(ws_sentences_buffered(&s), 6);
    ws_sentences_clear(&s);
    cr_assert_eq(ws_sentences_buffered(&s), 0);
    bool oom;
    cr_assert_null(ws_sentences_next(&s, true, &oom));
    ws_sentences_free(&s);
}

/* Found by fuzz_ws_sentences: an empty first delta copied from a NULL
 * buffer (undefined behaviour, fatal under UBSan). */
Test(ws_sentences, an_empty_first_delta_is_nothing)
{
    ws_sentences s = {0};
    cr_assert_eq(ws_sentences_append(&s, "", 0, 1 << 20), WS_SENTENCES_OK);
    cr_assert_eq(ws_sentences_buffered(&s), 0);
    bool oom = false;
    cr_assert_null(ws_sentences_next(&s, true, &oom));
    cr_assert_eq(ws_sentences_append(&s, "Hi there. ", 10, 1 << 20), WS_SENTENCES_OK);
    char *first = ws_sentences_next(&s, false, &oom);
    cr_assert_str_eq(first, "Hi there.");
    free(first);
    ws_sentences_free(&s);
}
