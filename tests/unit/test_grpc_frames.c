/* Unit tests for common/grpc_frames: messages split across appends and
 * several in one append, the compressed flag and oversize errors (sticky),
 * grpc-status parsing, grpc-message percent-decoding, and the HTTP and
 * RST_STREAM status tables. */
#include "common/grpc_frames.h"

#include <criterion/criterion.h>
#include <string.h>

static void put(ss_grpc_frames *fr, const void *d, size_t n)
{
    cr_assert_eq(ss_grpc_frames_append(fr, d, n), 0);
}

Test(grpc_frames, split_messages_across_appends)
{
    ss_grpc_frames *fr = ss_grpc_frames_new(100);
    cr_assert_not_null(fr);
    uint8_t wire[] = {0, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 'x', 'y'};
    const uint8_t *m;
    size_t len;
    grpc_status_code code;
    char err[64];
    for (size_t i = 0; i < 7; i++) {
        put(fr, wire + i, 1);
        cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 0);
    }
    put(fr, wire + 7, sizeof wire - 7);
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 1);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(m, "abc", 3), 0);
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 1);
    cr_assert_eq(len, 0, "an empty message");
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 1);
    cr_assert_eq(len, 2);
    cr_assert_eq(memcmp(m, "xy", 2), 0);
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 0);
    cr_assert_eq(ss_grpc_frames_buffered(fr), 0);
    uint8_t pfx[5];
    cr_assert_eq(ss_grpc_frame_prefix(pfx, 0x01020304), 0);
    cr_assert_eq(memcmp(pfx, "\x00\x01\x02\x03\x04", 5), 0);
    ss_grpc_frames_free(fr);
}

Test(grpc_frames, compressed_flag_is_an_error_and_sticks)
{
    ss_grpc_frames *fr = ss_grpc_frames_new(100);
    put(fr, "\x01\x00\x00\x00\x01" "z", 6);
    const uint8_t *m;
    size_t len;
    grpc_status_code code = GRPC_STATUS_OK;
    char err[96];
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), -1);
    cr_assert_eq(code, GRPC_STATUS_INTERNAL);
    cr_assert(strstr(err, "compressed"), "%s", err);
    put(fr, "\x00\x00\x00\x00\x00", 5);
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), -1, "not sticky");
    ss_grpc_frames_free(fr);
}

Test(grpc_frames, oversize_message_is_resource_exhausted)
{
    ss_grpc_frames *fr = ss_grpc_frames_new(4);
    put(fr, "\x00\x00\x00\x00\x04" "abcd", 9);
    const uint8_t *m;
    size_t len;
    grpc_status_code code = GRPC_STATUS_OK;
    char err[96];
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), 1, "the maximum itself is fine");
    put(fr, "\x00\x00\x00\x00\x05", 5); /* known oversize before its bytes come */
    cr_assert_eq(ss_grpc_frames_next(fr, &m, &len, &code, err, sizeof err), -1);
    cr_assert_eq(code, GRPC_STATUS_RESOURCE_EXHAUSTED);
    ss_grpc_frames_free(fr);
}

Test(grpc_frames, grpc_status_values)
{
    grpc_status_code c = GRPC_STATUS_OK;
    cr_assert_eq(ss_grpc_parse_status("0", 1, &c), 0);
    cr_assert_eq(c, GRPC_STATUS_OK);
    cr_assert_eq(ss_grpc_parse_status("16", 2, &c), 0);
    cr_assert_eq(c, GRPC_STATUS_UNAUTHENTICATED);
    cr_assert_eq(ss_grpc_parse_status("14", 2, &c), 0);
    cr_assert_eq(c, GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_parse_status("17", 2, &c), -1);
    cr_assert_eq(ss_grpc_parse_status("", 0, &c), -1);
    cr_assert_eq(ss_grpc_parse_status("-1", 2, &c), -1);
    cr_assert_eq(ss_grpc_parse_status("1a", 2, &c), -1);
    cr_assert_eq(ss_grpc_parse_status("001", 3, &c), -1);
}

Test(grpc_frames, grpc_message_percent_decoding)
{
    char out[64];
    const char *v = "bad%20request%3A%25done";
    cr_assert_eq(ss_grpc_percent_decode(v, strlen(v), out, sizeof out), strlen("bad request:%done"));
    cr_assert_str_eq(out, "bad request:%done");
    v = "50%zz and 7% and %4";
    ss_grpc_percent_decode(v, strlen(v), out, sizeof out);
    cr_assert_str_eq(out, "50%zz and 7% and %4", "invalid escapes pass through");
    v = "%E2%82%AC";
    ss_grpc_percent_decode(v, strlen(v), out, sizeof out);
    cr_assert_str_eq(out, "\xe2\x82\xac");
    char small[4];
    cr_assert_eq(ss_grpc_percent_decode("abcdef", 6, small, sizeof small), 3);
    cr_assert_str_eq(small, "abc");
}

Test(grpc_frames, http_and_rst_status_tables)
{
    cr_assert_eq(ss_grpc_status_from_http(400), GRPC_STATUS_INTERNAL);
    cr_assert_eq(ss_grpc_status_from_http(401), GRPC_STATUS_UNAUTHENTICATED);
    cr_assert_eq(ss_grpc_status_from_http(403), GRPC_STATUS_PERMISSION_DENIED);
    cr_assert_eq(ss_grpc_status_from_http(404), GRPC_STATUS_UNIMPLEMENTED);
    cr_assert_eq(ss_grpc_status_from_http(429), GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_status_from_http(502), GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_status_from_http(503), GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_status_from_http(504), GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_status_from_http(500), GRPC_STATUS_UNKNOWN);
    cr_assert_eq(ss_grpc_status_from_http(302), GRPC_STATUS_UNKNOWN);
    cr_assert_eq(ss_grpc_status_from_rst(0x7), GRPC_STATUS_UNAVAILABLE);
    cr_assert_eq(ss_grpc_status_from_rst(0x8), GRPC_STATUS_CANCELLED);
    cr_assert_eq(ss_grpc_status_from_rst(0xb), GRPC_STATUS_RESOURCE_EXHAUSTED);
    cr_assert_eq(ss_grpc_status_from_rst(0xc), GRPC_STATUS_PERMISSION_DENIED);
    cr_assert_eq(ss_grpc_status_from_rst(0x0), GRPC_STATUS_INTERNAL);
    cr_assert_eq(ss_grpc_status_from_rst(0x1), GRPC_STATUS_INTERNAL);
    cr_assert_eq(ss_grpc_status_from_rst(0x2), GRPC_STATUS_INTERNAL);
}
