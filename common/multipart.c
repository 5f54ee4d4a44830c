/* The streaming multipart/form-data parser (see multipart.h).
 *
 * A state machine over bytes, one state per place in RFC 2046's grammar
 * (preamble, the bytes after a boundary, part headers, part body,
 * epilogue), each a small function that consumes what it can of the fed
 * buffer and says where it stopped. The delimiter search (CRLF "--"
 * boundary) runs over the buffer with memchr for CR: CR occurs only as the
 * delimiter's first byte (a boundary has no CR), so a failed match can only
 * restart at a later CR and never inside the bytes already matched; that is
 * also why the bytes held back at the end of a feed need no copy: they are
 * the delimiter's own first `held` bytes. The preamble is scanned the same
 * way, starting as if a CRLF had been seen, so the body may open with the
 * first "--boundary" directly.
 *
 * Part headers are collected into one buffer (bounded) and parsed at the
 * blank line by a table of header handlers; decoded parameter values go to
 * a second buffer that ss_multipart_part's strings point into. */
#include "common/multipart.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELIM_MAX (4 + SS_MULTIPART_BOUNDARY_MAX)

typedef enum {
    ST_PREAMBLE,
    ST_AFTER_BOUNDARY,
    ST_PADDING,
    ST_EXPECT_LF,
    ST_CLOSE_DASH,
    ST_HEADERS,
    ST_BODY,
    ST_EPILOGUE,
    ST_ERROR,
} parse_state;

struct ss_multipart {
    parse_state state;
    ss_multipart_error error;
    char message[256];
    ss_multipart_callbacks cb;
    void *ctx;
    size_t max_header_bytes;
    unsigned max_parts;
    unsigned parts;
    uint8_t delim[DELIM_MAX + 1]; /* CRLF "--" boundary, NUL */
    size_t delim_len;
    size_t held; /* delimiter bytes matched at the end of the input so far */
    char *headers;
    size_t header_len;
    char *values; /* decoded name, filename, content type of the current part */
    size_t values_len;
    ss_multipart_part part;
};

static const char *const ERROR_NAMES[] = {
    [SS_MULTIPART_OK] = "ok",
    [SS_MULTIPART_NOT_FORM_DATA] = "not_form_data",
    [SS_MULTIPART_NO_BOUNDARY] = "no_boundary",
    [SS_MULTIPART_BAD_BOUNDARY] = "bad_boundary",
    [SS_MULTIPART_BAD_DELIMITER] = "bad_delimiter",
    [SS_MULTIPART_BAD_HEADER] = "bad_header",
    [SS_MULTIPART_HEADER_TOO_LONG] = "header_too_long",
    [SS_MULTIPART_TOO_MANY_PARTS] = "too_many_parts",
    [SS_MULTIPART_TRUNCATED] = "truncated",
    [SS_MULTIPART_ABORTED] = "aborted",
    [SS_MULTIPART_NO_MEMORY] = "no_memory",
};

const char *ss_multipart_error_name(ss_multipart_error e)
{
    return (unsigned)e < sizeof ERROR_NAMES / sizeof ERROR_NAMES[0] ? ERROR_NAMES[e] : "unknown";
}

__attribute__((format(printf, 3, 4))) static ss_multipart_error
set_error(ss_multipart *p, ss_multipart_error e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    p->error = e;
    p->state = ST_ERROR;
    return e;
}

/* --- parameters (Content-Type, Content-Disposition) */

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *s, const char *end)
{
    while (s < end && ows(*s))
        s++;
    return s;
}

typedef struct {
    const char *name;
    size_t name_len;
    char *value; /* decoded, NUL-terminated, in the caller's buffer */
    size_t value_len;
} param;

/* A quoted-string's contents after the opening quote: `\"` and `\\`
 * unescaped, other backslashes kept. *s ends after the closing quote. */
static int read_quoted(const char **s, const char *end, char *out, size_t cap, size_t *len)
{
    const char *q = *s;
    size_t n = 0;
    for (; q < end && *q != '"'; q++) {
        if (*q == '\\' && q + 1 < end && (q[1] == '"' || q[1] == '\\'))
            q++;
        if (n + 1 >= cap)
            return -1;
        out[n++] = *q;
    }
    if (q == end)
        return -1; /* no closing quote */
    out[n] = '\0';
    *len = n;
    *s = q + 1;
    return 0;
}

static int read_token(const char **s, const char *end, char *out, size_t cap, size_t *len)
{
    const char *q = *s;
    while (q < end && *q != ';' && !ows(*q) && *q != '"')
        q++;
    size_t n = (size_t)(q - *s);
    if (n == 0 || n + 1 > cap)
        return -1;
    memcpy(out, *s, n);
    out[n] = '\0';
    *len = n;
    *s = q;
    return 0;
}

/* The next `; name=value` of s[..end): 1 with *out, 0 at the end, -1 when
 * malformed. A trailing ';' is accepted. */
static int next_param(const char **s, const char *end, char *buf, size_t cap, param *out)
{
    const char *q = skip_ows(*s, end);
    if (q == end)
        return 0;
    if (*q != ';')
        return -1;
    q = skip_ows(q + 1, end);
    if (q == end) {
        *s = q;
        return 0;
    }
    const char *name = q;
    while (q < end && *q != '=' && *q != ';' && !ows(*q))
        q++;
    out->name = name;
    out->name_len = (size_t)(q - name);
    q = skip_ows(q, end);
    if (out->name_len == 0 || q == end || *q != '=')
        return -1;
    q = skip_ows(q + 1, end);
    out->value = buf;
    int rc = q < end && *q == '"' ? (q++, read_quoted(&q, end, buf, cap, &out->value_len))
                                  : read_token(&q, end, buf, cap, &out->value_len);
    *s = q;
    return rc == 0 ? 1 : -1;
}

static bool param_is(const param *pm, const char *name)
{
    return pm->name_len == strlen(name) && strncasecmp(pm->name, name, pm->name_len) == 0;
}

/* s[..end) starts with the token `want` (case-insensitive), then OWS, ';'
 * or the end. *s moves past it. */
static bool leading_token(const char **s, const char *end, const char *want)
{
    const char *q = skip_ows(*s, end);
    size_t n = strlen(want);
    if ((size_t)(end - q) < n || strncasecmp(q, want, n) != 0)
        return false;
    q += n;
    if (q < end && *q != ';' && !ows(*q))
        return false;
    *s = q;
    return true;
}

/* --- boundary */

static bool bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=? ", c) != NULL;
}

static ss_multipart_error boundary_problem(const char *b, size_t n, char *err, size_t errlen)
{
    if (n == 0 || n > SS_MULTIPART_BOUNDARY_MAX) {
        snprintf(err, errlen, "the multipart boundary must be 1..70 characters (got %zu)", n);
        return SS_MULTIPART_BAD_BOUNDARY;
    }
    for (size_t i = 0; i < n; i++)
        if (!bchar((unsigned char)b[i]) || b[i] == '\0') {
            snprintf(err, errlen, "the multipart boundary has a character outside RFC 2046's bchars");
            return SS_MULTIPART_BAD_BOUNDARY;
        }
    if (b[n - 1] == ' ') {
        snprintf(err, errlen, "the multipart boundary must not end with a space");
        return SS_MULTIPART_BAD_BOUNDARY;
    }
    return SS_MULTIPART_OK;
}

ss_multipart_error ss_multipart_boundary(const char *content_type, char *out, char *err,
                                         size_t errlen)
{
    const char *s = content_type ? content_type : "", *end = s + strlen(s);
    if (!leading_token(&s, end, "multipart/form-data")) {
        snprintf(err, errlen, "Content-Type must be multipart/form-data");
        return SS_MULTIPART_NOT_FORM_DATA;
    }
    char value[256];
    param pm;
    int rc;
    bool found = false;
    while ((rc = next_param(&s, end, value, sizeof value, &pm)) == 1) {
        if (!param_is(&pm, "boundary"))
            continue;
        if (found) {
            snprintf(err, errlen, "Content-Type has two boundary parameters");
            return SS_MULTIPART_BAD_BOUNDARY;
        }
        ss_multipart_error e = boundary_problem(pm.value, pm.value_len, err, errlen);
        if (e != SS_MULTIPART_OK)
            return e;
        memcpy(out, pm.value, pm.value_len + 1);
        found = true;
    }
    if (rc < 0) {
        snprintf(err, errlen, "Content-Type has a malformed parameter");
        return found ? SS_MULTIPART_BAD_BOUNDARY : SS_MULTIPART_NO_BOUNDARY;
    }
    if (!found) {
        snprintf(err, errlen, "Content-Type multipart/form-data has no boundary parameter");
        return SS_MULTIPART_NO_BOUNDARY;
    }
    return SS_MULTIPART_OK;
}

/* --- parser life */

ss_multipart *ss_multipart_new(const char *content_type, const ss_multipart_limits *limits,
                               const ss_multipart_callbacks *callbacks, void *ctx,
                               ss_multipart_error *code, char *err, size_t errlen)
{
    ss_multipart_error local;
    code = code ? code : &local;
    char boundary[SS_MULTIPART_BOUNDARY_MAX + 1];
    *code = ss_multipart_boundary(content_type, boundary, err, errlen);
    if (*code != SS_MULTIPART_OK)
        return NULL;
    ss_multipart *p = calloc(1, sizeof *p);
    size_t hmax = limits && limits->max_header_bytes ? limits->max_header_bytes
                                                     : SS_MULTIPART_DEFAULT_HEADER_BYTES;
    if (p) {
        p->headers = malloc(hmax);
        p->values = malloc(hmax + 8);
    }
    if (!p || !p->headers || !p->values) {
        ss_multipart_free(p);
        *code = SS_MULTIPART_NO_MEMORY;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->max_header_bytes = hmax;
    p->max_parts = limits && limits->max_parts ? limits->max_parts : SS_MULTIPART_DEFAULT_MAX_PARTS;
    if (callbacks)
        p->cb = *callbacks;
    p->ctx = ctx;
    p->delim_len = (size_t)snprintf((char *)p->delim, sizeof p->delim, "\r\n--%s", boundary);
    p->state = ST_PREAMBLE;
    p->held = 2; /* as if a CRLF preceded the body */
    return p;
}

void ss_multipart_free(ss_multipart *p)
{
    if (!p)
        return;
    free(p->headers);
    free(p->values);
    free(p);
}

const char *ss_multipart_message(const ss_multipart *p)
{
    return p->message;
}

unsigned ss_multipart_parts(const ss_multipart *p)
{
    return p->parts;
}

/* --- callbacks */

static ss_multipart_error emit_data(ss_multipart *p, const uint8_t *data, size_t len)
{
    if (len == 0 || p->state != ST_BODY || !p->cb.on_part_data)
        return SS_MULTIPART_OK;
    if (p->cb.on_part_data(p->ctx, data, len) != 0)
        return set_error(p, SS_MULTIPART_ABORTED, "the caller stopped at the data of part %u",
                         p->parts);
    return SS_MULTIPART_OK;
}

/* --- the delimiter search (preamble and body) */

/* Scans data for the delimiter, passing what precedes it to emit_data (a
 * no-op in the preamble). *used: bytes consumed. 1 when the delimiter ended
 * inside data, 0 when data ran out first, -1 on a callback's stop. */
static int scan_delimiter(ss_multipart *p, const uint8_t *data, size_t len, size_t *used)
{
    size_t i = 0;
    const uint8_t *d = p->delim;
    const size_t L = p->delim_len;
    while (p->held > 0 && i < len) {
        if (data[i] == d[p->held]) {
            i++;
            if (++p->held == L) {
                p->held = 0;
                *used = i;
                return 1;
            }
            continue;
        }
        size_t held = p->held; /* not a delimiter after all: those bytes were data */
        p->held = 0;
        if (emit_data(p, d, held) != SS_MULTIPART_OK)
            return -1;
    }
    size_t run = i;
    while (i < len) {
        const uint8_t *cr = memchr(data + i, '\r', len - i);
        if (!cr)
            break;
        size_t j = (size_t)(cr - data), k = 1;
        while (k < L && j + k < len && data[j + k] == d[k])
            k++;
        if (k == L || j + k == len) {
            if (emit_data(p, data + run, j - run) != SS_MULTIPART_OK)
                return -1;
            *used = j + k;
            p->held = k == L ? 0 : k;
            return k == L;
        }
        i = j + 1;
    }
    if (emit_data(p, data + run, len - run) != SS_MULTIPART_OK)
        return -1;
    *used = len;
    return 0;
}

/* --- part headers */

typedef ss_multipart_error (*header_fn)(ss_multipart *p, const char *v, const char *end);

/* Appends s[0..n) and a NUL to the values buffer; its start. Decoded
 * values are never longer than the header bytes they come from, so the
 * buffer (max_header_bytes + 8) holds every value of one part. */
static const char *keep_value(ss_multipart *p, const char *s, size_t n)
{
    if (p->values_len + n + 1 > p->max_header_bytes + 8)
        return NULL;
    char *out = p->values + p->values_len;
    memmove(out, s, n);
    out[n] = '\0';
    p->values_len += n + 1;
    return out;
}

/* pm's value was decoded into the free end of the values buffer: keep it
 * there (name, filename) or let the next value overwrite it. */
static ss_multipart_error disposition_param(ss_multipart *p, const param *pm)
{
    const char **slot = param_is(pm, "name") ? &p->part.name
                        : param_is(pm, "filename") ? &p->part.filename
                                                   : NULL;
    if (!slot)
        return SS_MULTIPART_OK; /* filename* and anything else: ignored */
    if (*slot)
        return set_error(p, SS_MULTIPART_BAD_HEADER,
                         "part %u: Content-Disposition repeats the parameter %.*s", p->parts,
                         (int)pm->name_len, pm->name);
    *slot = pm->value;
    p->values_len += pm->value_len + 1;
    return SS_MULTIPART_OK;
}

static ss_multipart_error header_disposition(ss_multipart *p, const char *v, const char *end)
{
    if (p->part.name)
        return set_error(p, SS_MULTIPART_BAD_HEADER, "part %u has two Content-Disposition headers",
                         p->parts);
    if (!leading_token(&v, end, "form-data"))
        return set_error(p, SS_MULTIPART_BAD_HEADER,
                         "part %u: Content-Disposition must be form-data", p->parts);
    param pm;
    int rc;
    while ((rc = next_param(&v, end, p->values + p->values_len,
                            p->max_header_bytes + 8 - p->values_len, &pm)) == 1)
        if (disposition_param(p, &pm) != SS_MULTIPART_OK)
            return p->error;
    if (rc < 0)
        return set_error(p, SS_MULTIPART_BAD_HEADER,
                         "part %u: malformed Content-Disposition parameter", p->parts);
    if (!p->part.name)
        return set_error(p, SS_MULTIPART_BAD_HEADER, "part %u: Content-Disposition has no name",
                         p->parts);
    return SS_MULTIPART_OK;
}

static ss_multipart_error header_content_type(ss_multipart *p, const char *v, const char *end)
{
    if (p->part.content_type)
        return set_error(p, SS_MULTIPART_BAD_HEADER, "part %u has two Content-Type headers",
                         p->parts);
    p->part.content_type = keep_value(p, v, (size_t)(end - v));
    return SS_MULTIPART_OK;
}

static const struct {
    const char *name;
    header_fn parse;
} HEADERS[] = {
    {"content-disposition", header_disposition},
    {"content-type", header_content_type},
};

/* One header line line[0..n) (no CRLF): Name ":" OWS value OWS. */
static ss_multipart_error header_line(ss_multipart *p, const char *line, size_t n)
{
    if (n > 0 && ows(line[0]))
        return set_error(p, SS_MULTIPART_BAD_HEADER, "part %u: folded header lines are not accepted",
                         p->parts);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return set_error(p, SS_MULTIPART_BAD_HEADER,
                             "part %u: a header line has a control character (bare CR or LF?)",
                             p->parts);
    }
    const char *colon = memchr(line, ':', n), *end = line + n;
    if (!colon || colon == line)
        return set_error(p, SS_MULTIPART_BAD_HEADER, "part %u: a header line is not 'Name: value'",
                         p->parts);
    size_t name_len = (size_t)(colon - line);
    const char *v = skip_ows(colon + 1, end);
    while (end > v && ows(end[-1]))
        end--;
    for (size_t h = 0; h < sizeof HEADERS / sizeof HEADERS[0]; h++)
        if (strlen(HEADERS[h].name) == name_len && strncasecmp(HEADERS[h].name, line, name_len) == 0)
            return HEADERS[h].parse(p, v, end);
    return SS_MULTIPART_OK; /* other headers are ignored */
}

/* The complete header block (lines ending CRLF, then an empty line). */
static ss_multipart_error parse_headers(ss_multipart *p)
{
    memset(&p->part, 0, sizeof p->part);
    p->part.index = p->parts - 1;
    p->values_len = 0;
    const char *s = p->headers, *end = p->headers + p->header_len - 2; /* the blank line's CRLF */
    while (s < end) {
        const char *crlf = s;
        while (!(crlf[0] == '\r' && crlf[1] == '\n'))
            crlf++;
        if (header_line(p, s, (size_t)(crlf - s)) != SS_MULTIPART_OK)
            return p->error;
        s = crlf + 2;
    }
    if (!p->part.name)
        return set_error(p, SS_MULTIPART_BAD_HEADER,
                         "part %u has no Content-Disposition: form-data; name=...", p->parts);
    if (p->cb.on_part_begin && p->cb.on_part_begin(p->ctx, &p->part) != 0)
        return set_error(p, SS_MULTIPART_ABORTED, "the caller stopped at the start of part %u",
                         p->parts);
    return SS_MULTIPART_OK;
}

/* --- states: each consumes from data[0..len) and returns bytes used */

static size_t st_preamble(ss_multipart *p, const uint8_t *data, size_t len)
{
    size_t used;
    if (scan_delimiter(p, data, len, &used) == 1)
        p->state = ST_AFTER_BOUNDARY;
    return used;
}

static size_t st_body(ss_multipart *p, const uint8_t *data, size_t len)
{
    size_t used;
    int found = scan_delimiter(p, data, len, &used);
    if (found != 1)
        return used;
    p->state = ST_AFTER_BOUNDARY;
    if (p->cb.on_part_end && p->cb.on_part_end(p->ctx) != 0)
        set_error(p, SS_MULTIPART_ABORTED, "the caller stopped at the end of part %u", p->parts);
    return used;
}

static size_t bad_delimiter(ss_multipart *p)
{
    set_error(p, SS_MULTIPART_BAD_DELIMITER,
              "a multipart boundary must be followed by CRLF or '--' (after part %u)", p->parts);
    return 0;
}

static size_t st_after_boundary(ss_multipart *p, const uint8_t *data, size_t len)
{
    (void)len;
    switch (data[0]) {
    case '-':
        p->state = ST_CLOSE_DASH;
        return 1;
    case ' ':
    case '\t':
        p->state = ST_PADDING;
        return 1;
    case '\r':
        p->state = ST_EXPECT_LF;
        return 1;
    default:
        return bad_delimiter(p);
    }
}

static size_t st_padding(ss_multipart *p, const uint8_t *data, size_t len)
{
    (void)len;
    if (ows((char)data[0]))
        return 1;
    if (data[0] != '\r')
        return bad_delimiter(p);
    p->state = ST_EXPECT_LF;
    return 1;
}

static size_t st_close_dash(ss_multipart *p, const uint8_t *data, size_t len)
{
    (void)len;
    if (data[0] != '-')
        return bad_delimiter(p);
    p->state = ST_EPILOGUE;
    return 1;
}

static size_t st_expect_lf(ss_multipart *p, const uint8_t *data, size_t len)
{
    (void)len;
    if (data[0] != '\n')
        return bad_delimiter(p);
    if (p->parts == p->max_parts) {
        set_error(p, SS_MULTIPART_TOO_MANY_PARTS, "more than %u parts", p->max_parts);
        return 0;
    }
    p->parts++;
    p->header_len = 0;
    p->state = ST_HEADERS;
    return 1;
}

static bool headers_complete(const ss_multipart *p)
{
    const char *h = p->headers;
    size_t n = p->header_len;
    return (n == 2 && h[0] == '\r' && h[1] == '\n') ||
           (n >= 4 && memcmp(h + n - 4, "\r\n\r\n", 4) == 0);
}

static size_t st_headers(ss_multipart *p, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (p->header_len == p->max_header_bytes) {
            set_error(p, SS_MULTIPART_HEADER_TOO_LONG, "part %u: headers longer than %zu bytes",
                      p->parts, p->max_header_bytes);
            return i;
        }
        p->headers[p->header_len++] = (char)data[i++];
        if (data[i - 1] == '\n' && headers_complete(p)) {
            if (parse_headers(p) == SS_MULTIPART_OK)
                p->state = ST_BODY;
            return i;
        }
    }
    return i;
}

static size_t st_epilogue(ss_multipart *p, const uint8_t *data, size_t len)
{
    (void)p, (void)data;
    return len;
}

typedef size_t (*state_fn)(ss_multipart *p, const uint8_t *data, size_t len);
static const state_fn STATES[] = {
    [ST_PREAMBLE] = st_preamble,     [ST_AFTER_BOUNDARY] = st_after_boundary,
    [ST_PADDING] = st_padding,       [ST_EXPECT_LF] = st_expect_lf,
    [ST_CLOSE_DASH] = st_close_dash, [ST_HEADERS] = st_headers,
    [ST_BODY] = st_body,             [ST_EPILOGUE] = st_epilogue,
};

ss_multipart_error ss_multipart_feed(ss_multipart *p, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && p->state != ST_ERROR)
        i += STATES[p->state](p, data + i, len - i);
    return p->error;
}

ss_multipart_error ss_multipart_finish(ss_multipart *p)
{
    if (p->state == ST_ERROR || p->state == ST_EPILOGUE)
        return p->error;
    return set_error(p, SS_MULTIPART_TRUNCATED,
                     "the body ended before the final boundary (--boundary--)%s",
                     p->parts ? "" : "; no part was complete");
}
