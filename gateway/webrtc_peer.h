/* One WebRTC peer connection: a GStreamer pipeline
 *
 *     appsrc (audio/x-opus, 48 kHz mono: the session's own Opus packets)
 *       ! rtpopuspay ! webrtcbin (one send-only audio transceiver)
 *
 * answering a browser's SDP offer. Every GStreamer call except the buffer
 * push runs on one GLib main-loop thread shared by all peers (started by
 * webrtc_peers_start); results come back to the event loop through a locked
 * queue and event_active, so the loop never waits on GStreamer. The answer
 * is not trickled: it is delivered once webrtcbin's create-answer promise is
 * done and ICE gathering is complete (or after a short gathering deadline),
 * with the gathered candidates in it; remote candidates may still be
 * trickled (webrtc_peer_add_ice).
 *
 * Threads: webrtc_peer_new, _push, _add_ice and _stop are called on the
 * event loop thread only; done() runs there too. A peer is reference
 * counted between the two threads and freed by whichever drops the last
 * reference; after webrtc_peer_stop the caller must not touch it again and
 * done() is never called. */
#ifndef SS_GATEWAY_WEBRTC_PEER_H
#define SS_GATEWAY_WEBRTC_PEER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

typedef struct webrtc_peer webrtc_peer;

/* ok: answer is the SDP answer; else answer is why, and bad_offer tells
 * whether the offer was at fault (400) rather than the gateway (500). */
typedef void (*webrtc_answer_fn)(void *user, int ok, int bad_offer, const char *answer);

typedef struct {
    int min_port, max_port; /* ICE's UDP ports (0, 0 = any) */
    const char *address;    /* the one local address ICE gathers on ("" = every interface) */
} webrtc_ice_settings;

/* Starts the GLib thread (once, after gst_runtime_load). 0, or -1 with why. */
int webrtc_peers_start(struct event_base *base, char *why, size_t cap);

/* The Opus payload type the offer gives opus/48000/2, or -1 when it has
 * none (or no audio m-line). Pure: the loop checks offers before
 * GStreamer sees them. */
int webrtc_offer_opus_pt(const char *sdp);

/* Starts answering offer; done() once. NULL when out of memory. */
webrtc_peer *webrtc_peer_new(const char *offer, int opus_pt, const webrtc_ice_settings *ice,
                             const char *request_id, webrtc_answer_fn done, void *user);
/* One raw Opus packet of 20 ms whose playback starts `start_s` seconds into
 * the session (RTP timestamps follow it). After the answer only. */
void webrtc_peer_push(webrtc_peer *p, const uint8_t *packet, size_t len, double start_s, double secs);
/* A remote ICE candidate ("candidate:..." line) for m-line mline. 0, or -1
 * when out of memory. */
int webrtc_peer_add_ice(webrtc_peer *p, unsigned mline, const char *candidate);
/* Ends the peer connection (the pipeline is torn down on the GLib thread). */
void webrtc_peer_stop(webrtc_peer *p);

#endif
