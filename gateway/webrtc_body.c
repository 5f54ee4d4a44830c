/* The WebRTC routes' JSON bodies, checked (see webrtc_body.h): each
 * problem found becomes one detail {field, message}; the SDP is only
 * looked at for what the loop can check before GStreamer sees it (an audio
 * m-line offering opus/48000, webrtc_peer.h). */
#include "gateway/webrtc_body.h"

#include "gateway/webrtc_peer.h"

#include "common/api_error.h"

#include <stdio.h>
#include <string.h>

/* Appends {field, message} to d; -1 when out of memory. */
static int add(json_t *d, const char *field, const char *message)
{
    return json_array_append_new(d, ss_detail(field, message));
}

/* Ends a read: 0 with no problem, -1 with them in *details, -2 out of memory. */
static int finish(json_t *d, int rc, json_t **details)
{
    if (rc == 0 && json_array_size(d) == 0) {
        json_decref(d);
        *details = NULL;
        return 0;
    }
    if (rc != 0) {
        json_decref(d);
        *details = NULL;
        return -2;
    }
    *details = d;
    return -1;
}

static int check_offer(const json_t *body, webrtc_create_body *out, json_t *d)
{
    const json_t *offer = json_object_get(body, "sdp_offer");
    out->sdp_offer = json_string_value(offer);
    out->opus_pt = out->sdp_offer ? webrtc_offer_opus_pt(out->sdp_offer) : -1;
    if (!offer)
        return add(d, "sdp_offer", "sdp_offer is required: the RTCPeerConnection's offer SDP");
    if (!out->sdp_offer)
        return add(d, "sdp_offer", "sdp_offer must be a string: the RTCPeerConnection's offer SDP");
    if (out->opus_pt < 0)
        return add(d, "sdp_offer", "sdp_offer must be an SDP offer (v=0) with an audio m-line offering "
                                   "opus/48000 (a recvonly audio transceiver)");
    return 0;
}

/* open's fields (all of the body but sdp_offer) through ws_open_parse. */
static int check_open_fields(const json_t *body, webrtc_create_body *out, json_t *d)
{
    if (json_object_get(body, "type"))
        return add(d, "type", "the body has no field type (it is open's fields and sdp_offer)");
    json_t *msg = json_deep_copy(body);
    if (msg)
        json_object_del(msg, "sdp_offer"); /* -1 only when absent: refused already */
    if (!msg || json_object_set_new(msg, "type", json_string("open")) != 0) {
        json_decref(msg);
        return -1;
    }
    ws_open_problem pb;
    int parsed = ws_open_parse(msg, &out->open, &pb);
    json_decref(msg);
    if (parsed != 0)
        return add(d, pb.field, pb.message);
    if (!out->open.opus)
        return add(d, "output.codec", "output: WebRTC sends Opus only (omit output, or give {\"codec\":\"opus\"})");
    return 0;
}

int webrtc_create_body_read(const json_t *body, webrtc_create_body *out, json_t **details)
{
    memset(out, 0, sizeof *out);
    json_t *d = json_array();
    if (!d)
        return finish(d, -1, details);
    if (!json_is_object(body))
        return finish(d, add(d, "body", "the body must be a JSON object {\"voice_id\", \"sdp_offer\"}"), details);
    int rc = check_offer(body, out, d);
    if (rc == 0)
        rc = check_open_fields(body, out, d);
    return finish(d, rc, details);
}

int webrtc_ice_body_read(const json_t *body, webrtc_ice_body *out, json_t **details)
{
    memset(out, 0, sizeof *out);
    json_t *d = json_array();
    if (!d)
        return finish(d, -1, details);
    if (!json_is_object(body))
        return finish(d, add(d, "body", "the body must be a JSON object {\"candidate\", \"sdp_mline_index\"?}"),
                      details);
    const json_t *cand = json_object_get(body, "candidate"), *mline = json_object_get(body, "sdp_mline_index");
    int rc = 0;
    out->candidate = json_string_value(cand);
    if (!out->candidate)
        rc = add(d, "candidate", cand ? "candidate must be a string: an RTCIceCandidate's candidate "
                                        "(\"candidate:...\"; \"\" ends the candidates)"
                                      : "candidate is required: an RTCIceCandidate's candidate "
                                        "(\"candidate:...\"; \"\" ends the candidates)");
    if (rc == 0 && mline &&
        (!json_is_integer(mline) || json_integer_value(mline) < 0 || json_integer_value(mline) > 64))
        rc = add(d, "sdp_mline_index", "sdp_mline_index must be an integer from 0 to 64");
    if (mline && json_is_integer(mline))
        out->sdp_mline_index = (unsigned)json_integer_value(mline);
    return finish(d, rc, details);
}

const char *webrtc_details_message(const json_t *details, char *buf, size_t cap)
{
    size_t used = 0, i;
    json_t *one;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    json_array_foreach(details, i, one) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? "; " : "",
                         json_string_value(json_object_get(one, "message")));
        if (n < 0 || (size_t)n >= cap - used) {
            if (used > 0)
                buf[used] = '\0'; /* whole messages only, after the first */
            break; /* a first one cut: the envelope repairs a split character */
        }
        used += (size_t)n;
    }
    return buf;
}
