/* libFuzzer target: the streaming multipart/form-data parser
 * (common/multipart.c) on arbitrary bodies. An input that starts with
 * "CT:" gives its Content-Type on that first line (up to '\n'); others use
 * a fixed boundary. Each input is parsed three ways — in one feed, in small
 * feeds (one byte each for inputs up to 4 KiB, else pseudo-random sizes)
 * and split once at an offset derived from the input — with small limits
 * (so the header and part limits are reached) and must give the same
 * callback sequence (part headers, each part's data concatenated, part
 * ends) and the same final code: the parser's split-invariance. Callbacks
 * must come in order (begin, data of non-zero length, end), never after an
 * error, and an error always says why. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/multipart.h"

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    size_t data_len_at; /* offset of the open 'D' record's length, or SIZE_MAX */
    bool in_part;
    bool errored; /* a feed has returned an error */
    unsigned parts;
} event_log;

static void put(event_log *l, const void *p, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = (l->len + n) * 2;
        uint8_t *b = realloc(l->buf, cap);
        if (!b)
            abort();
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, p, n);
    l->len += n;
}

static void put_string(event_log *l, const char *s)
{
    if (s)
        put(l, s, strlen(s) + 1);
    else
        put(l, "\xff", 1); /* absent, unlike "" */
}

static int on_begin(void *ctx, const ss_multipart_part *part)
{
    event_log *l = ctx;
    if (l->in_part || l->errored || !part->name || part->index != l->parts)
        __builtin_trap();
    l->in_part = true;
    l->parts++;
    put(l, "B", 1);
    put_string(l, part->name);
    put_string(l, part->filename);
    put_string(l, part->content_type);
    l->data_len_at = SIZE_MAX;
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t len)
{
    event_log *l = ctx;
    if (!l->in_part || l->errored || len == 0)
        __builtin_trap();
    if (l->data_len_at == SIZE_MAX) { /* adjacent data records merge */
        put(l, "D", 1);
        l->data_len_at = l->len;
        size_t zero = 0;
        put(l, &zero, sizeof zero);
    }
    size_t n;
    memcpy(&n, l->buf + l->data_len_at, sizeof n);
    n += len;
    memcpy(l->buf + l->data_len_at, &n, sizeof n);
    put(l, data, len);
    return 0;
}

static int on_end(void *ctx)
{
    event_log *l = ctx;
    if (!l->in_part || l->errored)
        __builtin_trap();
    l->in_part = false;
    l->data_len_at = SIZE_MAX;
    put(l, "E", 1);
    return 0;
}

static const ss_multipart_callbacks CALLBACKS = {on_begin, on_data, on_end};
static const ss_multipart_limits LIMITS = {.max_header_bytes = 512, .max_parts = 6};

typedef enum { WHOLE, SMALL_FEEDS, ONE_SPLIT } split_kind;

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

/* The size of the next feed at `off`. */
static size_t feed_size(split_kind kind, size_t off, size_t size, uint32_t seed)
{
    size_t left = size - off;
    if (kind == WHOLE)
        return left;
    if (kind == ONE_SPLIT) {
        size_t at = size ? seed % (size + 1) : 0;
        return off < at ? at - off : left;
    }
    if (size <= 4096)
        return left < 1 ? left : 1;
    size_t n = 1 + mix(seed + (uint32_t)off) % 97;
    return n < left ? n : left;
}

static ss_multipart_error run(const char *ct, const uint8_t *body, size_t size, split_kind kind,
                              uint32_t seed, event_log *l)
{
    memset(l, 0, sizeof *l);
    l->data_len_at = SIZE_MAX;
    ss_multipart_error code;
    char err[200] = "";
    ss_multipart *p = ss_multipart_new(ct, &LIMITS, &CALLBACKS, l, &code, err, sizeof err);
    if (!p) {
        if (code == SS_MULTIPART_OK || err[0] == '\0')
            __builtin_trap();
        return code;
    }
    ss_multipart_error e = SS_MULTIPART_OK;
    size_t off = 0;
    do {
        size_t n = feed_size(kind, off, size, seed);
        e = ss_multipart_feed(p, body + off, n);
        off += n;
    } while (e == SS_MULTIPART_OK && off < size);
    l->errored = e != SS_MULTIPART_OK;
    if (e == SS_MULTIPART_OK)
        e = ss_multipart_finish(p);
    if ((e != SS_MULTIPART_OK) != (ss_multipart_message(p)[0] != '\0'))
        __builtin_trap(); /* a message exactly when there is an error */
    unsigned parts = ss_multipart_parts(p); /* the last may have failed in its headers */
    if (parts > LIMITS.max_parts || parts < l->parts || parts > l->parts + (e != SS_MULTIPART_OK))
        __builtin_trap();
    if (e == SS_MULTIPART_OK && l->in_part)
        __builtin_trap(); /* finished with a part still open */
    ss_multipart_free(p);
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[256] = "multipart/form-data; boundary=b0undary";
    const uint8_t *nl = size > 3 && memcmp(data, "CT:", 3) == 0 ? memchr(data, '\n', size) : NULL;
    if (nl && (size_t)(nl - data) - 3 < sizeof ct && !memchr(data, '\0', (size_t)(nl - data))) {
        size_t n = (size_t)(nl - data) - 3;
        memcpy(ct, data + 3, n);
        ct[n] = '\0';
        size -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = (seed ^ data[i]) * 16777619u;
    event_log a, b, c;
    ss_multipart_error ea = run(ct, data, size, WHOLE, seed, &a);
    ss_multipart_error eb = run(ct, data, size, SMALL_FEEDS, seed, &b);
    ss_multipart_error ec = run(ct, data, size, ONE_SPLIT, seed, &c);
    /* Errors too: they arise outside part bodies (or at finish, where the
     * bytes still held back are dropped by every split alike), so what was
     * reported before one does not depend on the split either. */
    if (ea != eb || ea != ec)
        __builtin_trap();
    if (a.len != b.len || a.len != c.len ||
        (a.len && (memcmp(a.buf, b.buf, a.len) || memcmp(a.buf, c.buf, a.len))))
        __builtin_trap();
    free(a.buf);
    free(b.buf);
    free(c.buf);
    return 0;
}
