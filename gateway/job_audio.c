/* GET /speak/jobs/{id}/audio: a finished job's audio, streamed from the
 * object store, with single-range requests (RFC 9110 §14).
 *
 * `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` answer 206 with
 * Content-Range and exactly those bytes; a range that starts past the end
 * answers 416 RANGE_NOT_SATISFIABLE with `Content-Range: bytes * /size`; a
 * header we do not serve (several ranges, another unit, garbage) is
 * ignored, as the RFC allows, and the whole object is sent (200). Every
 * answer says `Accept-Ranges: bytes` and carries Content-Length, so players
 * can seek.
 *
 * The object is read on the audio threads (the store blocks on the disk),
 * one 256 KiB piece at a time: the next piece is read only when the
 * client's connection holds less than 1 MiB, so a slow client never makes
 * the gateway hold more than that, whatever the file's size. */
#include "gateway/http_stream.h"
#include "gateway/job_routes.h"
#include "gateway/job_store.h"

#include "common/audio_encode.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"

#include <ctype.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE_BYTES (256u * 1024)
#define QUEUED_HIGH (1024u * 1024)

int job_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (!header)
        return JOB_RANGE_NONE;
    while (*header == ' ')
        header++;
    if (strncmp(header, "bytes=", 6) != 0 || strchr(header, ','))
        return JOB_RANGE_NONE;
    const char *p = header + 6;
    char *end;
    if (*p == '-') { /* suffix: the last n bytes */
        if (!isdigit((unsigned char)p[1]))
            return JOB_RANGE_NONE;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end || n == 0)
            return n == 0 && !*end ? JOB_RANGE_UNSATISFIABLE : JOB_RANGE_NONE;
        if (size == 0)
            return JOB_RANGE_UNSATISFIABLE;
        *first = n >= size ? 0 : size - n;
        *last = size - 1;
        return JOB_RANGE_OK;
    }
    if (!isdigit((unsigned char)*p))
        return JOB_RANGE_NONE;
    unsigned long long a = strtoull(p, &end, 10);
    if (*end != '-')
        return JOB_RANGE_NONE;
    p = end + 1;
    unsigned long long b = UINT64_MAX;
    if (*p) {
        if (!isdigit((unsigned char)*p))
            return JOB_RANGE_NONE;
        b = strtoull(p, &end, 10);
        if (*end || b < a)
            return JOB_RANGE_NONE;
    }
    if (a >= size)
        return JOB_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return JOB_RANGE_OK;
}

typedef struct {
    gw_request *r;              /* until the stream starts */
    gw_http_stream *stream;
    ss_object_store *objects;
    ss_loop_pool *pool;
    char key[SS_OBJECT_KEY_MAX + 1];
    char request_id[SS_REQUEST_ID_MAX + 1];
    ss_object_reader *reader;
    uint64_t first, left;        /* bytes still to send */
    uint8_t *piece;
    size_t piece_len;
    bool reading, gone;
    char err[256];
} audio_ctx;

static void ctx_free(audio_ctx *a)
{
    ss_object_close(a->reader);
    free(a->piece);
    free(a);
}

static void read_next(audio_ctx *a);

/* Audio thread: open (first time) and read the next piece. */
static void read_piece(void *arg)
{
    audio_ctx *a = arg;
    a->piece_len = 0;
    if (!a->reader) {
        if (ss_object_open(a->objects, a->key, &a->reader, NULL, a->err, sizeof a->err) != SS_OBJECT_OK ||
            ss_object_seek(a->reader, a->first, a->err, sizeof a->err) != SS_OBJECT_OK)
            return;
    }
    size_t want = a->left < PIECE_BYTES ? (size_t)a->left : PIECE_BYTES;
    while (a->piece_len < want) {
        size_t got = 0;
        if (ss_object_read(a->reader, a->piece + a->piece_len, want - a->piece_len, &got, a->err,
                           sizeof a->err) != SS_OBJECT_OK)
            return;
        if (got == 0) {
            snprintf(a->err, sizeof a->err, "the object %.200s ended early", a->key);
            return;
        }
        a->piece_len += got;
    }
}

static void piece_read(void *arg)
{
    audio_ctx *a = arg;
    a->reading = false;
    if (a->gone) {
        gw_http_stream_abort(a->stream, "the client went away");
        ctx_free(a);
        return;
    }
    if (a->piece_len == 0) {
        ss_error(a->request_id, "job audio: %s", a->err);
        gw_http_stream_abort(a->stream, a->err);
        ctx_free(a);
        return;
    }
    if (gw_http_stream_write(a->stream, a->piece, a->piece_len) != 0) {
        gw_http_stream_abort(a->stream, "out of memory");
        ctx_free(a);
        return;
    }
    a->left -= a->piece_len;
    if (a->left == 0) {
        gw_http_stream_end(a->stream, NULL);
        ctx_free(a);
        return;
    }
    if (gw_http_stream_queued(a->stream) < QUEUED_HIGH)
        read_next(a);
    /* else on_drained reads on */
}

static void read_next(audio_ctx *a)
{
    a->reading = true;
    if (ss_loop_pool_submit(a->pool, read_piece, piece_read, a) != 0) {
        a->reading = false;
        gw_http_stream_abort(a->stream, "out of memory");
        ctx_free(a);
    }
}

static void on_drained(void *user)
{
    audio_ctx *a = user;
    if (!a->reading)
        read_next(a);
}

static void on_gone(void *user)
{
    audio_ctx *a = user;
    a->gone = true;
    if (!a->reading) {
        gw_http_stream_abort(a->stream, "the client went away");
        ctx_free(a);
    }
}

static void send_audio(gw_request *r, json_t *record)
{
    const char *status = json_string_value(json_object_get(record, JOB_F_STATUS));
    if (!status || strcmp(status, "completed")) {
        char msg[160];
        snprintf(msg, sizeof msg, "the job is %s: it has no audio%s", status ? status : "unknown",
                 status && (!strcmp(status, "queued") || !strcmp(status, "running")) ? " yet" : "");
        json_decref(record);
        gw_reply_error(r, SS_ERR_JOB_NOT_FINISHED, msg, NULL);
        return;
    }
    const char *key = json_string_value(json_object_get(record, JOB_F_RESULT_KEY));
    const char *fmt = json_string_value(json_object_get(record, JOB_F_RESULT_FORMAT));
    const char *bytes = json_string_value(json_object_get(record, JOB_F_RESULT_BYTES));
    const char *rate_s = json_string_value(json_object_get(record, "result_sample_rate"));
    uint64_t size = bytes ? strtoull(bytes, NULL, 10) : 0;
    ss_audio_format f;
    audio_ctx *a = calloc(1, sizeof *a);
    if (!a || !(a->piece = malloc(PIECE_BYTES))) {
        json_decref(record);
        free(a);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    snprintf(a->key, sizeof a->key, "%s", key ? key : "");
    char ctype[64] = "application/octet-stream";
    if (fmt && ss_audio_format_parse(fmt, &f) == 0)
        ss_audio_format_content_type(f, rate_s ? atoi(rate_s) : 0, ctype, sizeof ctype);
    json_decref(record);
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(out, "Accept-Ranges", "bytes");
    uint64_t first = 0, last = size ? size - 1 : 0;
    int range = job_range_parse(gw_header(r, "Range"), size, &first, &last);
    char hdr[96];
    if (range == JOB_RANGE_UNSATISFIABLE) {
        snprintf(hdr, sizeof hdr, "bytes */%" PRIu64, size);
        evhttp_add_header(out, "Content-Range", hdr);
        ctx_free(a);
        gw_reply_error(r, SS_ERR_RANGE_NOT_SATISFIABLE, "the range is outside the audio", NULL);
        return;
    }
    a->first = first;
    a->left = size ? last - first + 1 : 0;
    if (range == JOB_RANGE_OK) {
        snprintf(hdr, sizeof hdr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
        evhttp_add_header(out, "Content-Range", hdr);
    }
    snprintf(hdr, sizeof hdr, "%" PRIu64, a->left);
    evhttp_add_header(out, "Content-Length", hdr);
    a->objects = r->gw->objects;
    a->pool = r->gw->audio_pool;
    snprintf(a->request_id, sizeof a->request_id, "%s", r->id);
    a->r = r;
    static const gw_http_stream_events ev = {on_drained, on_gone};
    a->stream = gw_http_stream_start(r, range == JOB_RANGE_OK ? 206 : 200, ctype, NULL, &ev, a);
    if (!a->stream) {
        ctx_free(a);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    a->r = NULL; /* the stream owns it now */
    if (a->left == 0) {
        gw_http_stream_end(a->stream, NULL);
        ctx_free(a);
        return;
    }
    read_next(a);
}

void gw_handle_job_audio(gw_request *r)
{
    gw_job_read(r, r->params[0], send_audio);
}
