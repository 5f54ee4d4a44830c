/* Unit tests for common/multipart: bodies made by curl, Python's requests
 * and urllib3 (captured once, tests/unit/multipart_fixtures.h) and in the
 * shape browsers' FormData sends; every split of a body (two feeds at every
 * offset, and one byte per feed) gives the same parts; boundary-like bytes
 * and CR/LF runs inside data; every error code with its message. */
#include "common/multipart.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/multipart_fixtures.h"

typedef struct {
    char name[128];
    char filename[128];
    char content_type[128];
    bool has_filename, has_content_type, ended;
    uint8_t data[4096];
    size_t len;
} rec_part;

typedef struct {
    rec_part parts[40];
    int n;
    int stop_at_part; /* on_part_begin of this part (1-based) returns non-zero */
    bool in_part;
    bool bad_order;
} recorder;

static int on_begin(void *ctx, const ss_multipart_part *part)
{
    recorder *r = ctx;
    if (r->in_part || r->n == 40 || part->index != (unsigned)r->n)
        r->bad_order = true;
    rec_part *p = &r->parts[r->n++ % 40];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", part->name);
    if ((p->has_filename = part->filename != NULL))
        snprintf(p->filename, sizeof p->filename, "%s", part->filename);
    if ((p->has_content_type = part->content_type != NULL))
        snprintf(p->content_type, sizeof p->content_type, "%s", part->content_type);
    r->in_part = true;
    return r->n == r->stop_at_part;
}

static int on_data(void *ctx, const uint8_t *data, size_t len)
{
    recorder *r = ctx;
    if (!r->in_part || len == 0)
        r->bad_order = true;
    rec_part *p = &r->parts[(r->n - 1) % 40];
    cr_assert_leq(p->len + len, sizeof p->data);
    memcpy(p->data + p->len, data, len);
    p->len += len;
    return 0;
}

static int on_end(void *ctx)
{
    recorder *r = ctx;
    if (!r->in_part)
        r->bad_order = true;
    r->parts[(r->n - 1) % 40].ended = true;
    r->in_part = false;
    return 0;
}

static const ss_multipart_callbacks CALLBACKS = {on_begin, on_data, on_end};

/* Parses body in feeds of `chunk` bytes (0: one feed; split > 0: two feeds
 * at that offset), then finish. The final code; message into msg. */
static ss_multipart_error parse(const char *ct, const void *body, size_t len, size_t chunk,
                                size_t split, const ss_multipart_limits *limits, recorder *r,
                                char *msg, size_t msglen)
{
    int stop = r->stop_at_part;
    memset(r, 0, sizeof *r);
    r->stop_at_part = stop;
    ss_multipart_error code;
    ss_multipart *p = ss_multipart_new(ct, limits, &CALLBACKS, r, &code, msg, msglen);
    if (!p)
        return code;
    const uint8_t *b = body;
    ss_multipart_error e = SS_MULTIPART_OK;
    if (split > 0) {
        e = ss_multipart_feed(p, b, split);
        if (e == SS_MULTIPART_OK)
            e = ss_multipart_feed(p, b + split, len - split);
    } else {
        size_t step = chunk ? chunk : (len ? len : 1);
        for (size_t off = 0; off < len && e == SS_MULTIPART_OK; off += step)
            e = ss_multipart_feed(p, b + off, off + step <= len ? step : len - off);
    }
    if (e == SS_MULTIPART_OK)
        e = ss_multipart_finish(p);
    snprintf(msg, msglen, "%s", ss_multipart_message(p));
    ss_multipart_free(p);
    return e;
}

static bool same_parts(const recorder *a, const recorder *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n && i < 40; i++) {
        const rec_part *x = &a->parts[i], *y = &b->parts[i];
        if (strcmp(x->name, y->name) || strcmp(x->filename, y->filename) ||
            strcmp(x->content_type, y->content_type) || x->has_filename != y->has_filename ||
            x->has_content_type != y->has_content_type || x->ended != y->ended ||
            x->len != y->len || memcmp(x->data, y->data, x->len))
            return false;
    }
    return true;
}

static void expect_field(const recorder *r, int i, const char *name, const char *value)
{
    const rec_part *p = &r->parts[i];
    cr_expect_str_eq(p->name, name);
    cr_expect_not(p->has_filename, "%s has a filename", name);
    cr_expect(p->ended);
    cr_expect_eq(p->len, strlen(value), "%s: %zu bytes", name, p->len);
    cr_expect_eq(memcmp(p->data, value, p->len), 0, "%s: '%.*s'", name, (int)p->len, p->data);
}

static void expect_file(const recorder *r, int i, const char *name, const char *filename,
                        const char *ctype, const void *data, size_t len)
{
    const rec_part *p = &r->parts[i];
    cr_expect_str_eq(p->name, name);
    cr_expect(p->has_filename);
    cr_expect_str_eq(p->filename, filename);
    if (ctype)
        cr_expect_str_eq(p->content_type, ctype);
    else
        cr_expect_not(p->has_content_type);
    cr_expect(p->ended);
    cr_expect_eq(p->len, len, "%s: %zu bytes, want %zu", name, p->len, len);
    cr_expect_eq(memcmp(p->data, data, len), 0);
}

/* The body parsed whole, one byte per feed and in 7-byte feeds: the same. */
static void parse_every_way(const char *ct, const void *body, size_t len, recorder *whole)
{
    char msg[256];
    recorder bytewise, sevens;
    cr_assert_eq(parse(ct, body, len, 0, 0, NULL, whole, msg, sizeof msg), SS_MULTIPART_OK, "%s", msg);
    cr_assert_eq(parse(ct, body, len, 1, 0, NULL, &bytewise, msg, sizeof msg), SS_MULTIPART_OK);
    cr_assert_eq(parse(ct, body, len, 7, 0, NULL, &sevens, msg, sizeof msg), SS_MULTIPART_OK);
    cr_assert(same_parts(whole, &bytewise));
    cr_assert(same_parts(whole, &sevens));
    cr_assert_not(whole->bad_order);
}

Test(multipart, what_curl_sends)
{
    recorder r;
    parse_every_way(MP_CURL_CT, MP_CURL, sizeof MP_CURL, &r);
    cr_assert_eq(r.n, 4);
    expect_field(&r, 0, "display_name", "Kal the \"tester\"");
    expect_file(&r, 1, "reference", "ref.bin", "audio/wav", MP_REF_BIN, sizeof MP_REF_BIN);
    expect_field(&r, 2, "consent_text", "I agree");
    expect_field(&r, 3, "language_primary", "en");
}

Test(multipart, what_python_requests_sends)
{
    recorder r;
    parse_every_way(MP_REQUESTS_CT, MP_REQUESTS, sizeof MP_REQUESTS, &r);
    cr_assert_eq(r.n, 4);
    expect_field(&r, 0, "display_name", "Kal");
    expect_field(&r, 1, "language_primary", "en");
    expect_file(&r, 2, "reference", "ref.bin", "audio/wav", MP_REF_BIN, sizeof MP_REF_BIN);
    expect_file(&r, 3, "consent", "consent clip.wav", NULL, "RIFF....WAVE", 12);
}

Test(multipart, what_urllib3_encode_multipart_formdata_sends)
{
    recorder r;
    parse_every_way(MP_URLLIB3_CT, MP_URLLIB3, sizeof MP_URLLIB3, &r);
    cr_assert_eq(r.n, 2);
    expect_field(&r, 0, "display_name", "K\xc3\xa5l \xe2\x9c\x93");
    expect_file(&r, 1, "reference", "ref.bin", "audio/wav", MP_REF_BIN, sizeof MP_REF_BIN);
}

/* Chrome's and Firefox's FormData: WebKit-style boundary, quotes in file
 * names percent-encoded, an empty file input sent as filename="" with
 * application/octet-stream. */
static const char BROWSER_CT[] = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";
static const char BROWSER[] =
    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
    "Content-Disposition: form-data; name=\"display_name\"\r\n"
    "\r\n"
    "Kal\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
    "Content-Disposition: form-data; name=\"reference\"; filename=\"my %22best%22 take.wav\"\r\n"
    "Content-Type: audio/wav\r\n"
    "\r\n"
    "RIFF\r\n\r\n--\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
    "Content-Disposition: form-data; name=\"consent\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\r\n"
    "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";

Test(multipart, browser_form_data_shape)
{
    recorder r;
    parse_every_way(BROWSER_CT, BROWSER, strlen(BROWSER), &r);
    cr_assert_eq(r.n, 3);
    expect_field(&r, 0, "display_name", "Kal");
    expect_file(&r, 1, "reference", "my %22best%22 take.wav", "audio/wav", "RIFF\r\n\r\n--", 10);
    expect_file(&r, 2, "consent", "", "application/octet-stream", "", 0);
}

static const char SMALL_CT[] = "multipart/form-data; boundary=\"b0und:ary\"";
static const char SMALL[] = "preamble, ignored\r\n"
                            "--b0und:ary  \t\r\n" /* transport padding */
                            "content-disposition: FORM-DATA; name=f1\r\n"
                            "X-Unknown: ignored\r\n"
                            "\r\n"
                            "--b0und:ar\r\n--b0und:arX--b0und:ary\r\r\n\n"
                            "\r\n--b0und:ary\r\n"
                            "Content-Disposition: form-data; name=\"f\\\"2\"; filename=\"a\\\\b\\c\"; "
                            "filename*=UTF-8''x.bin\r\n"
                            "\r\n"
                            "\r\n"
                            "\r\n--b0und:ary--\r\nepilogue --b0und:ary\r\n junk";

Test(multipart, every_split_of_a_small_body)
{
    recorder whole, other;
    char msg[256];
    cr_assert_eq(parse(SMALL_CT, SMALL, strlen(SMALL), 0, 0, NULL, &whole, msg, sizeof msg),
                 SS_MULTIPART_OK, "%s", msg);
    cr_assert_eq(whole.n, 2);
    expect_field(&whole, 0, "f1", "--b0und:ar\r\n--b0und:arX--b0und:ary\r\r\n\n");
    expect_file(&whole, 1, "f\"2", "a\\b\\c", NULL, "\r\n", 2);
    for (size_t k = 1; k < strlen(SMALL); k++) {
        cr_assert_eq(parse(SMALL_CT, SMALL, strlen(SMALL), 0, k, NULL, &other, msg, sizeof msg),
                     SS_MULTIPART_OK, "split at %zu: %s", k, msg);
        cr_assert(same_parts(&whole, &other), "split at %zu differs", k);
    }
    cr_assert_eq(parse(SMALL_CT, SMALL, strlen(SMALL), 1, 0, NULL, &other, msg, sizeof msg), 0);
    cr_assert(same_parts(&whole, &other));
}

/* Data that is the delimiter less its last byte, at every feed boundary,
 * comes out as data; CR right before the delimiter is data too. */
Test(multipart, boundary_like_text_and_cr_lf_in_data)
{
    static const char CT[] = "multipart/form-data; boundary=boundary";
    static const char BODY[] = "--boundary\r\n"
                               "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
                               "--boundary is not at a line start\r\n--boundar\r\n-\r\r\n\r\n--boundary\r\n"
                               "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
                               "\r\n--boundary--";
    recorder r;
    parse_every_way(CT, BODY, strlen(BODY), &r);
    cr_assert_eq(r.n, 2);
    expect_field(&r, 0, "a", "--boundary is not at a line start\r\n--boundar\r\n-\r\r\n");
    expect_field(&r, 1, "b", "");
}

Test(multipart, boundary_from_content_type)
{
    static const struct {
        const char *ct;
        ss_multipart_error code;
        const char *boundary;
    } CASES[] = {
        {"multipart/form-data; boundary=abc", SS_MULTIPART_OK, "abc"},
        {"Multipart/Form-Data;boundary=\"a b'()+_,-./:=?\"", SS_MULTIPART_OK, "a b'()+_,-./:=?"},
        {"multipart/form-data; charset=utf-8; boundary=x ; other=1", SS_MULTIPART_OK, "x"},
        {"multipart/form-data; boundary="
         "1234567890123456789012345678901234567890123456789012345678901234567890",
         SS_MULTIPART_OK, NULL},
        {"multipart/form-data; boundary="
         "12345678901234567890123456789012345678901234567890123456789012345678901",
         SS_MULTIPART_BAD_BOUNDARY, NULL},
        {"multipart/form-data; boundary=\"\"", SS_MULTIPART_BAD_BOUNDARY, NULL},
        {"multipart/form-data; boundary=\"ends in space \"", SS_MULTIPART_BAD_BOUNDARY, NULL},
        {"multipart/form-data; boundary=a@b", SS_MULTIPART_BAD_BOUNDARY, NULL},
        {"multipart/form-data; boundary=a; boundary=b", SS_MULTIPART_BAD_BOUNDARY, NULL},
        {"multipart/form-data; boundary=\"unterminated", SS_MULTIPART_NO_BOUNDARY, NULL},
        {"multipart/form-data", SS_MULTIPART_NO_BOUNDARY, NULL},
        {"multipart/form-data; charset=utf-8", SS_MULTIPART_NO_BOUNDARY, NULL},
        {"multipart/mixed; boundary=abc", SS_MULTIPART_NOT_FORM_DATA, NULL},
        {"multipart/form-datax; boundary=abc", SS_MULTIPART_NOT_FORM_DATA, NULL},
        {"application/json", SS_MULTIPART_NOT_FORM_DATA, NULL},
        {"", SS_MULTIPART_NOT_FORM_DATA, NULL},
        {NULL, SS_MULTIPART_NOT_FORM_DATA, NULL},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char b[SS_MULTIPART_BOUNDARY_MAX + 1] = "", err[200] = "";
        ss_multipart_error e = ss_multipart_boundary(CASES[i].ct, b, err, sizeof err);
        cr_expect_eq(e, CASES[i].code, "'%s': %s (%s)", CASES[i].ct, ss_multipart_error_name(e), err);
        if (e != SS_MULTIPART_OK)
            cr_expect_neq(err[0], '\0', "'%s' refused without a reason", CASES[i].ct);
        if (CASES[i].boundary)
            cr_expect_str_eq(b, CASES[i].boundary);
    }
}

#define PART(name) "Content-Disposition: form-data; name=\"" name "\"\r\n\r\n"

Test(multipart, each_error_has_its_code_and_message)
{
    static const struct {
        const char *body;
        ss_multipart_error code;
        const char *says;
    } CASES[] = {
        {"--b\r\n" PART("x") "1\r\n--b--", SS_MULTIPART_OK, ""},
        {"--b--", SS_MULTIPART_OK, ""},
        {"--b\r\n" PART("x") "1\r\n--b--\r\nafter the close: epilogue\r\n--b\r\nmore", SS_MULTIPART_OK, ""},
        {"", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"no delimiter at all", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"--b\r\n" PART("x") "1\r\n--b", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"--b\r\n" PART("x") "1\r\n--b-", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"--b\r\n" PART("x") "1", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"--b\r\nContent-Disposition: form-data; name=x\r\n", SS_MULTIPART_TRUNCATED, "final boundary"},
        {"--bX\r\n", SS_MULTIPART_BAD_DELIMITER, "CRLF or '--'"},
        {"--b\n" PART("x") "--b--", SS_MULTIPART_BAD_DELIMITER, "CRLF"},
        {"--b\r\n" PART("x") "1\r\n--b-x", SS_MULTIPART_BAD_DELIMITER, "CRLF"},
        {"--b \r\r\n", SS_MULTIPART_BAD_DELIMITER, "CRLF"},
        {"--b\r\n\r\n1\r\n--b--", SS_MULTIPART_BAD_HEADER, "no Content-Disposition"},
        {"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", SS_MULTIPART_BAD_HEADER, "no Content-Disposition"},
        {"--b\r\nContent-Disposition: attachment; name=x\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "form-data"},
        {"--b\r\nContent-Disposition: form-data\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "no name"},
        {"--b\r\nContent-Disposition: form-data; filename=a\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "no name"},
        {"--b\r\nContent-Disposition: form-data; name=x; name=y\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "repeats"},
        {"--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "malformed"},
        {"--b\r\nContent-Disposition: form-data; name\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "malformed"},
        {"--b\r\nContent-Disposition: form-data; name=x\r\nContent-Disposition: form-data; name=y\r\n\r\n--b--",
         SS_MULTIPART_BAD_HEADER, "two Content-Disposition"},
        {"--b\r\nContent-Disposition: form-data; name=x\r\nno colon here\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "Name: value"},
        {"--b\r\nContent-Disposition: form-data; name=x\r\nX-A: 1\r\n continued\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "folded"},
        {"--b\r\nContent-Disposition: form-data; name=x\nX: y\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "control"},
        {"--b\r\nContent-Disposition: form-data; name=x\rX: y\r\n\r\n--b--", SS_MULTIPART_BAD_HEADER, "control"},
        {"--b\r\nContent-Disposition: form-data; name=x\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n--b--",
         SS_MULTIPART_BAD_HEADER, "two Content-Type"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        recorder r;
        char msg[256];
        ss_multipart_error e = parse("multipart/form-data; boundary=b", CASES[i].body,
                                     strlen(CASES[i].body), 0, 0, NULL, &r, msg, sizeof msg);
        cr_expect_eq(e, CASES[i].code, "case %zu: %s, want %s (%s)", i, ss_multipart_error_name(e),
                     ss_multipart_error_name(CASES[i].code), msg);
        cr_expect(strstr(msg, CASES[i].says), "case %zu: message '%s' lacks '%s'", i, msg,
                  CASES[i].says);
        /* The same code however the body is split. */
        ss_multipart_error bytewise = parse("multipart/form-data; boundary=b", CASES[i].body,
                                            strlen(CASES[i].body), 1, 0, NULL, &r, msg, sizeof msg);
        cr_expect_eq(bytewise, e, "case %zu fed bytewise: %s", i, ss_multipart_error_name(bytewise));
    }
}

Test(multipart, limits_on_headers_and_parts)
{
    char body[20000], msg[256];
    recorder r;
    /* A header block of exactly max_header_bytes passes; one byte more fails. */
    ss_multipart_limits limits = {.max_header_bytes = 64, .max_parts = 3};
    const char *head = "Content-Disposition: form-data; name=x\r\nX-Pad: ";
    size_t pad = 64 - strlen(head) - 4;
    int n = snprintf(body, sizeof body, "--b\r\n%s%.*s\r\n\r\n\r\n--b--", head, (int)pad,
                     "pppppppppppppppppppppppppppppppppppppppppppppppppp");
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, (size_t)n, 0, 0, &limits, &r, msg,
                       sizeof msg),
                 SS_MULTIPART_OK, "%s", msg);
    n = snprintf(body, sizeof body, "--b\r\n%s%.*s\r\n\r\n\r\n--b--", head, (int)pad + 1,
                 "pppppppppppppppppppppppppppppppppppppppppppppppppp");
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, (size_t)n, 0, 0, &limits, &r, msg,
                       sizeof msg),
                 SS_MULTIPART_HEADER_TOO_LONG);
    cr_assert(strstr(msg, "longer than 64 bytes"), "%s", msg);

    /* Default limit: 8 KiB of headers. */
    n = snprintf(body, sizeof body, "--b\r\nContent-Disposition: form-data; name=x\r\nX: %09000d\r\n\r\n--b--", 0);
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, (size_t)n, 0, 0, NULL, &r, msg, sizeof msg),
                 SS_MULTIPART_HEADER_TOO_LONG);

    /* Three parts pass, a fourth fails; the default is 32. */
    size_t len = 0;
    for (int i = 0; i < 4; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "--b\r\n" PART("p") "v\r\n");
    len += (size_t)snprintf(body + len, sizeof body - len, "--b--");
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, len, 0, 0, &limits, &r, msg, sizeof msg),
                 SS_MULTIPART_TOO_MANY_PARTS);
    cr_assert_eq(r.n, 3);
    cr_assert(strstr(msg, "more than 3 parts"), "%s", msg);
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, len, 0, 0, NULL, &r, msg, sizeof msg),
                 SS_MULTIPART_OK);
    len = 0;
    for (int i = 0; i < 33; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "--b\r\n" PART("p") "\r\n");
    len += (size_t)snprintf(body + len, sizeof body - len, "--b--");
    cr_assert_eq(parse("multipart/form-data; boundary=b", body, len, 0, 0, NULL, &r, msg, sizeof msg),
                 SS_MULTIPART_TOO_MANY_PARTS);
}

Test(multipart, a_callback_can_stop_it)
{
    recorder r = {.stop_at_part = 2};
    char msg[256];
    ss_multipart_error e = parse(MP_CURL_CT, MP_CURL, sizeof MP_CURL, 0, 0, NULL, &r, msg, sizeof msg);
    cr_assert_eq(e, SS_MULTIPART_ABORTED);
    cr_assert_eq(r.n, 2);
    cr_assert(strstr(msg, "stopped"), "%s", msg);
}

/* Errors are final: a feed after one returns it again and calls nothing. */
Test(multipart, errors_are_sticky)
{
    recorder r = {0};
    ss_multipart_error code;
    char err[200];
    ss_multipart *p = ss_multipart_new("multipart/form-data; boundary=b", NULL, &CALLBACKS, &r, &code,
                                       err, sizeof err);
    cr_assert_not_null(p);
    cr_assert_eq(ss_multipart_feed(p, (const uint8_t *)"--bZ", 4), SS_MULTIPART_BAD_DELIMITER);
    const char *more = "\r\n" PART("x") "1\r\n--b--";
    cr_assert_eq(ss_multipart_feed(p, (const uint8_t *)more, strlen(more)), SS_MULTIPART_BAD_DELIMITER);
    cr_assert_eq(ss_multipart_finish(p), SS_MULTIPART_BAD_DELIMITER);
    cr_assert_eq(r.n, 0);
    ss_multipart_free(p);

    cr_assert_null(ss_multipart_new("text/plain", NULL, &CALLBACKS, &r, &code, err, sizeof err));
    cr_assert_eq(code, SS_MULTIPART_NOT_FORM_DATA);
    cr_assert_str_eq(err, "Content-Type must be multipart/form-data");
}

/* Data callbacks point into the fed buffer, but for the bytes held back
 * across feeds (at most the delimiter's length). */
static const uint8_t *feed_start, *feed_end;
static size_t outside_bytes;

static int on_data_where(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (data < feed_start || data + len > feed_end)
        outside_bytes += len;
    return 0;
}

Test(multipart, data_is_not_copied)
{
    static const ss_multipart_callbacks cb = {NULL, on_data_where, NULL};
    ss_multipart_error code;
    char err[200];
    ss_multipart *p = ss_multipart_new(MP_CURL_CT, NULL, &cb, NULL, &code, err, sizeof err);
    cr_assert_not_null(p);
    feed_start = MP_CURL;
    feed_end = MP_CURL + sizeof MP_CURL;
    outside_bytes = 0;
    cr_assert_eq(ss_multipart_feed(p, MP_CURL, sizeof MP_CURL), SS_MULTIPART_OK);
    cr_assert_eq(outside_bytes, 0);
    ss_multipart_free(p);

    /* Split inside "\r\n--not-a-boundary": "\r\n--" is held back at the
     * end of the first feed and the match goes on into the second until 'X'
     * is missing; those 18 bytes come from the parser, the rest from the
     * buffers. */
    p = ss_multipart_new("multipart/form-data; boundary=not-a-boundaryX", NULL, &cb, NULL, &code,
                         err, sizeof err);
    static const char BODY[] = "--not-a-boundaryX\r\n" PART("x") "a\r\n--not-a-boundary\r\n--not-a-boundaryX--";
    const char *split = strstr(BODY, "a\r\n--not") + 5;
    feed_start = (const uint8_t *)BODY;
    feed_end = (const uint8_t *)split;
    cr_assert_eq(ss_multipart_feed(p, feed_start, (size_t)(split - BODY)), SS_MULTIPART_OK);
    feed_start = (const uint8_t *)split;
    feed_end = (const uint8_t *)BODY + strlen(BODY);
    cr_assert_eq(ss_multipart_feed(p, feed_start, (size_t)(feed_end - feed_start)), SS_MULTIPART_OK);
    cr_assert_eq(ss_multipart_finish(p), SS_MULTIPART_OK);
    cr_assert_eq(outside_bytes, strlen("\r\n--not-a-boundary"));
    ss_multipart_free(p);
}
