/* The WebSocket upgrade of GET /v1/modules/scaispeak/stream/speak on the
 * HTTP port (RFC 6455 section 4.2), and the hand-over of the connection
 * from evhttp to the session (ws_session.h). */
#ifndef SS_GATEWAY_WS_UPGRADE_H
#define SS_GATEWAY_WS_UPGRADE_H

#include "gateway/gateway.h"

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stddef.h>

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

/* What is wrong with the handshake headers, or NULL when they ask for a
 * WebSocket we speak: Upgrade has the token websocket, Connection the token
 * upgrade, Sec-WebSocket-Version is 13, Sec-WebSocket-Key is base64 of 16
 * bytes. */
const char *ws_upgrade_problem(const struct evkeyvalq *headers);
/* Sec-WebSocket-Accept for key: base64(SHA-1(key + the RFC's GUID)) into
 * out (WS_ACCEPT_LEN + 1 bytes). 0, or -1 when the hash fails. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);
/* Checks the handshake of r, moves ?token= into the Authorization header
 * and queues the 101: 0 with the connection and its bufferevent (for a
 * ws_session), or -1 after answering r (400 with what is wrong, 500). */
int ws_upgrade_accept(gw_request *r, struct evhttp_connection **evcon, struct bufferevent **bev);

#endif
