/* The API's error codes (spec API.md §1 and the sections that name codes)
 * and the JSON envelope every gateway answer uses.
 *
 * Success: {"status":"ok","data":{...},"meta":{"request_id":"req_..."}}
 * Error:   {"status":"error","error":{"code","message","details"?},"meta":{...}}
 * One table maps each code to its HTTP status so no handler invents its own. */
#ifndef SS_COMMON_API_ERROR_H
#define SS_COMMON_API_ERROR_H

#include <jansson.h>

typedef enum {
    SS_ERR_ROUTE_NOT_FOUND,
    SS_ERR_METHOD_NOT_ALLOWED,
    SS_ERR_MALFORMED_REQUEST,
    SS_ERR_VALIDATION_ERROR,
    SS_ERR_PAYLOAD_TOO_LARGE,
    SS_ERR_INTERNAL_ERROR,
    SS_ERR_SERVICE_UNAVAILABLE,
    SS_ERR_AUTH_TOKEN_MISSING,
    SS_ERR_AUTH_TOKEN_INVALID,
    SS_ERR_SESSION_EXPIRED,
    SS_ERR_AUTHZ_PERMISSION_DENIED,
    SS_ERR_RATE_LIMITED,
    SS_ERR_NODE_NOT_FOUND,
    SS_ERR_API_KEY_NOT_FOUND,
    SS_ERR_BLOCKLIST_ENTRY_NOT_FOUND,
    SS_ERR_VOICE_NOT_FOUND,
    SS_ERR_VOICE_NOT_READY,
    SS_ERR_CONTENT_BLOCKED,
    SS_ERR_BACKEND_UNAVAILABLE,
    SS_ERR_BACKEND_TIMEOUT,
    SS_ERR_BACKEND_ERROR,
    SS_ERR_BACKEND_BUSY,
    SS_ERR_NOT_IMPLEMENTED,
    SS_ERR_WEBRTC_UNAVAILABLE,
    SS_ERR_WEBRTC_SESSION_NOT_FOUND,
    SS_ERR_VOICE_NOT_READY_FOR_WARMING,
    SS_ERR_VOICE_LICENSE_EXPIRED,
    SS_ERR_VOICE_PREFLIGHT_FAILED, /* a reference clip failed preflight (error.preflight) */
    SS_ERR_AUDIO_UNREADABLE,       /* an uploaded clip is not audio we can decode */
    SS_ERR_SPEAKER_BLOCKED,        /* the reference's speaker is on the tenant's blocklist */
    SS_ERR_JOB_NOT_FOUND,          /* no such job, or not the caller's */
    SS_ERR_JOB_NOT_FINISHED,       /* GET .../audio of a job that has no audio (yet) */
    SS_ERR_JOB_FINISHED,           /* DELETE of a job that already completed or failed */
    SS_ERR_RANGE_NOT_SATISFIABLE,  /* a Range outside the object */
    SS_ERR_SAVE_TO_REQUIRES_JWT,   /* save_to / the ScaiDrive proxy with an sgk_ API key */
    SS_ERR_SAVE_TO_EXCHANGE_FAILED, /* ScaiKey refused (or could not do) the token exchange */
    SS_ERR_SCAIDRIVE_CONFLICT,     /* a file of that name exists and overwrite was false */
    SS_ERR_SCAIDRIVE_NOT_AVAILABLE, /* scaidrive_url is empty */
    SS_ERR_SCAIDRIVE_ERROR,        /* ScaiDrive refused or failed an upload or a listing */
    SS_ERR_REQUEST_TIMEOUT,        /* the request head or body did not arrive in time (408) */
    SS_ERR__COUNT
} ss_api_error;

/* The code string ("ROUTE_NOT_FOUND") and HTTP status (404) of an error. */
const char *ss_api_error_code(ss_api_error e);
int ss_api_error_status(ss_api_error e);

/* The reason phrase of an HTTP status line (RFC 9110) for the statuses
 * libevent 2.1's own table lacks and the API answers (422, 429: libevent
 * writes "Client Error"); NULL for the others, where libevent's phrase is
 * right (pass it to evhttp_send_reply as is). */
const char *ss_http_reason(int status);

/* What a jansson parse error says, in the API's words: jansson's text,
 * except where it names one of jansson's own flags (a NUL character in a
 * string: "... without JSON_ALLOW_NUL"). */
const char *ss_json_error_text(const json_error_t *e);

/* Envelopes. Both take ownership of `data` / `details` (may be NULL). */
json_t *ss_envelope_ok(json_t *data, const char *request_id);
json_t *ss_envelope_error(ss_api_error e, const char *message, json_t *details,
                          const char *request_id);

/* A JSON string of s, repaired first when it is not UTF-8 (each stray
 * byte U+FFFD; jansson refuses such a string). For every message that may
 * quote what a peer sent. NULL only when out of memory. */
json_t *ss_json_text(const char *s);

/* One entry of an error's details: {"field": field, "message": message}.
 * Text that is not UTF-8 (a field name cut by snprintf inside a character,
 * a multipart part's name as the client sent it) is repaired, each stray
 * byte U+FFFD, so the entry is never lost to json_pack's refusal. NULL
 * only when out of memory. */
json_t *ss_detail(const char *field, const char *message);

#endif
