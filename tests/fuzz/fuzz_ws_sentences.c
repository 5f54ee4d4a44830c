/* libFuzzer target: sentence segmentation of streamed text
 * (gateway/ws_sentences.c) the way a /stream/speak session drives it.
 *
 * Input: byte 0 is the delta separator, byte 1 picks the buffered-text
 * limit (16..2048 bytes) and after which deltas a flush comes; the rest is
 * cut into text deltas at each separator byte (NUL bytes are dropped: a
 * JSON delta cannot carry one). After each append every complete sentence
 * is taken out (and, where chosen, the rest with flush); a delta over the
 * limit is answered as a client would, with a flush, then tried once more
 * and dropped if it alone is too big. At the end everything is flushed.
 *
 * What ws_sentences.h promises is checked: the buffer never holds more than
 * the limit; a sentence is non-empty, with no white space at either end;
 * no text is lost, duplicated or reordered: the accepted deltas and the
 * sentences handed out are the same bytes once white space is left out
 * (leading and trailing white space is what a sentence drops); a flush
 * empties the buffer; and when every delta is UTF-8, so is every sentence
 * (cuts fall on ASCII bytes only). */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ws_sentences.h"
#include "fuzz_utf8.h"

typedef struct {
    char *bytes;
    size_t len;
} text;

/* Appends the non-white-space bytes of s[0..n) (isspace, as the trimming). */
static void keep_visible(text *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            t->bytes[t->len++] = s[i];
}


typedef struct {
    ws_sentences buf;
    size_t limit;
    text in, out;   /* visible bytes accepted / handed out */
    bool all_utf8;  /* every accepted delta was UTF-8 */
    bool no_memory; /* then nothing more is checked */
} run;

static void take_sentences(run *r, bool flush)
{
    bool no_memory = false;
    char *s;
    while ((s = ws_sentences_next(&r->buf, flush, &no_memory))) {
        size_t n = strlen(s);
        if (n == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
            __builtin_trap(); /* empty, or not trimmed */
        if (r->all_utf8 && !utf8_valid((const unsigned char *)s, n))
            __builtin_trap(); /* a cut inside a character */
        keep_visible(&r->out, s, n);
        free(s);
    }
    if (no_memory) {
        r->no_memory = true; /* reported as it must be */
        return;
    }
    if (flush && ws_sentences_buffered(&r->buf) != 0)
        __builtin_trap(); /* a flush hands out everything */
}

/* Appends one delta as ws_session.c does; over the limit: flush, retry. */
static void add_delta(run *r, const char *d, size_t n, bool flush_after)
{
    ws_sentences_status st = ws_sentences_append(&r->buf, d, n, r->limit);
    if (st == WS_SENTENCES_OVER_LIMIT) {
        take_sentences(r, true);
        st = ws_sentences_append(&r->buf, d, n, r->limit);
    }
    if (st == WS_SENTENCES_OK) {
        keep_visible(&r->in, d, n);
        if (!utf8_valid((const unsigned char *)d, n))
            r->all_utf8 = false;
    } else if (st == WS_SENTENCES_NO_MEMORY) {
        r->no_memory = true;
    } else if (n <= r->limit && !r->no_memory) {
        __builtin_trap(); /* an empty buffer refused what fits */
    }
    if (ws_sentences_buffered(&r->buf) > r->limit)
        __builtin_trap();
    take_sentences(r, flush_after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t sep = data[0];
    uint8_t pick = data[1];
    const char *rest = (const char *)data + 2;
    size_t n = size - 2;
    run r = {.limit = (size_t)16 << (pick & 7), .all_utf8 = true};
    r.in.bytes = malloc(n + 1);
    r.out.bytes = malloc(n + 1);
    char *delta = malloc(n + 1);
    if (!r.in.bytes || !r.out.bytes || !delta)
        goto done;
    size_t dlen = 0, index = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (uint8_t)rest[i] == sep) {
            add_delta(&r, delta, dlen, (pick >> 3) & (1u << (index % 5)));
            dlen = 0;
            index++;
        } else if (rest[i] != '\0') {
            delta[dlen++] = rest[i];
        }
    }
    take_sentences(&r, true);
    if (!r.no_memory && (r.in.len != r.out.len || memcmp(r.in.bytes, r.out.bytes, r.in.len) != 0))
        __builtin_trap(); /* text lost, duplicated or reordered */
done:
    ws_sentences_free(&r.buf);
    free(delta);
    free(r.in.bytes);
    free(r.out.bytes);
    return 0;
}
