/* A streaming multipart/form-data parser (RFC 7578 on RFC 2046's framing),
 * for uploads such as POST /voices (a 25 MB reference clip must not sit in
 * memory twice).
 *
 * Use: ss_multipart_new with the request's Content-Type header (the
 * boundary is taken from it: quoted or not, 1..70 characters of RFC 2046's
 * bchars, not ending in a space), then ss_multipart_feed with the body's
 * bytes as they arrive — any split, down to one byte per call, gives the same
 * parts and bytes — then ss_multipart_finish once the body is complete. The
 * callbacks report each part: on_part_begin (its headers, parsed), then
 * on_part_data any number of times, then on_part_end. The parser never
 * reads past the bytes given and copies no part body: on_part_data points
 * into the buffer passed to feed, except for the few bytes (at most the
 * delimiter's length, 74) held back while a possible boundary straddles two
 * feeds, which are handed over from the parser's own storage once they turn
 * out to be data. A part's data arrives in as many pieces as the splits of
 * the input make; only their concatenation is defined.
 *
 * Framing (RFC 2046 §5.1.1, exact): a delimiter is CRLF "--" boundary at
 * the start of a line (the first one may open the body, without the CRLF);
 * it is followed by optional spaces/tabs and CRLF (a part follows) or by
 * "--" (the close delimiter). Anything else after a boundary is an error,
 * not data. Bytes before the first delimiter (preamble) and after the close
 * delimiter (epilogue) are ignored. A body with no part ("--b--") is valid.
 *
 * Part headers (up to the blank line) are limited in total bytes
 * (limits.max_header_bytes) and must be CRLF-terminated lines of
 * `Name: value`; folded lines, bare CR or LF and control characters are
 * errors. Content-Disposition must be `form-data` with a `name`; its
 * parameters may be tokens or quoted strings (`\"` and `\\` are unescaped,
 * other backslashes kept: browsers send Windows-free basenames and
 * percent-encode `"` as %22, which is passed through undecoded). `filename`
 * is reported; `filename*` (RFC 5987) is ignored, as RFC 7578 §4.2 forbids
 * senders to use it. Content-Type is reported as sent (NULL when absent; RFC
 * 7578's default is text/plain). Other headers (Content-Transfer-Encoding
 * included) are ignored. Parts beyond limits.max_parts are an error.
 *
 * Errors stop the parser for good: feed and finish return the same code
 * again, and ss_multipart_message says what happened. A callback that
 * returns non-zero stops it too (SS_MULTIPART_ABORTED), for limits of the
 * caller's own (a field too long, a file too large).
 *
 * Threads: a parser belongs to one thread at a time; no global state. */
#ifndef SS_COMMON_MULTIPART_H
#define SS_COMMON_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define SS_MULTIPART_BOUNDARY_MAX 70
#define SS_MULTIPART_DEFAULT_HEADER_BYTES 8192
#define SS_MULTIPART_DEFAULT_MAX_PARTS 32

typedef enum {
    SS_MULTIPART_OK = 0,
    SS_MULTIPART_NOT_FORM_DATA,   /* Content-Type is not multipart/form-data */
    SS_MULTIPART_NO_BOUNDARY,     /* no boundary parameter */
    SS_MULTIPART_BAD_BOUNDARY,    /* empty, over 70, or characters outside bchars */
    SS_MULTIPART_BAD_DELIMITER,   /* a boundary followed by neither CRLF nor "--" */
    SS_MULTIPART_BAD_HEADER,      /* a part header line or Content-Disposition is malformed */
    SS_MULTIPART_HEADER_TOO_LONG, /* a part's header block over max_header_bytes */
    SS_MULTIPART_TOO_MANY_PARTS,  /* more than max_parts */
    SS_MULTIPART_TRUNCATED,       /* finish() before the close delimiter */
    SS_MULTIPART_ABORTED,         /* a callback returned non-zero */
    SS_MULTIPART_NO_MEMORY,
} ss_multipart_error;

/* One part's headers, valid from on_part_begin until on_part_end returns. */
typedef struct {
    const char *name;         /* Content-Disposition name (never NULL) */
    const char *filename;     /* NULL when the part has none (a plain field) */
    const char *content_type; /* NULL when absent */
    unsigned index;           /* 0 for the first part */
} ss_multipart_part;

/* Return 0 to go on, non-zero to stop (the parser ends SS_MULTIPART_ABORTED). */
typedef struct {
    int (*on_part_begin)(void *ctx, const ss_multipart_part *part);
    int (*on_part_data)(void *ctx, const uint8_t *data, size_t len);
    int (*on_part_end)(void *ctx);
} ss_multipart_callbacks;

typedef struct {
    size_t max_header_bytes; /* 0: SS_MULTIPART_DEFAULT_HEADER_BYTES */
    unsigned max_parts;      /* 0: SS_MULTIPART_DEFAULT_MAX_PARTS */
} ss_multipart_limits;

typedef struct ss_multipart ss_multipart;

/* Stable lower-case name of an error code ("header_too_long", ...). */
const char *ss_multipart_error_name(ss_multipart_error e);

/* The boundary of a Content-Type value (out: at least
 * SS_MULTIPART_BOUNDARY_MAX + 1 bytes). 0, or an error code with err. */
ss_multipart_error ss_multipart_boundary(const char *content_type, char *out, char *err,
                                         size_t errlen);

/* A parser for one body. limits may be NULL (defaults); callbacks may leave
 * functions NULL. NULL on failure, with *code (may be NULL) and err. */
ss_multipart *ss_multipart_new(const char *content_type, const ss_multipart_limits *limits,
                               const ss_multipart_callbacks *callbacks, void *ctx,
                               ss_multipart_error *code, char *err, size_t errlen);
/* Parses len more bytes of the body. */
ss_multipart_error ss_multipart_feed(ss_multipart *p, const uint8_t *data, size_t len);
/* The body is complete: OK once the close delimiter was seen. */
ss_multipart_error ss_multipart_finish(ss_multipart *p);
/* What the last error was ("" while there is none). */
const char *ss_multipart_message(const ss_multipart *p);
/* Parts whose opening delimiter has been read (on an error in a part's
 * headers, that part counts but had no on_part_begin). */
unsigned ss_multipart_parts(const ss_multipart *p);
void ss_multipart_free(ss_multipart *p); /* NULL is fine */

#endif
