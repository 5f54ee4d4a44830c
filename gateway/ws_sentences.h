/* Sentence segmentation of text streamed in pieces (/stream/speak's
 * `text` deltas, API.md §3).
 *
 * A talking agent sends an LLM's tokens as they come; each complete
 * sentence should be synthesised at once, and nothing should be cut in the
 * middle of one (a sentence synthesised in two calls gets two intonation
 * contours and a pause in the middle). The buffer keeps what has not been
 * handed out yet and hands out complete sentences only:
 *   - a run of . ! ? (or … 。 ！ ？) optionally followed by closing quotes or
 *     brackets, then white space: the white space proves the sentence ended
 *     (so "3.14" or "example.com" split nowhere, and a delta ending in "." waits
 *     for the next one);
 *   - a blank line (paragraph end);
 *   - not after a known abbreviation ("Mr.", "e.g.") or a single capital
 *     letter ("J. Smith"), where a period is not a sentence end.
 * A flush hands out whatever is buffered, complete or not. Leading white
 * space of a sentence is dropped; a sentence made only of white space is not
 * handed out. Cuts fall on ASCII bytes only, so UTF-8 stays whole.
 *
 * Pure: no I/O, no globals; one buffer per session. */
#ifndef SS_GATEWAY_WS_SENTENCES_H
#define SS_GATEWAY_WS_SENTENCES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *text;   /* not NUL-terminated beyond len */
    size_t len, cap;
    size_t scanned; /* bytes already known not to end a sentence */
} ws_sentences;

typedef enum {
    WS_SENTENCES_OK = 0,
    WS_SENTENCES_OVER_LIMIT = -1, /* the buffer would hold more than `limit` bytes */
    WS_SENTENCES_NO_MEMORY = -2,
} ws_sentences_status;

/* Appends n bytes, keeping the buffer at most `limit` bytes. */
ws_sentences_status ws_sentences_append(ws_sentences *s, const char *text, size_t n, size_t limit);
/* The next complete sentence (malloc'd, NUL-terminated, trimmed), or NULL
 * when none is complete; with `flush` the rest of the buffer counts as one.
 * *no_memory is set when NULL means out of memory. */
char *ws_sentences_next(ws_sentences *s, bool flush, bool *no_memory);
/* Bytes held. */
size_t ws_sentences_buffered(const ws_sentences *s);
/* Drops everything (interrupt). */
void ws_sentences_clear(ws_sentences *s);
void ws_sentences_free(ws_sentences *s);

#endif
