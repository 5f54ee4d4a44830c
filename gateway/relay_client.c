/* Backend B relay client (see relay_client.h for the contract).
 *
 * Design. One curl multi handle per client, driven by the gateway's libevent
 * loop through common/curl_loop.h; each finished transfer becomes a
 * relay_result and one on_done.
 *
 * Re-entrancy. curl forbids removing a handle from inside its own callbacks,
 * so relay_cancel() while curl is running (ss_curl_loop_in_curl, i.e. from on_data)
 * only marks the call; its write callback then refuses further bytes and the
 * call is torn down right after curl_multi_socket_action() returns. A call whose
 * on_done is running is `finishing`: cancelling it then is a no-op, and it is
 * freed after on_done returns.
 *
 * Error classes: curl's timeout -> timeout; resolve/connect/TLS failures ->
 * connect; an HTTP answer -> by status (2xx ok, 4xx, 5xx, anything else
 * protocol); every other transport failure (connection cut, garbage) ->
 * protocol. The body of a non-2xx answer is kept (first 2 KiB) to explain it. */
#include "gateway/relay_client.h"

#include "common/curl_loop.h"
#include "common/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { ERRBODY_MAX = 2048 };

struct relay_client {
    ss_curl_loop *loop;
    char base_url[1024];  /* relay_url without trailing slashes */
    char auth_header[1100];
    bool has_key;
    long timeout_ms;
    relay_call *calls;    /* every call in flight */
};

struct relay_call {
    relay_client *c;
    CURL *easy;
    struct curl_slist *headers;
    char *post_body;
    relay_on_data on_data;
    relay_on_done on_done;
    void *user;
    char request_id[128];
    char what[32];        /* "speech" or "models", for logs */
    char content_type[128];
    char errbody[ERRBODY_MAX];
    size_t errbody_len;
    size_t body_bytes;
    double started_ms;
    bool cancelled;
    bool finishing;
    char curl_err[CURL_ERROR_SIZE];
    relay_call *prev, *next;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *relay_error_class_name(relay_error_class c)
{
    switch (c) {
    case RELAY_OK: return "ok";
    case RELAY_ERR_TIMEOUT: return "timeout";
    case RELAY_ERR_CONNECT: return "connect";
    case RELAY_ERR_HTTP_4XX: return "http_4xx";
    case RELAY_ERR_HTTP_5XX: return "http_5xx";
    case RELAY_ERR_PROTOCOL: return "protocol";
    }
    return "protocol";
}

/* ---- calls ---- */

static void call_unlink_and_free(relay_call *call)
{
    relay_client *c = call->c;
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    if (call->easy) {
        ss_curl_loop_remove(c->loop, call->easy);
        curl_easy_cleanup(call->easy);
    }
    curl_slist_free_all(call->headers);
    free(call->post_body);
    free(call);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    relay_call *call = arg;
    size_t len = size * n;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        call->content_type[0] = '\0'; /* a new header block (e.g. after 100 Continue) */
    } else if (len > 13 && strncasecmp(buf, "content-type:", 13) == 0) {
        const char *v = buf + 13;
        const char *end = buf + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t vl = (size_t)(end - v);
        if (vl >= sizeof call->content_type)
            vl = sizeof call->content_type - 1;
        memcpy(call->content_type, v, vl);
        call->content_type[vl] = '\0';
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
    relay_call *call = arg;
    size_t len = size * n;
    if (call->cancelled)
        return 0; /* aborts the transfer */
    long status = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        call->body_bytes += len;
        if (call->on_data)
            call->on_data(call->user, call->content_type, buf, len);
        return call->cancelled ? 0 : len;
    }
    size_t room = sizeof call->errbody - 1 - call->errbody_len;
    size_t take = len < room ? len : room;
    memcpy(call->errbody + call->errbody_len, buf, take);
    call->errbody_len += take;
    call->errbody[call->errbody_len] = '\0';
    return len;
}

/* The relay's own words for a non-2xx answer: OpenAI's {"error":{"message"}},
 * a {"message"} / {"detail"} string, or the first line of the body. */
static void explain_http_error(const relay_call *call, long status, char *out, size_t outlen)
{
    char said[300] = "";
    json_t *j = call->errbody_len ? json_loadb(call->errbody, call->errbody_len, 0, NULL) : NULL;
    const char *s = NULL;
    if (j) {
        json_t *e = json_object_get(j, "error");
        s = json_string_value(json_object_get(e, "message"));
        if (!s)
            s = json_string_value(e);
        if (!s)
            s = json_string_value(json_object_get(j, "message"));
        if (!s)
            s = json_string_value(json_object_get(j, "detail"));
    }
    if (s) {
        snprintf(said, sizeof said, "%s", s);
    } else if (call->errbody_len) {
        size_t k = 0;
        while (k < call->errbody_len && k < sizeof said - 1 && call->errbody[k] != '\n' &&
               call->errbody[k] != '\r') {
            said[k] = call->errbody[k];
            k++;
        }
        said[k] = '\0';
    }
    json_decref(j);
    const char *hint = (status == 401 || status == 403) ? "bad relay key" : NULL;
    if (hint && *said)
        snprintf(out, outlen, "HTTP %ld: %s (%s)", status, hint, said);
    else if (hint)
        snprintf(out, outlen, "HTTP %ld: %s", status, hint);
    else if (*said)
        snprintf(out, outlen, "HTTP %ld: %s", status, said);
    else
        snprintf(out, outlen, "HTTP %ld", status);
}

static void finish(relay_call *call, CURLcode rc)
{
    relay_client *c = call->c;
    long status = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    char msg[512] = "";
    relay_result res = {.http_status = (int)status, .message = msg,
                        .content_type = call->content_type, .body_bytes = call->body_bytes,
                        .elapsed_ms = now_ms() - call->started_ms};
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        res.error_class = RELAY_ERR_TIMEOUT;
        snprintf(msg, sizeof msg, "timeout after %ld ms (%s)", c->timeout_ms, call->curl_err);
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
               rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_PEER_FAILED_VERIFICATION) {
        res.error_class = RELAY_ERR_CONNECT;
        long oserr = 0;
        curl_easy_getinfo(call->easy, CURLINFO_OS_ERRNO, &oserr);
        snprintf(msg, sizeof msg, "%s (%s)",
                 oserr == ECONNREFUSED ? "connection refused" : "cannot connect", call->curl_err);
    } else if (status >= 400 && status < 600) {
        res.error_class = status < 500 ? RELAY_ERR_HTTP_4XX : RELAY_ERR_HTTP_5XX;
        explain_http_error(call, status, msg, sizeof msg);
    } else if (rc != CURLE_OK) {
        res.error_class = RELAY_ERR_PROTOCOL;
        snprintf(msg, sizeof msg, "%s: %s", curl_easy_strerror(rc), call->curl_err);
    } else if (status < 200 || status >= 300) {
        res.error_class = RELAY_ERR_PROTOCOL;
        snprintf(msg, sizeof msg, "unexpected HTTP %ld", status);
    } else {
        res.error_class = RELAY_OK;
    }
    if (res.error_class == RELAY_OK)
        ss_debug(call->request_id[0] ? call->request_id : NULL, "relay %s: HTTP %ld, %zu bytes in %.0f ms",
                 call->what, status, call->body_bytes, res.elapsed_ms);
    else
        ss_warn(call->request_id[0] ? call->request_id : NULL, "relay %s failed (%s): %s", call->what,
                relay_error_class_name(res.error_class), msg);
    call->finishing = true;
    call->on_done(call->user, &res);
    call_unlink_and_free(call);
}

/* A transfer curl reported finished (curl_loop.h's done). */
static void on_transfer_done(void *owner, CURL *easy, CURLcode rc)
{
    (void)owner;
    relay_call *call = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
    if (call->cancelled)
        call_unlink_and_free(call);
    else
        finish(call, rc);
}

/* After every drive: calls cancelled from on_data whose transfer curl has
 * not reported yet. */
static void sweep_cancelled(void *owner)
{
    relay_client *c = owner;
    relay_call *call = c->calls;
    while (call) {
        relay_call *next = call->next;
        if (call->cancelled)
            call_unlink_and_free(call);
        call = next;
    }
}

static relay_call *start_call(relay_client *c, const char *what, const char *path,
                              char *post_body, const char *request_id, relay_on_data on_data,
                              relay_on_done on_done, void *user, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!relay_client_configured(c, &why)) {
        snprintf(err, errlen, "backend B relay is not configured: %s", why);
        free(post_body);
        return NULL;
    }
    relay_call *call = calloc(1, sizeof *call);
    if (!call) {
        snprintf(err, errlen, "out of memory");
        free(post_body);
        return NULL;
    }
    call->c = c;
    call->post_body = post_body;
    call->on_data = on_data;
    call->on_done = on_done;
    call->user = user;
    snprintf(call->what, sizeof call->what, "%s", what);
    snprintf(call->request_id, sizeof call->request_id, "%s", request_id ? request_id : "");
    call->started_ms = now_ms();

    char url[1200];
    snprintf(url, sizeof url, "%s%s", c->base_url, path);
    call->headers = curl_slist_append(NULL, c->auth_header);
    if (call->headers && post_body)
        call->headers = curl_slist_append(call->headers, "Content-Type: application/json");
    if (call->headers)
        call->headers = curl_slist_append(call->headers, "Expect:"); /* no 100-continue round trip */
    if (call->headers && call->request_id[0]) {
        char h[160];
        snprintf(h, sizeof h, "X-Request-Id: %s", call->request_id);
        call->headers = curl_slist_append(call->headers, h);
    }
    call->easy = curl_easy_init();
    if (!call->headers || !call->easy) {
        snprintf(err, errlen, "cannot set up a curl transfer");
        goto fail;
    }
    CURL *e = call->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    if (post_body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, post_body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
    }
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    if (ss_curl_loop_add(c->loop, e, err, errlen) != 0) {
        curl_easy_cleanup(call->easy);
        call->easy = NULL;
        call_unlink_and_free(call);
        return NULL;
    }
    return call;
fail:
    if (call->easy)
        curl_easy_cleanup(call->easy);
    curl_slist_free_all(call->headers);
    free(call->post_body);
    free(call);
    return NULL;
}

relay_call *relay_speech(relay_client *c, const relay_speech_req *req, relay_on_data on_data,
                         relay_on_done on_done, void *user, char *err, size_t errlen)
{
    if (!req || !on_done || !req->input || !*req->input || !req->voice || !*req->voice) {
        snprintf(err, errlen, "relay speech needs input, voice and on_done");
        return NULL;
    }
    const char *fmt = req->response_format && *req->response_format ? req->response_format : "wav";
    static const char *formats[] = {"wav", "mp3", "opus", "flac", "pcm"};
    bool known = false;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        known = known || strcmp(fmt, formats[i]) == 0;
    double speed = req->speed == 0 ? 1.0 : req->speed;
    if (!known || !(speed >= 0.25 && speed <= 4.0)) {
        snprintf(err, errlen, "relay speech: bad response_format \"%s\" or speed %g", fmt, speed);
        return NULL;
    }
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:f}", "model",
                             req->model && *req->model ? req->model : "tts-1", "input", req->input,
                             "voice", req->voice, "response_format", fmt, "speed", speed);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        snprintf(err, errlen, "relay speech: cannot encode the request (invalid UTF-8?)");
        return NULL;
    }
    return start_call(c, "speech", "/v1/audio/speech", text, req->request_id, on_data, on_done, user,
                      err, errlen);
}

relay_call *relay_get_models(relay_client *c, const char *request_id, relay_on_done on_done,
                             void *user, char *err, size_t errlen)
{
    if (!on_done) {
        snprintf(err, errlen, "relay models: on_done is required");
        return NULL;
    }
    return start_call(c, "models", "/v1/models", NULL, request_id, NULL, on_done, user, err, errlen);
}

void relay_cancel(relay_call *call)
{
    if (!call || call->finishing || call->cancelled)
        return;
    call->cancelled = true;
    if (!ss_curl_loop_in_curl(call->c->loop))
        call_unlink_and_free(call);
}

/* ---- client ---- */

int relay_client_configured(const relay_client *c, const char **reason)
{
    const char *why = NULL;
    if (!c->base_url[0])
        why = "relay_url is not set";
    else if (!c->has_key)
        why = "relay_key is not set";
    if (reason)
        *reason = why;
    return why == NULL;
}

relay_client *relay_client_new(struct event_base *base, const ss_settings *settings, char *err,
                               size_t errlen)
{
    relay_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *url = settings->relay_url;
    const char *key = settings->relay_key;
    if (strlen(url) >= sizeof c->base_url || strlen(key) > 1000) {
        snprintf(err, errlen, "relay_url or relay_key is too long");
        free(c);
        return NULL;
    }
    snprintf(c->base_url, sizeof c->base_url, "%s", url);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->has_key = *key != '\0';
    snprintf(c->auth_header, sizeof c->auth_header, "Authorization: Bearer %s", key);
    c->timeout_ms = settings->relay_timeout_ms; /* >= 1, checked at load */
    c->loop = ss_curl_loop_new(base, on_transfer_done, sweep_cancelled, c, err, errlen);
    if (!c->loop) {
        free(c);
        return NULL;
    }
    return c;
}

void relay_client_free(relay_client *c)
{
    if (!c)
        return;
    while (c->calls)
        call_unlink_and_free(c->calls);
    ss_curl_loop_free(c->loop);
    free(c);
}
