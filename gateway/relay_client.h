/* Backend B: an asynchronous client for an OpenAI-compatible TTS relay.
 *
 * The relay speaks `POST {relay_url}/v1/audio/speech` with a JSON body
 * {model, input, voice, response_format, speed} and a bearer key, and answers
 * the audio bytes; `GET {relay_url}/v1/models` lists models (the readiness
 * probe uses it, see relay_probe.h).
 *
 * Everything runs on the caller's libevent loop: libcurl's multi interface is
 * driven by libevent (one event per socket curl asks us to watch, one timer for
 * curl's timeouts), so a slow or silent relay never blocks the loop. Each call
 * is one curl easy handle with a total timeout of relay_timeout_ms.
 *
 * Contract of a call:
 *   - relay_speech()/relay_get_models() return NULL (err filled, on_done NOT
 *     called) when the call cannot start (relay_url unset, bad request, curl
 *     failure). Otherwise the call is in flight and on_done runs exactly once,
 *     later, on the loop thread (never from inside relay_speech()).
 *   - on_data receives the body of a 2xx answer as it arrives (streaming), with
 *     the relay's Content-Type. Bodies of non-2xx answers are not streamed: the
 *     first bytes become the message of on_done (the relay's
 *     {"error":{"message"}} when it sends one).
 *   - relay_cancel() stops a call in flight; on_done is then NOT called. It may
 *     be called from inside on_data (the transfer is torn down once curl
 *     returns); from inside the call's own on_done it does nothing (the call
 *     is freed when on_done returns).
 *   - on_data runs inside curl: it must not start new calls or free the client
 *     (on_done may start new calls).
 *   - No retries inside the client, ever: the caller decides (and must not
 *     retry a 4xx).
 *   - Every call sends `Authorization: Bearer {relay_key}` and, when given,
 *     `X-Request-Id`.
 * Loop thread only. relay_client_free() cancels the calls still in flight
 * (their on_done is not called). */
#ifndef SS_GATEWAY_RELAY_CLIENT_H
#define SS_GATEWAY_RELAY_CLIENT_H

#include "common/settings.h"

#include <stddef.h>

struct event_base;
typedef struct relay_client relay_client;
typedef struct relay_call relay_call;

/* How a call ended. */
typedef enum {
    RELAY_OK = 0,        /* 2xx, body delivered through on_data */
    RELAY_ERR_TIMEOUT,   /* relay_timeout_ms passed (connecting or transferring) */
    RELAY_ERR_CONNECT,   /* resolve / connect / TLS handshake failed */
    RELAY_ERR_HTTP_4XX,  /* the relay refused the request (do not retry) */
    RELAY_ERR_HTTP_5XX,  /* the relay failed */
    RELAY_ERR_PROTOCOL,  /* anything else: cut connection, bad answer, 1xx/3xx */
} relay_error_class;

/* "ok", "timeout", "connect", "http_4xx", "http_5xx", "protocol". */
const char *relay_error_class_name(relay_error_class c);

typedef struct {
    const char *input;           /* text to speak, required */
    const char *voice;           /* relay voice name, required */
    const char *response_format; /* "wav","mp3","opus","flac","pcm"; NULL = "wav" */
    const char *model;           /* NULL or "" = "tts-1" */
    double speed;                /* 0.25..4.0; 0 = 1.0 */
    const char *request_id;      /* sent as X-Request-Id and used in logs; may be NULL */
} relay_speech_req;

typedef struct {
    int http_status;             /* 0 when no HTTP answer came */
    relay_error_class error_class;
    const char *message;         /* "" on success; human-readable otherwise */
    const char *content_type;    /* the answer's Content-Type, "" when none */
    size_t body_bytes;           /* bytes passed to on_data */
    double elapsed_ms;
} relay_result;

/* Body bytes of a 2xx answer, in order, as they arrive. */
typedef void (*relay_on_data)(void *user, const char *content_type, const void *data, size_t len);
/* Exactly once per started call (unless cancelled); `res` and its strings are
 * valid only during the callback (copy what you keep). */
typedef void (*relay_on_done)(void *user, const relay_result *res);

/* Reads relay_url, relay_key and relay_timeout_ms from settings (copied). NULL
 * with err filled when curl cannot be set up. A client without relay_url is
 * valid; its calls fail to start. */
relay_client *relay_client_new(struct event_base *base, const ss_settings *settings, char *err,
                               size_t errlen);
void relay_client_free(relay_client *c);

/* relay_url and relay_key are both set; otherwise why not (reason may be NULL). */
int relay_client_configured(const relay_client *c, const char **reason);

relay_call *relay_speech(relay_client *c, const relay_speech_req *req, relay_on_data on_data,
                         relay_on_done on_done, void *user, char *err, size_t errlen);

/* GET {relay_url}/v1/models; the body is discarded (on_data may be NULL). */
relay_call *relay_get_models(relay_client *c, const char *request_id, relay_on_done on_done,
                             void *user, char *err, size_t errlen);

/* Stops a call in flight; its on_done is not called. NULL is ignored. */
void relay_cancel(relay_call *call);

#endif
