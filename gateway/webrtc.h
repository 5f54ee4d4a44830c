/* WebRTC streaming routes (API.md §3): POST /stream/speak/webrtc/sessions,
 * POST .../sessions/{id}/ice, DELETE .../sessions/{id}.
 *
 * WebRTC needs GStreamer's webrtcbin, which is optional: the gateway loads
 * it at run time (dlopen), never links it. gw_webrtc_probe() runs once at
 * start, before the loop (GStreamer's first initialisation scans its plugin
 * registry, which can take a second), and records whether libgstreamer and
 * the webrtcbin and nice elements are there. Every WebRTC route answers 501
 * SCAISPEAK_WEBRTC_UNAVAILABLE with the install hint when they are not. The
 * peer-connection module itself (SDP answer, Opus RTP, the control
 * WebSocket) is not built yet: with GStreamer present the routes still answer
 * 501, saying so. */
#ifndef SS_GATEWAY_WEBRTC_H
#define SS_GATEWAY_WEBRTC_H

#include "gateway/gateway.h"

#include <stddef.h>

/* Fills `why` with the reason WebRTC cannot be offered (always, for now);
 * logs the outcome once. */
void gw_webrtc_probe(char *why, size_t cap);

void gw_handle_webrtc_session_create(gw_request *r);
void gw_handle_webrtc_session_ice(gw_request *r);
void gw_handle_webrtc_session_delete(gw_request *r);

#endif
