/* One /stream/speak WebSocket session (API.md §3): authentication after the
 * upgrade, the client's messages, the synthesis, the close codes. */
#ifndef SS_GATEWAY_WS_SESSION_H
#define SS_GATEWAY_WS_SESSION_H

#include "gateway/gateway.h"

#include <event2/bufferevent.h>
#include <event2/http.h>

/* Takes over r (upgraded: the 101 is queued on bev) and its connection. */
void ws_session_start(gw_request *r, struct evhttp_connection *evcon, struct bufferevent *bev);

#endif
