/* Streamed HTTP answers (see http_stream.h).
 *
 * evhttp keeps a server request at the head of its connection's queue until
 * evhttp_send_reply_end; a chunk goes out with evhttp_send_reply_chunk_with_cb,
 * whose callback runs when the output buffer has drained (the bufferevent's
 * write low-water mark is 0), which is our on_drained. When the client leaves
 * mid-answer evhttp detaches the request from the connection (its evcon
 * becomes NULL), frees the connection and calls the connection's close
 * callback — our on_gone; the request is then ours and
 * evhttp_send_reply_end frees it. Aborting frees the connection ourselves
 * (evhttp_connection_free also frees the request queued on it).
 *
 * The trailer: evhttp writes the last chunk as "0\r\n\r\n" and has no
 * trailer API, so end writes "0\r\n<name>: <value>\r\n\r\n" itself and clears
 * the request's chunked flag (event2/http_struct.h) before
 * evhttp_send_reply_end, which then only waits for the output to drain. */
#include "gateway/http_stream.h"

#include "common/api_error.h"
#include "common/log.h"
#include "common/metrics.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http_struct.h>
#include <stdlib.h>
#include <string.h>

struct gw_http_stream {
    gw_request *r;
    gw_server *gw;
    struct evhttp_request *req;
    int status;
    char trailer[64];
    char request_id[SS_REQUEST_ID_MAX + 1];
    gw_http_stream_events ev;
    void *user;
    size_t sent;
    bool gone;
};

static void on_connection_closed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    gw_http_stream *s = arg;
    if (s->gone)
        return;
    s->gone = true;
    s->gw->in_flight--; /* as gw_track_answer's close callback would */
    s->ev.on_gone(s->user);
}

static void on_output_drained(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    gw_http_stream *s = arg;
    if (!s->gone)
        s->ev.on_drained(s->user);
}

/* evhttp chunks a streamed answer for HTTP/1.1 and later; an HTTP/1.0
 * client gets the body up to the connection's close, with no trailer (so
 * none is announced) and no way to tell a cut answer from a whole one. */
static bool answer_is_chunked(const struct evhttp_request *req)
{
    return req->major > 1 || (req->major == 1 && req->minor >= 1);
}

gw_http_stream *gw_http_stream_start(gw_request *r, int status, const char *content_type,
                                     const char *trailer, const gw_http_stream_events *ev,
                                     void *user)
{
    gw_http_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->r = r;
    s->gw = r->gw;
    s->req = r->req;
    s->status = status;
    s->ev = *ev;
    s->user = user;
    snprintf(s->request_id, sizeof s->request_id, "%s", r->id);
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(out, "Content-Type", content_type);
    evhttp_add_header(out, "X-Request-Id", r->id);
    if (trailer && answer_is_chunked(r->req)) {
        snprintf(s->trailer, sizeof s->trailer, "%s", trailer);
        evhttp_add_header(out, "Trailer", trailer);
    }
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
    if (!evcon) { /* the client left already */
        s->gone = true;
        s->gw->in_flight--;
        return s;
    }
    evhttp_connection_set_closecb(evcon, on_connection_closed, s);
    evhttp_send_reply_start(r->req, status, ss_http_reason(status));
    return s;
}

int gw_http_stream_write(gw_http_stream *s, const void *data, size_t len)
{
    if (s->gone || !len)
        return 0;
    struct evbuffer *b = evbuffer_new();
    if (!b || evbuffer_add(b, data, len) != 0) {
        if (b)
            evbuffer_free(b);
        return -1;
    }
    evhttp_send_reply_chunk_with_cb(s->req, b, on_output_drained, s);
    evbuffer_free(b);
    s->sent += len;
    return 0;
}

size_t gw_http_stream_queued(const gw_http_stream *s)
{
    struct evhttp_connection *evcon = s->gone ? NULL : evhttp_request_get_connection(s->req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

size_t gw_http_stream_sent(const gw_http_stream *s)
{
    return s->sent;
}

bool gw_http_stream_connected(const gw_http_stream *s)
{
    return !s->gone;
}

const char *gw_http_stream_request_id(const gw_http_stream *s)
{
    return s->request_id;
}

static void count_bytes(gw_http_stream *s)
{
    ss_metrics_counter_add("scaispeak_stream_bytes_total", "audio bytes streamed to clients",
                           "transport=\"http\"", (double)s->sent);
}

void gw_http_stream_end(gw_http_stream *s, const char *trailer_value)
{
    gw_request_finish(s->r, s->status);
    count_bytes(s);
    struct evhttp_request *req = s->req;
    struct evhttp_connection *evcon = s->gone ? NULL : evhttp_request_get_connection(req);
    if (!evcon) {
        evhttp_send_reply_end(req); /* detached: this frees it */
        free(s);
        return;
    }
    gw_track_answer(s->gw, req); /* replaces our close callback */
    if (req->chunked && *s->trailer && trailer_value) {
        struct evbuffer *out = bufferevent_get_output(evhttp_connection_get_bufferevent(evcon));
        evbuffer_add_printf(out, "0\r\n%s: %s\r\n\r\n", s->trailer, trailer_value);
        req->chunked = 0;
    }
    evhttp_send_reply_end(req);
    free(s);
}

void gw_http_stream_abort(gw_http_stream *s, const char *why)
{
    ss_warn(s->request_id, "streamed answer cut after %zu bytes: %s", s->sent, why);
    ss_metrics_counter_add("scaispeak_stream_aborts_total",
                           "streamed answers cut short (the client sees a truncated body)",
                           "transport=\"http\"", 1);
    gw_request_finish(s->r, s->status);
    count_bytes(s);
    struct evhttp_request *req = s->req;
    struct evhttp_connection *evcon = s->gone ? NULL : evhttp_request_get_connection(req);
    if (!evcon) {
        evhttp_send_reply_end(req);
        free(s);
        return;
    }
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    s->gw->in_flight--;
    evhttp_connection_free(evcon); /* frees req with it */
    free(s);
}
