/* Error-code table and envelopes (see api_error.h). */
#include "common/api_error.h"

#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *code;
    int status;
} TABLE[SS_ERR__COUNT] = {
    [SS_ERR_ROUTE_NOT_FOUND] = {"ROUTE_NOT_FOUND", 404},
    [SS_ERR_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405},
    [SS_ERR_MALFORMED_REQUEST] = {"MALFORMED_REQUEST", 400},
    [SS_ERR_VALIDATION_ERROR] = {"VALIDATION_ERROR", 422},
    [SS_ERR_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413},
    [SS_ERR_INTERNAL_ERROR] = {"INTERNAL_ERROR", 500},
    [SS_ERR_SERVICE_UNAVAILABLE] = {"SERVICE_UNAVAILABLE", 503},
    [SS_ERR_AUTH_TOKEN_MISSING] = {"AUTH_TOKEN_MISSING", 401},
    [SS_ERR_AUTH_TOKEN_INVALID] = {"AUTH_TOKEN_INVALID", 401},
    [SS_ERR_SESSION_EXPIRED] = {"SESSION_EXPIRED", 401},
    [SS_ERR_AUTHZ_PERMISSION_DENIED] = {"AUTHZ_PERMISSION_DENIED", 403},
    [SS_ERR_RATE_LIMITED] = {"RATE_LIMITED", 429},
    [SS_ERR_NODE_NOT_FOUND] = {"SCAISPEAK_NODE_NOT_FOUND", 404},
    [SS_ERR_API_KEY_NOT_FOUND] = {"SCAISPEAK_API_KEY_NOT_FOUND", 404},
    [SS_ERR_BLOCKLIST_ENTRY_NOT_FOUND] = {"SCAISPEAK_BLOCKLIST_ENTRY_NOT_FOUND", 404},
    [SS_ERR_VOICE_NOT_FOUND] = {"SCAISPEAK_VOICE_NOT_FOUND", 404},
    [SS_ERR_VOICE_NOT_READY] = {"SCAISPEAK_VOICE_NOT_READY", 409},
    [SS_ERR_CONTENT_BLOCKED] = {"SCAISPEAK_CONTENT_BLOCKED", 422},
    [SS_ERR_BACKEND_UNAVAILABLE] = {"SCAISPEAK_BACKEND_UNAVAILABLE", 502},
    [SS_ERR_BACKEND_TIMEOUT] = {"SCAISPEAK_BACKEND_TIMEOUT", 504},
    [SS_ERR_BACKEND_ERROR] = {"SCAISPEAK_BACKEND_ERROR", 502},
    /* every node busy and the short wait over (with Retry-After) */
    [SS_ERR_BACKEND_BUSY] = {"SCAISPEAK_BACKEND_BUSY", 503},
    [SS_ERR_NOT_IMPLEMENTED] = {"NOT_IMPLEMENTED", 501},
    [SS_ERR_WEBRTC_UNAVAILABLE] = {"SCAISPEAK_WEBRTC_UNAVAILABLE", 501},
    [SS_ERR_WEBRTC_SESSION_NOT_FOUND] = {"SCAISPEAK_WEBRTC_SESSION_NOT_FOUND", 404},
    [SS_ERR_VOICE_NOT_READY_FOR_WARMING] = {"SCAISPEAK_VOICE_NOT_READY_FOR_WARMING", 409},
    [SS_ERR_VOICE_LICENSE_EXPIRED] = {"SCAISPEAK_VOICE_LICENSE_EXPIRED", 403},
    [SS_ERR_VOICE_PREFLIGHT_FAILED] = {"SCAISPEAK_VOICE_PREFLIGHT_FAILED", 422},
    [SS_ERR_AUDIO_UNREADABLE] = {"SCAISPEAK_AUDIO_UNREADABLE", 422},
    [SS_ERR_SPEAKER_BLOCKED] = {"SCAISPEAK_SPEAKER_BLOCKED", 422},
    [SS_ERR_JOB_NOT_FOUND] = {"SCAISPEAK_JOB_NOT_FOUND", 404},
    [SS_ERR_JOB_NOT_FINISHED] = {"SCAISPEAK_JOB_NOT_FINISHED", 409},
    [SS_ERR_JOB_FINISHED] = {"SCAISPEAK_JOB_FINISHED", 409},
    [SS_ERR_RANGE_NOT_SATISFIABLE] = {"RANGE_NOT_SATISFIABLE", 416},
    [SS_ERR_SAVE_TO_REQUIRES_JWT] = {"SCAISPEAK_SAVE_TO_REQUIRES_JWT", 400},
    [SS_ERR_SAVE_TO_EXCHANGE_FAILED] = {"SCAISPEAK_SAVE_TO_EXCHANGE_FAILED", 502},
    [SS_ERR_SCAIDRIVE_CONFLICT] = {"SCAISPEAK_SCAIDRIVE_CONFLICT", 409},
    [SS_ERR_SCAIDRIVE_NOT_AVAILABLE] = {"SCAISPEAK_SCAIDRIVE_NOT_AVAILABLE", 404},
    [SS_ERR_SCAIDRIVE_ERROR] = {"SCAISPEAK_SCAIDRIVE_ERROR", 502},
    [SS_ERR_REQUEST_TIMEOUT] = {"REQUEST_TIMEOUT", 408},
};

const char *ss_api_error_code(ss_api_error e)
{
    return (e >= 0 && e < SS_ERR__COUNT) ? TABLE[e].code : "INTERNAL_ERROR";
}

int ss_api_error_status(ss_api_error e)
{
    return (e >= 0 && e < SS_ERR__COUNT) ? TABLE[e].status : 500;
}

json_t *ss_json_text(const char *s)
{
    if (ss_utf8_valid(s, strlen(s)))
        return json_string(s);
    char *repaired = ss_utf8_repaired(s);
    json_t *j = repaired ? json_string(repaired) : NULL;
    free(repaired);
    return j;
}

json_t *ss_detail(const char *field, const char *message)
{
    json_t *d = json_object();
    if (d && (json_object_set_new(d, "field", ss_json_text(field ? field : "")) != 0 ||
              json_object_set_new(d, "message", ss_json_text(message ? message : "")) != 0)) {
        json_decref(d);
        return NULL;
    }
    return d;
}

static json_t *meta(const char *request_id)
{
    return json_pack("{s:s}", "request_id", request_id ? request_id : "");
}

json_t *ss_envelope_ok(json_t *data, const char *request_id)
{
    return json_pack("{s:s,s:o,s:o}", "status", "ok", "data", data ? data : json_object(), "meta",
                     meta(request_id));
}

json_t *ss_envelope_error(ss_api_error e, const char *message, json_t *details,
                          const char *request_id)
{
    /* A message that is not UTF-8 (it quotes a peer, or snprintf cut it
     * inside a character) would make json_pack fail and the error lose its
     * code: such bytes become U+FFFD. */
    json_t *err = json_object();
    if (err && (json_object_set_new(err, "code", json_string(ss_api_error_code(e))) != 0 ||
                json_object_set_new(err, "message", ss_json_text(message ? message : "")) != 0)) {
        json_decref(err);
        err = NULL;
    }
    if (err && details)
        json_object_set_new(err, "details", details);
    else if (details)
        json_decref(details);
    return json_pack("{s:s,s:o,s:o}", "status", "error", "error", err ? err : json_object(),
                     "meta", meta(request_id));
}

const char *ss_http_reason(int status)
{
    switch (status) {
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    default:
        return NULL;
    }
}

const char *ss_json_error_text(const json_error_t *e)
{
    if (strstr(e->text, "JSON_ALLOW_NUL"))
        return "a string holds \\u0000 (NUL), which is not allowed";
    return e->text;
}
