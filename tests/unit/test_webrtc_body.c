/* Unit tests for gateway/webrtc_body: a good body is read; each missing or
 * wrong field is one detail naming it (the route answers 422). */
#include "gateway/webrtc_body.h"

#include <criterion/criterion.h>
#include <string.h>

#define OFFER "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
/* the start of a JSON body with a good offer, for one more field and "}" */
#define JOFFER "{\"sdp_offer\":\"v=0\\r\\nm=audio 9 RTP/AVP 111\\r\\na=rtpmap:111 opus/48000/2\\r\\n\""

/* The fields of the details of reading `text` as a create (or ice) body,
 * comma-separated; "" when it was accepted. */
static void fields_of(const char *text, bool ice, char *out, size_t cap)
{
    json_error_t jerr;
    json_t *body = json_loads(text, JSON_DECODE_ANY, &jerr), *details = NULL;
    cr_assert_not_null(body, "%s: %s", text, jerr.text);
    webrtc_create_body c;
    webrtc_ice_body i;
    int rc = ice ? webrtc_ice_body_read(body, &i, &details) : webrtc_create_body_read(body, &c, &details);
    out[0] = '\0';
    cr_assert(rc == 0 || rc == -1, "%s: rc %d", text, rc);
    cr_assert_eq(rc == 0, details == NULL, "%s", text);
    size_t k;
    json_t *d;
    json_array_foreach(details, k, d) {
        cr_assert(json_string_length(json_object_get(d, "message")) > 0, "%s", text);
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", k ? "," : "",
                 json_string_value(json_object_get(d, "field")));
    }
    json_decref(details);
    json_decref(body);
}

Test(webrtc_body, a_good_offer_is_read)
{
    json_t *body = json_pack("{s:s,s:s,s:f}", "voice_id", "vc_x", "sdp_offer", OFFER, "speed", 1.5), *details = NULL;
    webrtc_create_body b;
    cr_assert_eq(webrtc_create_body_read(body, &b, &details), 0);
    cr_assert_null(details);
    cr_assert_eq(b.opus_pt, 111);
    cr_assert_str_eq(b.sdp_offer, OFFER);
    cr_assert_str_eq(b.open.voice_id, "vc_x");
    cr_assert(b.open.opus);
    cr_assert_float_eq(b.open.speed, 1.5, 1e-9);
    json_decref(body);
}

Test(webrtc_body, create_refusals_name_the_field)
{
    static const struct {
        const char *json, *fields;
    } cases[] = {
        {"{}", "sdp_offer"},
        {"[]", "body"},
        {"\"v=0\"", "body"},
        {"{\"voice_id\":\"vc_x\"}", "sdp_offer"},
        {"{\"sdp_offer\":5}", "sdp_offer"},
        {"{\"sdp_offer\":\"hello\"}", "sdp_offer"},
        {"{\"sdp_offer\":\"v=0\\r\\nm=video 9 RTP/AVP 96\\r\\n\"}", "sdp_offer"},
        {JOFFER ",\"speed\":9}", "speed"},
        {JOFFER ",\"output\":{\"codec\":\"pcm\"}}", "output.codec"},
        {JOFFER ",\"sampel\":1}", "sampel"},
        {JOFFER ",\"type\":\"open\"}", "type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char fields[200];
        fields_of(cases[i].json, false, fields, sizeof fields);
        cr_assert_str_eq(fields, cases[i].fields, "%s -> %s", cases[i].json, fields);
    }
}

Test(webrtc_body, ice_bodies)
{
    static const struct {
        const char *json, *fields;
    } cases[] = {
        {"{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\",\"sdp_mline_index\":0}", ""},
        {"{\"candidate\":\"\"}", ""},
        {"{\"candidate\":\"candidate:1\",\"sdpMid\":\"0\",\"usernameFragment\":\"x\"}", ""}, /* toJSON()'s extras */
        {"{\"candidate\":5}", "candidate"},
        {"{}", "candidate"},
        {"[]", "body"},
        {"{\"candidate\":\"\",\"sdp_mline_index\":-1}", "sdp_mline_index"},
        {"{\"candidate\":\"\",\"sdp_mline_index\":\"0\"}", "sdp_mline_index"},
        {"{\"candidate\":\"\",\"sdp_mline_index\":65}", "sdp_mline_index"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char fields[200];
        fields_of(cases[i].json, true, fields, sizeof fields);
        cr_assert_str_eq(fields, cases[i].fields, "%s -> %s", cases[i].json, fields);
    }
}

Test(webrtc_body, the_message_joins_the_details_and_fits)
{
    json_t *d = json_pack("[{s:s,s:s},{s:s,s:s}]", "field", "a", "message", "a is bad", "field", "b", "message",
                          "b is worse");
    char buf[64], tiny[12];
    cr_assert_str_eq(webrtc_details_message(d, buf, sizeof buf), "a is bad; b is worse");
    cr_assert_str_eq(webrtc_details_message(d, tiny, sizeof tiny), "a is bad");
    json_decref(d);
}
