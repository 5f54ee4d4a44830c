/* Sentence segmentation of streamed text (see ws_sentences.h).
 *
 * The scan resumes where the last one stopped (s->scanned), so a text sent
 * one word at a time is scanned once in all, not once per word. A candidate
 * end needs the byte after it; a candidate at the buffer's end waits. */
#include "gateway/ws_sentences.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Words ending in a period that do not end a sentence. */
static const char *const ABBREVIATIONS[] = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e",
    "no", "fig", "approx", "inc", "ltd", "co", "mt", "u.s", "a.m", "p.m",
};

ws_sentences_status ws_sentences_append(ws_sentences *s, const char *text, size_t n, size_t limit)
{
    if (n == 0)
        return WS_SENTENCES_OK; /* an empty delta: s->text may still be NULL */
    if (s->len + n > limit)
        return WS_SENTENCES_OVER_LIMIT;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n)
            cap *= 2;
        char *g = realloc(s->text, cap);
        if (!g)
            return WS_SENTENCES_NO_MEMORY;
        s->text = g;
        s->cap = cap;
    }
    memcpy(s->text + s->len, text, n);
    s->len += n;
    return WS_SENTENCES_OK;
}

/* Whether the '.' at `dot` follows an abbreviation or a lone capital. */
static bool period_after_abbreviation(const char *text, size_t dot)
{
    size_t start = dot;
    while (start > 0 && !isspace((unsigned char)text[start - 1]) && text[start - 1] != '(' &&
           text[start - 1] != '"')
        start--;
    size_t wlen = dot - start;
    if (wlen == 1 && isupper((unsigned char)text[start]))
        return true;
    for (size_t i = 0; i < sizeof ABBREVIATIONS / sizeof ABBREVIATIONS[0]; i++)
        if (strlen(ABBREVIATIONS[i]) == wlen && strncasecmp(text + start, ABBREVIATIONS[i], wlen) == 0)
            return true;
    return false;
}

static bool closing_mark(char c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}';
}

/* A multi-byte sentence end (… 。 ！ ？) at i: its length, else 0. These
 * need no white space after them (CJK text has none). */
static size_t wide_end(const char *t, size_t len, size_t i)
{
    static const char *const ENDS[] = {"\xe2\x80\xa6", "\xe3\x80\x82", "\xef\xbc\x81", "\xef\xbc\x9f"};
    for (size_t k = 0; k < sizeof ENDS / sizeof ENDS[0]; k++)
        if (i + 3 <= len && memcmp(t + i, ENDS[k], 3) == 0)
            return 3;
    return 0;
}

/* The length of the first complete sentence (up to and including its end
 * marks), 0 when none is complete yet; *resume: where the next scan starts. */
static size_t complete_length(const char *t, size_t len, size_t from, size_t *resume)
{
    size_t i = from;
    while (i < len) {
        size_t w = wide_end(t, len, i);
        if (w) {
            *resume = 0;
            return i + w;
        }
        if (t[i] == '\n' && i + 1 < len && t[i + 1] == '\n') {
            *resume = 0;
            return i + 1;
        }
        if (t[i] != '.' && t[i] != '!' && t[i] != '?') {
            i++;
            continue;
        }
        size_t end = i;
        while (end < len && (t[end] == '.' || t[end] == '!' || t[end] == '?'))
            end++;
        while (end < len && closing_mark(t[end]))
            end++;
        if (end == len) { /* the next delta decides */
            *resume = i;
            return 0;
        }
        if (isspace((unsigned char)t[end]) && !(t[i] == '.' && end == i + 1 && period_after_abbreviation(t, i))) {
            *resume = 0;
            return end;
        }
        i = end;
    }
    *resume = len > 2 ? len - 2 : 0; /* a "\n" or a wide mark may complete with the next bytes */
    return 0;
}

static char *take(ws_sentences *s, size_t n, bool *no_memory)
{
    size_t a = 0;
    while (a < n && isspace((unsigned char)s->text[a]))
        a++;
    size_t b = n;
    while (b > a && isspace((unsigned char)s->text[b - 1]))
        b--;
    char *out = NULL;
    if (b > a) {
        out = malloc(b - a + 1);
        if (!out) {
            *no_memory = true;
            return NULL;
        }
        memcpy(out, s->text + a, b - a);
        out[b - a] = '\0';
    }
    memmove(s->text, s->text + n, s->len - n);
    s->len -= n;
    s->scanned = 0;
    return out;
}

char *ws_sentences_next(ws_sentences *s, bool flush, bool *no_memory)
{
    *no_memory = false;
    for (;;) {
        size_t resume = 0;
        size_t n = complete_length(s->text, s->len, s->scanned, &resume);
        if (n == 0) {
            s->scanned = resume;
            if (!flush || s->len == 0)
                return NULL;
            n = s->len;
        }
        char *out = take(s, n, no_memory);
        if (out || *no_memory)
            return out;
        /* only white space: look further */
    }
}

size_t ws_sentences_buffered(const ws_sentences *s)
{
    return s->len;
}

void ws_sentences_clear(ws_sentences *s)
{
    s->len = 0;
    s->scanned = 0;
}

void ws_sentences_free(ws_sentences *s)
{
    free(s->text);
    memset(s, 0, sizeof *s);
}
