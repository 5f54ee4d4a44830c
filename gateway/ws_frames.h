/* WebSocket framing over a hijacked HTTP connection (RFC 6455 with wslay).
 *
 * ws_upgrade.c takes the connection's bufferevent from evhttp after the 101;
 * from then on this file owns its callbacks. It reads frames with wslay,
 * reassembles fragmented messages and hands each complete text message to
 * the owner; it writes text and binary messages and the close handshake.
 *
 * Limits (a protocol error closes the connection itself, tells the owner
 * with on_closing, and the gateway keeps serving):
 *   - a message whose frames add up to more than max_message bytes: close
 *     4400 as soon as the frame header that crosses the limit arrives (the
 *     payload is never buffered);
 *   - a binary message from the client: close 4400 (the protocol's client
 *     messages are JSON text);
 *   - a malformed frame (masking, reserved bits, bad UTF-8 in text, bad
 *     control frames): wslay closes 1002/1007, as RFC 6455 says.
 * The peer's close frame is answered with the same code (wslay) and reported
 * with on_closing. Reading can be held (ws_conn_hold_reading) while the
 * owner waits on Redis: frames stay in the socket buffer, unread.
 *
 * Output goes straight into the bufferevent's output buffer;
 * ws_conn_pending() says how much the client has not taken yet and
 * on_drained fires when that falls to low_watermark (back-pressure is the
 * owner's: it stops producing while pending is high).
 *
 * Teardown is never synchronous: after the close handshake (our close frame
 * written and the peer's received — after ours, reading goes on, held or
 * not, until the peer's close arrives, and data messages still on the way
 * are dropped — or, logged, 2 s after ours when it never comes; after an
 * oversized message, whose payload is never read, only the 2 s or the
 * peer's own end of the connection finish it), when the peer's TCP
 * connection ends, or on a socket error, on_closed is called once from the
 * loop (not from inside any call of the owner) and the ws_conn is freed;
 * the owner then frees the evhttp connection (evhttp_connection_free, with
 * the upgrade request it carries) once it no longer uses that request. */
#ifndef SS_GATEWAY_WS_FRAMES_H
#define SS_GATEWAY_WS_FRAMES_H

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Close codes of /stream/speak (API.md §3) and RFC 6455's we use. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_PROTOCOL = 4400,
    WS_CLOSE_UNAUTHENTICATED = 4401,
    WS_CLOSE_FORBIDDEN = 4403,
    WS_CLOSE_VOICE_NOT_FOUND = 4404,
    WS_CLOSE_IDLE = 4408,
    WS_CLOSE_VOICE_NOT_READY = 4409,
    WS_CLOSE_RATE_LIMITED = 4429,
    WS_CLOSE_INTERNAL = 4500,
    WS_CLOSE_BACKEND = 4502,
};

typedef struct ws_conn ws_conn;

typedef struct {
    void (*on_text)(void *user, const char *msg, size_t len);
    /* The connection is closing (a protocol error here, or the peer's close
     * frame): stop producing. Not called for the owner's own ws_conn_close. */
    void (*on_closing)(void *user, int code, const char *reason);
    void (*on_drained)(void *user);
    void (*on_closed)(void *user); /* last; the conn is freed after it returns */
} ws_conn_events;

/* Takes over bev (evhttp's, of evcon): callbacks, timeouts cleared. Bytes
 * already read past the handshake are kept and read first. NULL when out
 * of memory (evcon untouched). Reading starts held. */
ws_conn *ws_conn_new(struct evhttp_connection *evcon, struct bufferevent *bev, size_t max_message,
                     size_t low_watermark, const char *request_id, const ws_conn_events *ev,
                     void *user);
void ws_conn_hold_reading(ws_conn *c);
void ws_conn_resume_reading(ws_conn *c);
/* 0, or -1 (out of memory, or the connection is closing: nothing sent). */
int ws_conn_send_text(ws_conn *c, const char *text, size_t len);
/* Sends j as a text message and releases it; 0 or -1 as above. */
int ws_conn_send_json(ws_conn *c, json_t *j);
int ws_conn_send_binary(ws_conn *c, const uint8_t *data, size_t len);
/* Starts the close handshake with code and reason (cut to 123 bytes). A
 * second close, or one after the peer's, does nothing. */
void ws_conn_close(ws_conn *c, int code, const char *reason);
bool ws_conn_closing(const ws_conn *c);
/* Bytes written by us and not yet taken by the client's socket. */
size_t ws_conn_pending(const ws_conn *c);
/* Ends the connection at once without a handshake (the gateway is going
 * away); on_closed follows from the loop. */
void ws_conn_abort(ws_conn *c);

#endif
