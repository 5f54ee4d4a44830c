/* One /stream/speak WebSocket session (API.md §3): authentication after the
 * upgrade, the client's messages, the synthesis, the close codes.
 *
 * The same session drives a WebRTC session's control WebSocket (webrtc.c):
 * started "bound", it skips `open` — once the caller is authorized, the
 * binding's claim() hands it what `open` would have read (the voice, the
 * policy, the nodes, the output) and an audio sink, and it answers `ready`
 * at once; its audio goes to the sink (the peer connection's appsrc)
 * instead of binary frames, paced the same way. Everything else (text,
 * flush, interrupt, close, alignment, the stats, the idle close) is
 * unchanged. */
#ifndef SS_GATEWAY_WS_SESSION_H
#define SS_GATEWAY_WS_SESSION_H

#include "gateway/gateway.h"
#include "gateway/speak_context.h"
#include "gateway/ws_open.h"

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <stdint.h>

typedef struct ws_session ws_session;

/* Where a bound session's audio goes: one packet (one raw Opus packet,
 * 20 ms) whose playback starts at monotonic time start_s, lasting secs. */
typedef struct {
    void (*send)(void *user, const uint8_t *packet, size_t len, double start_s, double secs);
    void *user;
} ws_audio_sink;

/* What a bound session starts with instead of `open`. */
typedef struct {
    ws_open_params open;
    speak_context ctx;  /* policy, voice, nodes: taken by the session; blocklist: borrowed for the call */
    ws_audio_sink sink;
    void *owner;        /* handed back to released() */
} ws_session_preset;

typedef struct {
    /* The caller is authorized for the bound session id: fill *out and
     * return 0, or return a close code (WS_CLOSE_*) with why. s is the new
     * session (for ws_session_end_bound later). */
    int (*claim)(const char *id, const gw_caller *caller, ws_session *s, ws_session_preset *out, char *why,
                 size_t cap);
    /* The session is over (once, for a claimed session, unless its owner
     * ended it with ws_session_end_bound). */
    void (*released)(void *owner);
} ws_session_binding;

/* Takes over r (upgraded: the 101 is queued on bev) and its connection. */
void ws_session_start(gw_request *r, struct evhttp_connection *evcon, struct bufferevent *bev);
/* The same for a bound session (binding is static; id is copied). */
void ws_session_start_bound(gw_request *r, struct evhttp_connection *evcon, struct bufferevent *bev,
                            const ws_session_binding *binding, const char *id);
/* The owner ends a claimed session: no more sink or released() calls; the
 * client gets an error frame (code, message) unless code is 1000, then the close. */
void ws_session_end_bound(ws_session *s, int code, const char *message);

/* Who a per-key session cap counts ("key:<id>", "user:<tid>:<uid>",
 * "operator"): /stream/speak and WebRTC sessions count by the same rule. */
void ws_session_cap_key(const gw_caller *c, char *out, size_t cap);

#endif
