/* GET /v1/modules/scaispeak/stream/speak: the WebSocket handshake and the
 * hijack of evhttp's connection (see ws_upgrade.h).
 *
 * The route is public to the phase walk (NEED_NOTHING) because API.md §3
 * wants the upgrade accepted before authentication, whose failure is then a
 * close frame (4401/4403), not an HTTP answer. Bad handshake headers are
 * still answered over HTTP: 400 MALFORMED_REQUEST (JSON), with
 * Sec-WebSocket-Version: 13 when the version is the problem. A credential
 * in ?token= (browsers cannot set headers on a WebSocket) is moved into an
 * Authorization header of the request, so auth.c reads it like any other,
 * and the access log shows the URI without it.
 *
 * The hijack, as libevent 2.1 allows with its public API (STACK-NOTES.md):
 * the request is never answered through evhttp; the 101 is written raw
 * into the connection's bufferevent, whose callbacks ws_frames.c then takes
 * over; the connection is freed with evhttp_connection_free at the end of
 * the session. The request stops counting as an answer in flight (the
 * SIGTERM drain waits for answers, not for sessions, which it cuts). */
#include "gateway/ws_upgrade.h"

#include "gateway/gateway.h"
#include "gateway/ws_session.h"

#include "common/log.h"

#include "gateway/http_lists.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static bool key_ok(const char *key)
{
    if (!key || strlen(key) != 24 || strcmp(key + 22, "==") != 0)
        return false;
    unsigned char raw[24];
    return EVP_DecodeBlock(raw, (const unsigned char *)key, 24) == 18; /* 16 bytes + 2 of padding */
}

const char *ws_upgrade_problem(const struct evkeyvalq *headers)
{
    struct evkeyvalq *h = (struct evkeyvalq *)headers;
    if (!gw_list_has(evhttp_find_header(h, "Upgrade"), "websocket"))
        return "this route is a WebSocket: send Upgrade: websocket";
    if (!gw_list_has(evhttp_find_header(h, "Connection"), "upgrade"))
        return "a WebSocket handshake needs Connection: Upgrade";
    const char *version = evhttp_find_header(h, "Sec-WebSocket-Version");
    if (!version || strcmp(version, "13") != 0)
        return "Sec-WebSocket-Version must be 13";
    if (!key_ok(evhttp_find_header(h, "Sec-WebSocket-Key")))
        return "Sec-WebSocket-Key must be 16 bytes in base64";
    return NULL;
}

int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    char joined[128];
    int n = snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (n < 0 || (size_t)n >= sizeof joined ||
        EVP_Digest(joined, (size_t)n, digest, &dlen, EVP_sha1(), NULL) != 1 || dlen != 20)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, digest, 20);
    out[WS_ACCEPT_LEN] = '\0';
    return 0;
}

/* ?token= becomes the Authorization header when the request has none. */
static int move_query_token(gw_request *r)
{
    const char *token = gw_query(r, "token");
    struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
    if (!token || evhttp_find_header(in, "Authorization"))
        return 0;
    char value[4096];
    int n = snprintf(value, sizeof value, "Bearer %s", token);
    if (n < 0 || (size_t)n >= sizeof value)
        return 0; /* longer than any credential: authentication refuses what is left */
    return evhttp_add_header(in, "Authorization", value);
}

int ws_upgrade_accept(gw_request *r, struct evhttp_connection **evcon_out, struct bufferevent **bev_out)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
    const char *problem = ws_upgrade_problem(in);
    if (problem) {
        if (strstr(problem, "Version"))
            evhttp_add_header(evhttp_request_get_output_headers(r->req), "Sec-WebSocket-Version", "13");
        gw_reply_error(r, SS_ERR_MALFORMED_REQUEST, problem, NULL);
        return -1;
    }
    char accept[WS_ACCEPT_LEN + 1];
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    if (!bev || ws_accept_key(evhttp_find_header(in, "Sec-WebSocket-Key"), accept) != 0 ||
        move_query_token(r) != 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    if (evbuffer_add_printf(bufferevent_get_output(bev),
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Request-Id: %s\r\n\r\n",
                            accept, r->id) < 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    r->gw->in_flight--; /* answered (101); the session is not an answer in flight */
    *evcon_out = evcon;
    *bev_out = bev;
    return 0;
}

void gw_handle_ws_speak(gw_request *r)
{
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    if (ws_upgrade_accept(r, &evcon, &bev) == 0)
        ws_session_start(r, evcon, bev);
}
