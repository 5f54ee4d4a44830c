/* WebSocket framing with wslay over a hijacked evhttp connection (see
 * ws_frames.h).
 *
 * wslay's event API does no I/O itself: its recv callback takes bytes from
 * the bufferevent's input buffer (WOULDBLOCK when empty) and its send
 * callback appends to the output buffer, which libevent writes. Every entry
 * from the loop (readable, written, an event, the deferred pump) ends in
 * `settle`, which decides whether the connection is finished; the teardown
 * itself always runs from the `finish` event, never inside a call from the
 * owner. */
#include "gateway/ws_frames.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/utf8.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#define WS_CLOSE_WAIT_MS 2000
#define WS_MAX_CLOSE_REASON 123

struct ws_conn {
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    wslay_event_context_ptr ctx;
    ws_conn_events ev;
    void *user;
    char request_id[64];
    size_t max_message;
    size_t low_watermark;
    uint64_t message_bytes;   /* frames of the message being received so far */
    bool held;                /* reading held by the owner */
    bool closing;             /* a close frame was queued (by anyone) */
    bool close_wait_over;     /* WS_CLOSE_WAIT_MS passed since ours */
    bool finished;            /* the finish event is scheduled */
    struct event *pump;       /* deferred reading (resume) */
    struct event *finish;     /* deferred teardown */
    struct event *close_wait;
};

static void settle(ws_conn *c);

static ssize_t on_wslay_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                             void *user)
{
    (void)flags;
    ws_conn *c = user;
    int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static ssize_t on_wslay_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                             void *user)
{
    (void)flags;
    ws_conn *c = user;
    if (evbuffer_add(bufferevent_get_output(c->bev), data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* After our close frame the client's answering close is still read (held or
 * not), so the connection ends as soon as it arrives instead of when the
 * close wait runs out; data messages that were already on the way are read
 * and dropped (on_message). Not after an oversized message: its payload is
 * never read (stop_reading), and the close wait ends the connection. */
static void read_until_the_peer_closes(ws_conn *c)
{
    c->held = false;
    if (c->finished)
        return;
    bufferevent_enable(c->bev, EV_READ);
    event_active(c->pump, 0, 0);
}

static void close_with(ws_conn *c, int code, const char *reason, bool tell_owner, bool stop_reading)
{
    if (c->closing)
        return;
    /* RFC 6455 7.1.6: the reason is UTF-8 (a browser fails the connection
     * on one that is not), so a reason that is not is repaired, and a long
     * one is cut between characters. Without memory for the repair the
     * close goes without a reason rather than with an invalid one. */
    char *repaired = NULL;
    const char *text = reason;
    if (!ss_utf8_valid(reason, strlen(reason))) {
        repaired = ss_utf8_repaired(reason);
        text = repaired ? repaired : "";
        if (!repaired)
            ss_warn(c->request_id, "websocket: close %d without its reason: out of memory", code);
    }
    size_t rlen = ss_utf8_prefix(text, strlen(text), WS_MAX_CLOSE_REASON);
    wslay_event_queue_close(c->ctx, (uint16_t)code, (const uint8_t *)text, rlen);
    free(repaired);
    if (stop_reading)
        wslay_event_shutdown_read(c->ctx);
    else
        read_until_the_peer_closes(c);
    c->closing = true;
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    struct timeval tv = {WS_CLOSE_WAIT_MS / 1000, (WS_CLOSE_WAIT_MS % 1000) * 1000};
    event_add(c->close_wait, &tv);
    if (tell_owner && c->ev.on_closing)
        c->ev.on_closing(c->user, code, reason);
}

/* The limit is checked per frame header, before its payload is read. */
static void on_frame_start(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_start_arg *arg,
                           void *user)
{
    (void)ctx;
    ws_conn *c = user;
    if (arg->opcode >= 0x8) /* control frames are small and not part of a message */
        return;
    if (arg->opcode != WSLAY_CONTINUATION_FRAME)
        c->message_bytes = 0;
    c->message_bytes += arg->payload_length;
    if (c->message_bytes > c->max_message && c->closing) {
        wslay_event_shutdown_read(ctx); /* dropped anyway: never buffered */
        return;
    }
    if (c->message_bytes > c->max_message) {
        char why[96];
        snprintf(why, sizeof why, "message larger than %zu bytes", c->max_message);
        ss_info(c->request_id, "websocket: %s: closing 4400", why);
        close_with(c, WS_CLOSE_PROTOCOL, why, true, true);
    }
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    ws_conn *c = user;
    if (c->closing && arg->opcode != WSLAY_CONNECTION_CLOSE)
        return;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        c->ev.on_text(c->user, (const char *)arg->msg, arg->msg_length);
        return;
    case WSLAY_BINARY_FRAME:
        ss_info(c->request_id, "websocket: binary message from the client: closing 4400");
        close_with(c, WS_CLOSE_PROTOCOL, "binary messages are not accepted; send JSON text", true, false);
        return;
    case WSLAY_CONNECTION_CLOSE:
        if (!c->closing) { /* wslay answers it with the same code */
            c->closing = true;
            bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
            if (c->ev.on_closing)
                c->ev.on_closing(c->user, arg->status_code, "closed by the client");
        }
        return;
    default:
        return; /* ping and pong: wslay answers pings itself */
    }
}

static void schedule_finish(ws_conn *c)
{
    if (c->finished)
        return;
    c->finished = true;
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    event_active(c->finish, 0, 0);
}

/* Reads what can be read (unless held) and writes what wslay queued. */
static void pump(ws_conn *c)
{
    if (c->finished)
        return;
    if (!c->held && wslay_event_want_read(c->ctx) && wslay_event_recv(c->ctx) != 0) {
        schedule_finish(c);
        return;
    }
    if (wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0)
        schedule_finish(c);
}

/* Whether the connection is over: both closes done (or ours timed out) and
 * every byte written. */
static void settle(ws_conn *c)
{
    if (c->finished || !c->closing)
        return;
    bool sent = wslay_event_get_close_sent(c->ctx);
    bool received = wslay_event_get_close_received(c->ctx);
    size_t pending = evbuffer_get_length(bufferevent_get_output(c->bev));
    if (sent && pending == 0 && received) {
        schedule_finish(c);
    } else if (c->close_wait_over) {
        ss_info(c->request_id, "websocket: %s %d ms after our close frame; ending the connection",
                !sent || pending ? "the client has not taken all of our output" : "no close frame from the client",
                WS_CLOSE_WAIT_MS);
        schedule_finish(c); /* the client takes nothing more: give up */
    }
}

static void on_readable(struct bufferevent *bev, void *arg)
{
    (void)bev;
    ws_conn *c = arg;
    pump(c);
    settle(c);
}

static void on_written(struct bufferevent *bev, void *arg)
{
    (void)bev;
    ws_conn *c = arg;
    if (!c->closing && c->ev.on_drained)
        c->ev.on_drained(c->user);
    settle(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    ws_conn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        if (!c->closing && c->ev.on_closing)
            c->ev.on_closing(c->user, 1006, what & BEV_EVENT_TIMEOUT ? "the connection timed out"
                                                                   : "the connection ended without a close frame");
        c->closing = true;
        schedule_finish(c);
    }
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ws_conn *c = arg;
    pump(c);
    settle(c);
}

static void on_close_wait(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ws_conn *c = arg;
    c->close_wait_over = true;
    settle(c);
}

static void conn_free(ws_conn *c)
{
    if (c->pump)
        event_free(c->pump);
    if (c->finish)
        event_free(c->finish);
    if (c->close_wait)
        event_free(c->close_wait);
    if (c->ctx)
        wslay_event_context_free(c->ctx);
    free(c);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ws_conn *c = arg;
    c->ev.on_closed(c->user); /* the owner frees the evhttp connection */
    conn_free(c);
}

ws_conn *ws_conn_new(struct evhttp_connection *evcon, struct bufferevent *bev, size_t max_message,
                     size_t low_watermark, const char *request_id, const ws_conn_events *ev,
                     void *user)
{
    ws_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->evcon = evcon;
    c->bev = bev;
    c->ev = *ev;
    c->user = user;
    c->max_message = max_message;
    c->low_watermark = low_watermark;
    c->held = true;
    snprintf(c->request_id, sizeof c->request_id, "%s", request_id);
    struct event_base *base = bufferevent_get_base(bev);
    c->pump = event_new(base, -1, 0, on_pump, c);
    c->finish = event_new(base, -1, 0, on_finish, c);
    c->close_wait = evtimer_new(base, on_close_wait, c);
    static const struct wslay_event_callbacks callbacks = {
        .recv_callback = on_wslay_recv,
        .send_callback = on_wslay_send,
        .on_frame_recv_start_callback = on_frame_start,
        .on_msg_recv_callback = on_message,
    };
    if (!c->pump || !c->finish || !c->close_wait ||
        wslay_event_context_server_init(&c->ctx, &callbacks, c) != 0) {
        conn_free(c);
        return NULL;
    }
    /* no wslay limit of its own: it would close 1009 before on_frame_start
     * sees the frame; on_frame_start closes 4400 and stops reading instead */
    /* evhttp armed http_idle_timeout_s on this bufferevent. Clearing it with
     * NULL timeouts was not enough: about one session in two still ended
     * with a BEV_EVENT_TIMEOUT after exactly http_idle_timeout_s (libevent
     * 2.1.12). Explicit day-long timeouts replace the armed timers; idleness
     * is the session's own business (ws_idle_timeout_s). */
    struct timeval day = {86400, 0};
    bufferevent_disable(bev, EV_READ | EV_WRITE);
    bufferevent_set_timeouts(bev, &day, &day);
    bufferevent_setwatermark(bev, EV_WRITE, low_watermark, 0);
    bufferevent_setcb(bev, on_readable, on_written, on_event, c);
    bufferevent_enable(bev, EV_WRITE);
    bufferevent_disable(bev, EV_READ);
    return c;
}

void ws_conn_hold_reading(ws_conn *c)
{
    if (c->closing)
        return; /* the peer's close is still to be read */
    c->held = true;
    if (!c->finished)
        bufferevent_disable(c->bev, EV_READ);
}

void ws_conn_resume_reading(ws_conn *c)
{
    if (!c->held || c->finished)
        return;
    c->held = false;
    bufferevent_enable(c->bev, EV_READ);
    event_active(c->pump, 0, 0); /* bytes already buffered are read too */
}

static int send_message(ws_conn *c, uint8_t opcode, const uint8_t *data, size_t len)
{
    if (c->closing || c->finished)
        return -1;
    struct wslay_event_msg msg = {opcode, data, len};
    if (wslay_event_queue_msg(c->ctx, &msg) != 0)
        return -1;
    if (wslay_event_send(c->ctx) != 0) {
        schedule_finish(c);
        return -1;
    }
    return 0;
}

int ws_conn_send_text(ws_conn *c, const char *text, size_t len)
{
    return send_message(c, WSLAY_TEXT_FRAME, (const uint8_t *)text, len);
}

int ws_conn_send_json(ws_conn *c, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return -1;
    int rc = ws_conn_send_text(c, s, strlen(s));
    free(s);
    return rc;
}

int ws_conn_send_binary(ws_conn *c, const uint8_t *data, size_t len)
{
    int rc = send_message(c, WSLAY_BINARY_FRAME, data, len);
    if (rc == 0)
        ss_metrics_counter_add("scaispeak_stream_bytes_total", "audio bytes streamed to clients",
                               "transport=\"ws\"", (double)len);
    return rc;
}

void ws_conn_close(ws_conn *c, int code, const char *reason)
{
    if (c->finished)
        return;
    close_with(c, code, reason, false, false);
    if (wslay_event_send(c->ctx) != 0) {
        schedule_finish(c);
        return;
    }
    event_active(c->pump, 0, 0); /* settle from the loop */
}

bool ws_conn_closing(const ws_conn *c)
{
    return c->closing || c->finished;
}

size_t ws_conn_pending(const ws_conn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void ws_conn_abort(ws_conn *c)
{
    c->closing = true;
    schedule_finish(c);
}
