/* WebRTC streaming routes (API.md §3): POST /stream/speak/webrtc/sessions,
 * POST .../sessions/{id}/ice, DELETE .../sessions/{id}, and the control
 * WebSocket GET .../sessions/{id}/control.
 *
 * WebRTC needs GStreamer's webrtcbin, which is optional: the gateway loads
 * it at run time (gst_runtime.h: dlopen, never linked). gw_webrtc_probe()
 * runs once at start, before the loop (GStreamer's first initialisation
 * scans its plugin registry, which can take a second), loads it and starts
 * the GLib thread (webrtc_peer.h). When that fails every WebRTC route
 * answers 501 SCAISPEAK_WEBRTC_UNAVAILABLE with the reason and the install
 * hint.
 *
 * A session: POST checks what the WebSocket's `open` checks (rate limit,
 * policy, voice, nodes, a usable backend A) and answers 201 {session_id,
 * sdp_answer, control_url} once the peer connection has its answer; the
 * control WebSocket (ws_session.h, bound) carries text/flush/interrupt/close
 * and the server's messages, and its audio goes to the peer as Opus RTP. */
#ifndef SS_GATEWAY_WEBRTC_H
#define SS_GATEWAY_WEBRTC_H

#include "gateway/gateway.h"

#include <stddef.h>

/* Loads GStreamer and starts the WebRTC thread; logs the outcome once.
 * Fills `why` (if given) with the reason WebRTC is unavailable, or "". */
void gw_webrtc_probe(gw_server *gw, char *why, size_t cap);

void gw_handle_webrtc_session_create(gw_request *r);
void gw_handle_webrtc_session_ice(gw_request *r);
void gw_handle_webrtc_session_delete(gw_request *r);
void gw_handle_webrtc_control(gw_request *r);

#endif
