/* libFuzzer target: the WebSocket frame layer (gateway/ws_frames.c: our
 * wslay callbacks, the message size limit, fragmentation, close handling)
 * on the bytes a client sends.
 *
 * Each input gets a private event_base and a bufferevent pair: the gateway's
 * end is handed to ws_conn_new (the evhttp connection is NULL: ws_frames.c
 * only keeps it for the owner, never uses it), the client's end gets the
 * input and drains whatever the gateway answers. The loop runs until no
 * callback is active after every chunk written, and the input picks how the
 * connection ends, so each teardown path runs: the gateway aborts, the
 * client's TCP ends, the gateway closes and the client goes away, or the
 * gateway closes and the client answers with its own close frame. Anything
 * still open is aborted; everything is freed; LeakSanitizer checks that.
 *
 * Input: byte 0 holds flags (bit 0 framed, bits 1-2 the ending, bit 3 echo
 * each text message back, bit 4 hold reading on each text message and
 * resume from the loop as the session does while Redis answers, bits 5-6 the
 * message limit 16/125/1024/65536); byte 1 the write chunk size (0: all at
 * once). Raw: the rest is written as is (wslay must refuse unmasked frames).
 * Framed: the rest is a list of [header byte, length byte, payload], each
 * sent as a masked client frame with the header byte's FIN, RSV and opcode;
 * length 0xff declares 65536 bytes more than the payload that follows, 0xfe
 * takes the rest of the input; longer payloads use the 16-bit length form.
 *
 * Checked: every text message handed to the owner fits the limit and is
 * UTF-8 (wslay refuses the rest), nothing reaches the owner after on_closed,
 * on_closed comes exactly once. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "gateway/ws_frames.h"
#include "fuzz_utf8.h"

enum { ENDING_ABORT, ENDING_CLIENT_EOF, ENDING_CLOSE_THEN_EOF, ENDING_CLOSE_HANDSHAKE };

typedef struct {
    ws_conn *conn;
    struct event *resume;
    size_t max_message;
    bool echo, hold;
    bool closing, closed;
    int closed_calls;
} owner;


static void on_text(void *user, const char *msg, size_t len)
{
    owner *o = user;
    if (o->closed || len > o->max_message || !utf8_valid((const unsigned char *)msg, len))
        __builtin_trap();
    if (o->echo)
        (void)ws_conn_send_text(o->conn, msg, len); /* -1 while closing: fine */
    if (o->hold) {
        ws_conn_hold_reading(o->conn);
        event_active(o->resume, 0, 0);
    }
}

static void on_closing(void *user, int code, const char *reason)
{
    owner *o = user;
    if (o->closed || !reason)
        __builtin_trap();
    (void)code;
    o->closing = true;
}

static void on_drained(void *user)
{
    owner *o = user;
    if (o->closed)
        __builtin_trap();
}

static void on_closed(void *user)
{
    owner *o = user;
    o->closed = true;
    o->closed_calls++;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    owner *o = arg;
    if (!o->closed)
        ws_conn_resume_reading(o->conn);
}

/* The client reads and forgets whatever the gateway sends. */
static void client_drain(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void run_until_idle(struct event_base *base, const owner *o)
{
    for (int i = 0; i < 100000 && !o->closed; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) == 0)
            return;
    }
}

/* One masked client frame: header byte h, declared length, payload p[0..n). */
static void add_frame(struct evbuffer *out, uint8_t h, uint64_t declared, const uint8_t *p, size_t n)
{
    uint8_t head[14];
    size_t hl = 0;
    head[hl++] = h;
    if (declared < 126) {
        head[hl++] = 0x80 | (uint8_t)declared;
    } else if (declared < 65536) {
        head[hl++] = 0x80 | 126;
        head[hl++] = (uint8_t)(declared >> 8);
        head[hl++] = (uint8_t)declared;
    } else {
        head[hl++] = 0x80 | 127;
        for (int k = 7; k >= 0; k--)
            head[hl++] = (uint8_t)(declared >> (8 * k));
    }
    const uint8_t key[4] = {h, (uint8_t)declared, 0xa5, 0x3c};
    memcpy(head + hl, key, 4);
    hl += 4;
    evbuffer_add(out, head, hl);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i] ^ key[i % 4];
        evbuffer_add(out, &b, 1);
    }
}

static void build_frames(struct evbuffer *out, const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i + 2 <= n) {
        uint8_t h = d[i], l = d[i + 1];
        i += 2;
        size_t rest = n - i;
        size_t take = l >= 0xfe ? rest : (l < rest ? l : rest);
        uint64_t declared = l == 0xff ? (uint64_t)take + 65536 : take;
        add_frame(out, h, declared, d + i, take);
        i += take;
    }
}

/* Writes the client's bytes in chunks, the loop running after each. */
static void send_client_bytes(struct event_base *base, const owner *o, struct bufferevent *client,
                              struct evbuffer *bytes, size_t chunk)
{
    while (evbuffer_get_length(bytes) > 0 && !o->closed) {
        size_t n = chunk ? chunk : evbuffer_get_length(bytes);
        if (n > evbuffer_get_length(bytes))
            n = evbuffer_get_length(bytes);
        evbuffer_remove_buffer(bytes, bufferevent_get_output(client), n);
        run_until_idle(base, o);
    }
}

static void end_connection(struct event_base *base, owner *o, struct bufferevent *client, int ending)
{
    static const uint8_t close_1000[2] = {0x03, 0xe8};
    struct evbuffer *frame;
    switch (ending) {
    case ENDING_ABORT:
        break;
    case ENDING_CLIENT_EOF:
        bufferevent_flush(client, EV_WRITE, BEV_FINISHED);
        break;
    case ENDING_CLOSE_THEN_EOF:
    case ENDING_CLOSE_HANDSHAKE:
        if (o->closed)
            break;
        ws_conn_close(o->conn, WS_CLOSE_NORMAL, "the fuzzer is done");
        run_until_idle(base, o);
        if (o->closed)
            break;
        if (ending == ENDING_CLOSE_THEN_EOF) {
            bufferevent_flush(client, EV_WRITE, BEV_FINISHED);
            break;
        }
        frame = evbuffer_new();
        if (frame) {
            add_frame(frame, 0x88, sizeof close_1000, close_1000, sizeof close_1000);
            send_client_bytes(base, o, client, frame, 0);
            evbuffer_free(frame);
        }
        break;
    }
    run_until_idle(base, o);
    if (!o->closed)
        ws_conn_abort(o->conn);
    run_until_idle(base, o);
    if (o->closed_calls != 1)
        __builtin_trap(); /* on_closed exactly once, from the loop */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ss_log_init("fuzz_ws_frames", SS_LOG_ERROR); /* the 4400 lines are info */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const size_t LIMITS[] = {16, 125, 1024, 65536};
    uint8_t flags = data[0];
    size_t chunk = data[1];
    owner o = {
        .max_message = LIMITS[(flags >> 5) & 3],
        .echo = flags & 8,
        .hold = flags & 16,
    };
    struct event_base *base = event_base_new();
    struct bufferevent *pair[2] = {NULL, NULL};
    struct evbuffer *bytes = evbuffer_new();
    if (!base || !bytes || bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair) != 0)
        goto done;
    o.resume = event_new(base, -1, 0, on_resume, &o);
    if (!o.resume)
        goto done;
    bufferevent_setcb(pair[1], client_drain, NULL, NULL, NULL);
    bufferevent_enable(pair[1], EV_READ | EV_WRITE);
    static const ws_conn_events EVENTS = {on_text, on_closing, on_drained, on_closed};
    o.conn = ws_conn_new(NULL, pair[0], o.max_message, 0, "fuzz", &EVENTS, &o);
    if (!o.conn)
        goto done;
    ws_conn_resume_reading(o.conn);
    if (flags & 1)
        build_frames(bytes, data + 2, size - 2);
    else
        evbuffer_add(bytes, data + 2, size - 2);
    send_client_bytes(base, &o, pair[1], bytes, chunk);
    end_connection(base, &o, pair[1], (flags >> 1) & 3);
done:
    if (o.resume)
        event_free(o.resume);
    if (pair[0])
        bufferevent_free(pair[0]);
    if (pair[1])
        bufferevent_free(pair[1]);
    if (bytes)
        evbuffer_free(bytes);
    if (base) {
        /* a callback still queued holds a reference on its bufferevent,
         * dropped only when it runs: let them run, then free the base */
        for (int i = 0; i < 1000 && event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) > 0; i++)
            event_base_loop(base, EVLOOP_NONBLOCK);
        event_base_free(base);
    }
    return 0;
}
