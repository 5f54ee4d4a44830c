/* The JSON bodies of the WebRTC session routes (API.md §3), checked:
 *
 *   POST …/webrtc/sessions  {"sdp_offer", "voice_id"?, plus open's optional
 *                           language_hint, speed, backend_preference,
 *                           timestamps; output only Opus}
 *   POST …/{id}/ice         {"candidate", "sdp_mline_index"?} (other fields,
 *                           such as an RTCIceCandidate's sdpMid, are ignored)
 *
 * Broken JSON never gets here (gw_request_json answers 400
 * MALFORMED_REQUEST); a body that parsed but is not an object, or has a
 * missing or wrong field, gives details [{field, message}], which the route
 * answers 422 VALIDATION_ERROR like /speak. Pure. */
#ifndef SS_GATEWAY_WEBRTC_BODY_H
#define SS_GATEWAY_WEBRTC_BODY_H

#include "gateway/ws_open.h"

#include <jansson.h>
#include <stddef.h>

typedef struct {
    ws_open_params open;
    const char *sdp_offer; /* points into the body */
    int opus_pt;           /* the offer's opus/48000 payload type */
} webrtc_create_body;

typedef struct {
    const char *candidate; /* points into the body; "" ends the candidates */
    unsigned sdp_mline_index;
} webrtc_ice_body;

/* 0 with *out filled; -1 with *details (a new array: the body's problem,
 * or the offer's, or the first of open's fields); -2 when out of memory.
 * body may be NULL (an empty body). */
int webrtc_create_body_read(const json_t *body, webrtc_create_body *out, json_t **details);
int webrtc_ice_body_read(const json_t *body, webrtc_ice_body *out, json_t **details);

/* error.message for the details: their messages joined by "; " (each
 * names its field), whole ones only when they do not all fit in cap. */
const char *webrtc_details_message(const json_t *details, char *buf, size_t cap);

#endif
