/* gRPC message framing and status parsing (see grpc_frames.h): a growing
 * byte buffer with a read offset, compacted on append, and the small
 * tables of the gRPC HTTP/2 spec. No I/O, no global state. */
#include "common/grpc_frames.h"

#include "common/hex_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ss_grpc_frames {
    uint8_t *buf;
    size_t head;   /* first byte not yet yielded */
    size_t len;    /* bytes in buf */
    size_t cap;
    size_t max_message;
    bool failed;
    grpc_status_code fail_code;
    char fail_msg[96];
};

ss_grpc_frames *ss_grpc_frames_new(size_t max_message)
{
    ss_grpc_frames *fr = calloc(1, sizeof *fr);
    if (fr)
        fr->max_message = max_message;
    return fr;
}

void ss_grpc_frames_free(ss_grpc_frames *fr)
{
    if (!fr)
        return;
    free(fr->buf);
    free(fr);
}

int ss_grpc_frames_append(ss_grpc_frames *fr, const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    if (fr->head > 0) { /* drop what was yielded: earlier msg pointers die here */
        memmove(fr->buf, fr->buf + fr->head, fr->len - fr->head);
        fr->len -= fr->head;
        fr->head = 0;
    }
    if (len > SIZE_MAX - fr->len)
        return -1;
    if (fr->len + len > fr->cap) {
        size_t nc = fr->cap ? fr->cap : 4096;
        while (nc < fr->len + len)
            nc = nc > SIZE_MAX / 2 ? fr->len + len : nc * 2;
        uint8_t *nb = realloc(fr->buf, nc);
        if (!nb)
            return -1;
        fr->buf = nb;
        fr->cap = nc;
    }
    memcpy(fr->buf + fr->len, data, len);
    fr->len += len;
    return 0;
}

static int fail(ss_grpc_frames *fr, grpc_status_code code, const char *msg)
{
    fr->failed = true;
    fr->fail_code = code;
    snprintf(fr->fail_msg, sizeof fr->fail_msg, "%s", msg);
    return -1;
}

int ss_grpc_frames_next(ss_grpc_frames *fr, const uint8_t **msg, size_t *len,
                        grpc_status_code *code, char *err, size_t errlen)
{
    if (!fr->failed) {
        size_t avail = fr->len - fr->head;
        if (avail < SS_GRPC_FRAME_HEADER)
            return 0;
        const uint8_t *p = fr->buf + fr->head;
        uint32_t mlen = ((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 8) | p[4];
        if (p[0] != 0)
            fail(fr, GRPC_STATUS_INTERNAL, p[0] == 1 ? "compressed message (no compression was negotiated)"
                                                      : "invalid message flags");
        else if (mlen > fr->max_message)
            fail(fr, GRPC_STATUS_RESOURCE_EXHAUSTED, "message larger than the maximum");
        else if (avail - SS_GRPC_FRAME_HEADER < mlen)
            return 0;
        else {
            *msg = mlen ? p + SS_GRPC_FRAME_HEADER : NULL;
            *len = mlen;
            fr->head += SS_GRPC_FRAME_HEADER + mlen;
            return 1;
        }
    }
    if (code)
        *code = fr->fail_code;
    if (err && errlen)
        snprintf(err, errlen, "%s", fr->fail_msg);
    return -1;
}

size_t ss_grpc_frames_buffered(const ss_grpc_frames *fr)
{
    return fr->len - fr->head;
}

int ss_grpc_frame_prefix(uint8_t out[SS_GRPC_FRAME_HEADER], size_t len)
{
    if ((uint64_t)len > UINT32_MAX)
        return -1;
    out[0] = 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    return 0;
}

int ss_grpc_parse_status(const char *v, size_t len, grpc_status_code *code)
{
    if (len == 0 || len > 2)
        return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    if (n > 16)
        return -1;
    *code = (grpc_status_code)n;
    return 0;
}

size_t ss_grpc_percent_decode(const char *v, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < outlen; i++) {
        int hi = i + 2 < len ? ss_hex_digit(v[i + 1]) : -1;
        int lo = i + 2 < len ? ss_hex_digit(v[i + 2]) : -1;
        if (v[i] == '%' && hi >= 0 && lo >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = v[i];
        }
    }
    out[o] = 0;
    return o;
}

grpc_status_code ss_grpc_status_from_http(int http_status)
{
    switch (http_status) {
    case 400: return GRPC_STATUS_INTERNAL;
    case 401: return GRPC_STATUS_UNAUTHENTICATED;
    case 403: return GRPC_STATUS_PERMISSION_DENIED;
    case 404: return GRPC_STATUS_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504: return GRPC_STATUS_UNAVAILABLE;
    default: return GRPC_STATUS_UNKNOWN;
    }
}

grpc_status_code ss_grpc_status_from_rst(uint32_t h2_error)
{
    switch (h2_error) {
    case 0x7: return GRPC_STATUS_UNAVAILABLE;        /* REFUSED_STREAM */
    case 0x8: return GRPC_STATUS_CANCELLED;          /* CANCEL */
    case 0xb: return GRPC_STATUS_RESOURCE_EXHAUSTED; /* ENHANCE_YOUR_CALM */
    case 0xc: return GRPC_STATUS_PERMISSION_DENIED;  /* INADEQUATE_SECURITY */
    default: return GRPC_STATUS_INTERNAL;            /* NO_ERROR, PROTOCOL_ERROR, ... */
    }
}
