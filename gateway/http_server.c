/* The gateway's HTTP front: evhttp set up so that every answer is ours.
 *
 * evhttp's own pages are HTML, so everything goes through one generic
 * callback: it assigns the request id (a well-formed incoming X-Request-Id is
 * reused), enforces the body limit (413), routes (404 / 405 with Allow) and
 * starts the request's phases (request_phases.h), the last of which is the
 * route's handler. evhttp still enforces a hard cap on bodies
 * (max(8 x body_limit, 16 MiB, voice_upload_limit_bytes)) so that one request
 * cannot fill memory (routes flagged GW_ROUTE_UPLOAD — POST /voices — take
 * voice_upload_limit_bytes instead of body_limit_bytes); only
 * above that cap does a client see evhttp's own bare 413 before the close.
 * Idle connections are closed after http_idle_timeout_s; a request's head
 * and body must arrive within their own deadlines and at most
 * http_max_connections are open (http_connections.c).
 *
 * An answer stays in flight (gw_server.in_flight, which SIGTERM's drain waits
 * on) until evhttp has written its last byte (the request's on-complete
 * callback) or its connection closed first (the connection's close callback),
 * not merely until it was queued. accept() errors (EMFILE at the fd limit)
 * pause the listener for http_accept_backoff_ms and log one line per pause,
 * instead of libevent's busy retry and a log line per failed accept().
 *
 * Framing that a proxy in front could read differently is refused before
 * routing (request_framing_problem): conflicting Content-Length values,
 * Transfer-Encoding that does not end with one "chunked", or both headers at
 * once — 400 and the connection closed (RFC 9112 section 6); "chunked" last
 * after a coding we do not implement ("gzip, chunked") — 501, closed. HEAD is routed as GET
 * and answered with the GET's headers, Content-Length included, and no body.
 *
 * Requests evhttp cannot parse (garbage, bad headers, bodies above the hard
 * cap) never reach our callback: libevent answers them itself through its
 * exported evhttp_send_error(), which writes an HTML page. libevent calls that
 * function through its PLT, so the definition at the end of this file
 * replaces it for the whole process and those answers are JSON envelopes too
 * (checked by tests/integration/test_http_bad_input.py).
 *
 * Every answer goes through gw_reply_json()/gw_reply_text(): they add
 * X-Request-Id, count the request in the metrics, log one access line with
 * the request id (unless `access_log` filters it out: access_log.h), and free
 * the gw_request. */
#include "gateway/gateway.h"
#include "common/access_log.h"
#include "gateway/http_connections.h"
#include "gateway/http_lists.h"
#include "gateway/http_router.h"
#include "gateway/request_phases.h"

#include "common/log.h"
#include "common/metrics.h"

#include <event2/buffer.h>
#include <event2/listener.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <sys/queue.h>
#include <time.h>

/* evhttp's hard cap on bodies, written once by gw_http_start() and read by
 * evhttp_send_error() below, which libevent calls without our context. */
static size_t hard_body_cap;

/* The server whose listener pauses on accept() errors, written once by
 * gw_http_start(): libevent hands the error callback evhttp's own argument
 * (the struct evhttp), not ours. */
static gw_server *accept_owner;

/* Error details are capped: the first GW_MAX_ERROR_DETAILS entries, then one
 * entry counting the rest (100 000 unknown fields answer a small 422). */
#define GW_MAX_ERROR_DETAILS 20

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "UNKNOWN";
}

static void request_free(gw_request *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    evhttp_clear_headers(&r->query);
    free(r);
}

/* Counts and logs the answer; called just before it is handed to evhttp, so
 * nothing here touches the evhttp request once it may be freed. */
static void account(gw_request *r, int status)
{
    double secs = now_mono() - r->started;
    char labels[256];
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",code=\"%d\"", r->route, r->method,
             status);
    ss_metrics_counter_add("scaispeak_http_requests_total", "HTTP requests by route, method and code",
                           labels, 1);
    snprintf(labels, sizeof labels, "route=\"%s\"", r->route);
    ss_metric_observe(ss_metrics_histogram("scaispeak_http_request_duration_seconds",
                                           "HTTP request latency", labels, NULL, 0),
                      secs);
    if (!ss_access_log_wanted((ss_access_log_mode)r->gw->access_log, status, secs,
                              r->gw->settings->access_log_slow_ms))
        return;
    const char *uri = evhttp_request_get_uri(r->req);
    const char *token = strstr(uri, "token=");
    int shown = token ? (int)(token - uri) + 6 : (int)strlen(uri); /* no credential in the log */
    /* 5xx at warn, so a log_level=warn deployment still sees its errors. */
    ss_log(status >= 500 ? SS_LOG_WARN : SS_LOG_INFO, r->id, "%s %.*s%s -> %d in %.1f ms", r->method,
           shown, uri, token ? "(redacted)" : "", status, secs * 1000);
}

/* The answer's last byte was written: it is no longer in flight. */
static void on_answer_written(struct evhttp_request *req, void *arg)
{
    gw_server *gw = arg;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon) {
        evhttp_connection_set_closecb(evcon, NULL, NULL);
        gw_connections_answer_written(gw->connections, evcon);
    }
    gw->in_flight--;
}

/* The connection closed before the answer was written (client gone). */
static void on_answer_connection_closed(struct evhttp_connection *evcon, void *arg)
{
    gw_server *gw = arg;
    (void)evcon;
    gw->in_flight--;
}

void gw_request_finish(gw_request *r, int status)
{
    account(r, status);
    request_free(r);
}

void gw_track_answer(gw_server *gw, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (!evcon) {
        gw->in_flight--;
        return;
    }
    evhttp_request_set_on_complete_cb(req, on_answer_written, gw);
    evhttp_connection_set_closecb(evcon, on_answer_connection_closed, gw);
}

void gw_reply_text(gw_request *r, int status, const char *content_type, const char *text,
                   size_t len)
{
    if (r->answer_hook) {
        r->answer_hook(r, status, NULL);
        return;
    }
    gw_server *gw = r->gw;
    struct evhttp_request *req = r->req;
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", content_type);
    evhttp_add_header(out, "X-Request-Id", r->id);
    bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
    if (head) {
        char n[32]; /* the GET's length; evhttp would send the body too, so none is given */
        snprintf(n, sizeof n, "%zu", len);
        evhttp_add_header(out, "Content-Length", n);
    }
    struct evbuffer *buf = head ? NULL : evbuffer_new();
    if (buf)
        evbuffer_add(buf, text, len);
    account(r, status);
    request_free(r);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon) {
        evhttp_request_set_on_complete_cb(req, on_answer_written, gw);
        evhttp_connection_set_closecb(evcon, on_answer_connection_closed, gw);
    }
    evhttp_send_reply(req, status, ss_http_reason(status), buf);
    if (!evcon) /* the client left while we worked: evhttp dropped the answer */
        gw->in_flight--;
    if (buf)
        evbuffer_free(buf);
}

void gw_reply_json(gw_request *r, int status, json_t *body)
{
    if (r->answer_hook) {
        r->answer_hook(r, status, body);
        return;
    }
    /* Reals with 15 significant digits, not jansson's 17: every value the
     * API gives is well inside that, and a job's progress of 0.6 reads "0.6"
     * instead of "0.59999999999999998". */
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!s) {
        static const char fallback[] =
            "{\"status\":\"error\",\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"out of memory\"}}";
        gw_reply_text(r, 500, "application/json", fallback, sizeof fallback - 1);
        return;
    }
    size_t len = strlen(s);
    s[len] = '\n'; /* replace the terminator: the body ends with a newline */
    gw_reply_text(r, status, "application/json", s, len + 1);
    free(s);
}

void gw_reply_ok(gw_request *r, json_t *data)
{
    gw_reply_json(r, 200, ss_envelope_ok(data, r->id));
}

/* Keeps the first GW_MAX_ERROR_DETAILS entries and counts the rest in one. */
static void cap_details(json_t *details)
{
    size_t n = json_array_size(details);
    if (n <= GW_MAX_ERROR_DETAILS)
        return;
    while (json_array_size(details) > GW_MAX_ERROR_DETAILS)
        json_array_remove(details, json_array_size(details) - 1);
    char msg[96];
    snprintf(msg, sizeof msg, "%zu more problems not listed", n - GW_MAX_ERROR_DETAILS);
    json_array_append_new(details, json_pack("{s:s,s:s,s:I}", "field", "*", "message", msg,
                                             "omitted", (json_int_t)(n - GW_MAX_ERROR_DETAILS)));
}

void gw_reply_error(gw_request *r, ss_api_error e, const char *message, json_t *details)
{
    cap_details(details);
    if (ss_api_error_status(e) >= 500)
        ss_warn(r->id, "%s: %s", ss_api_error_code(e), message);
    gw_reply_json(r, ss_api_error_status(e), ss_envelope_error(e, message, details, r->id));
}

int gw_request_json(gw_request *r, json_t **out)
{
    *out = NULL;
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    if (len == 0)
        return 0;
    const char *data = (const char *)evbuffer_pullup(in, -1);
    json_error_t jerr;
    /* Any JSON value is accepted here (a bare null, number or string too):
     * each handler then says "body: must be a JSON object" in a 422, which
     * is the true problem; 400 is kept for bytes that are not JSON. */
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j) {
        char msg[400];
        snprintf(msg, sizeof msg, "malformed JSON at line %d, column %d: %s", jerr.line,
                 jerr.column, ss_json_error_text(&jerr));
        json_t *details = json_pack("[{s:s,s:s,s:i,s:i}]", "field", "body", "message", ss_json_error_text(&jerr),
                                    "line", jerr.line, "column", jerr.column);
        gw_reply_error(r, SS_ERR_MALFORMED_REQUEST, msg, details);
        return -1;
    }
    *out = j;
    return 0;
}

const char *gw_query(gw_request *r, const char *key)
{
    return evhttp_find_header(&r->query, key);
}

const char *gw_header(gw_request *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

/* Content-Length values (repeated headers or a comma list) must all be the
 * same number, else the body's end is ambiguous. */
static const char *content_length_conflict(struct evkeyvalq *h)
{
    const char *first = NULL;
    size_t first_len = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, h, next) {
        if (strcasecmp(kv->key, "Content-Length") != 0)
            continue;
        for (const char *p = kv->value; *p;) {
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            const char *v = p;
            while (*p && *p != ',' && *p != ' ' && *p != '\t')
                p++;
            size_t len = (size_t)(p - v);
            if (len == 0)
                continue;
            if (!first) {
                first = v;
                first_len = len;
            } else if (len != first_len || memcmp(v, first, len) != 0) {
                return "conflicting Content-Length values";
            }
        }
    }
    return NULL;
}

/* A framing problem: what is wrong and how to answer it. */
typedef struct {
    const char *what;
    ss_api_error error;
} framing_problem;

/* Content-Length values (repeated headers or a comma list) must all be the
 * same number, else the body's end is ambiguous. */
static framing_problem content_length_problem(struct evkeyvalq *h)
{
    const char *why = content_length_conflict(h);
    return (framing_problem){why, SS_ERR_MALFORMED_REQUEST};
}

/* Transfer codings, as RFC 9112 section 6 says: chunked must be the final
 * coding and appear once, else the body's length cannot be known (400);
 * chunked last after a coding the gateway does not implement ("gzip,
 * chunked") is 501. Only "chunked" alone is read. */
static framing_problem transfer_coding_problem(struct evkeyvalq *h)
{
    int codings = 0, chunked = 0;
    bool chunked_last = false;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, h, next) {
        if (strcasecmp(kv->key, "Transfer-Encoding") != 0)
            continue;
        const char *cursor = kv->value, *v;
        size_t len;
        while ((v = gw_list_next(&cursor, &len))) {
            codings++;
            chunked_last = len == 7 && strncasecmp(v, "chunked", 7) == 0;
            chunked += chunked_last;
        }
    }
    if (codings == 0)
        return (framing_problem){NULL, SS_ERR_MALFORMED_REQUEST};
    if (!chunked_last || chunked > 1)
        return (framing_problem){"Transfer-Encoding must end with chunked, once", SS_ERR_MALFORMED_REQUEST};
    if (codings > 1)
        return (framing_problem){"transfer codings other than chunked are not implemented", SS_ERR_NOT_IMPLEMENTED};
    return (framing_problem){NULL, SS_ERR_MALFORMED_REQUEST};
}

static framing_problem length_and_coding(struct evkeyvalq *h)
{
    if (evhttp_find_header(h, "Transfer-Encoding") && evhttp_find_header(h, "Content-Length"))
        return (framing_problem){"Content-Length and Transfer-Encoding together", SS_ERR_MALFORMED_REQUEST};
    return (framing_problem){NULL, SS_ERR_MALFORMED_REQUEST};
}

/* The first framing problem of the request's headers (what NULL: none). */
static framing_problem request_framing_problem(struct evhttp_request *req)
{
    static framing_problem (*const checks[])(struct evkeyvalq *) = {
        content_length_problem,
        transfer_coding_problem,
        length_and_coding,
    };
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        framing_problem f = checks[i](h);
        if (f.what)
            return f;
    }
    return (framing_problem){NULL, SS_ERR_MALFORMED_REQUEST};
}

/* A request's own record, with its id (the client's X-Request-Id when
 * acceptable, else a new one); NULL when out of memory. */
static gw_request *request_begin(gw_server *gw, struct evhttp_request *req)
{
    gw_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->gw = gw;
    r->req = req;
    r->started = now_mono();
    r->route = "unmatched";
    r->method = method_name(evhttp_request_get_command(req));
    TAILQ_INIT(&r->query);
    gw->in_flight++;
    gw_connections_request_read(gw->connections, evhttp_request_get_connection(req));
    const char *incoming = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
    if (ss_request_id_acceptable(incoming))
        snprintf(r->id, sizeof r->id, "%s", incoming);
    else if (ss_id_new("req_", 20, r->id, sizeof r->id) != 0)
        snprintf(r->id, sizeof r->id, "req_unavailable");
    return r;
}

/* Refusals that need no route: a draining gateway, bad framing, a
 * malformed query string. true when r was answered. */
static bool refused_before_routing(gw_request *r, const char *query)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
    if (r->gw->draining) {
        evhttp_add_header(out, "Connection", "close");
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "the gateway is shutting down", NULL);
        return true;
    }
    framing_problem framing = request_framing_problem(r->req);
    if (framing.what) {
        evhttp_add_header(out, "Connection", "close");
        gw_reply_error(r, framing.error, framing.what, NULL);
        return true;
    }
    if (query && evhttp_parse_query_str(query, &r->query) != 0) {
        gw_reply_error(r, SS_ERR_MALFORMED_REQUEST, "malformed query string", NULL);
        return true;
    }
    return false;
}

/* The body against the route's limit (upload routes, POST /voices, take
 * voice_upload_limit_bytes). true when r was answered 413. */
static bool body_over_limit(gw_request *r, const gw_route *route)
{
    long limit = route && (route->flags & GW_ROUTE_UPLOAD) ? r->gw->settings->voice_upload_limit_bytes
                                                          : r->gw->body_limit;
    size_t body_len = evbuffer_get_length(evhttp_request_get_input_buffer(r->req));
    if ((long)body_len <= limit)
        return false;
    char msg[128];
    snprintf(msg, sizeof msg, "request body of %zu bytes exceeds the limit of %ld bytes", body_len, limit);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Connection", "close");
    gw_reply_error(r, SS_ERR_PAYLOAD_TOO_LARGE, msg, NULL);
    return true;
}

/* A matched route runs its phases (request_phases.h); otherwise 405 with
 * Allow, or 404. */
static void dispatch(gw_request *r, gw_route_result found, const gw_route *route, const char *allow)
{
    switch (found) {
    case GW_ROUTE_FOUND: {
        r->route = route->pattern;
        r->need = route->need;
        r->route_flags = route->flags;
        r->handler = route->handler;
        size_t nphases;
        const gw_phase *phases = gw_phases(&nphases);
        gw_phases_start(r, phases, nphases);
        return;
    }
    case GW_ROUTE_WRONG_METHOD: {
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
        char msg[160];
        snprintf(msg, sizeof msg, "%s is not allowed here; allowed: %s", r->method, allow);
        gw_reply_error(r, SS_ERR_METHOD_NOT_ALLOWED, msg, NULL);
        return;
    }
    case GW_ROUTE_NONE:
        break;
    }
    gw_reply_error(r, SS_ERR_ROUTE_NOT_FOUND, "no such route", NULL);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    gw_request *r = request_begin(arg, req);
    if (!r) {
        evhttp_send_error(req, 500, NULL); /* no memory for anything better */
        return;
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    if (refused_before_routing(r, uri ? evhttp_uri_get_query(uri) : NULL))
        return;
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path)
        path = "/";
    const gw_route *route = NULL;
    char allow[64];
    const char *route_method = strcmp(r->method, "HEAD") ? r->method : "GET";
    gw_route_result found = gw_route_match(route_method, path, &route, r->params, &r->nparams, allow, sizeof allow);
    if (body_over_limit(r, found == GW_ROUTE_FOUND ? route : NULL))
        return;
    dispatch(r, found, route, allow);
}

static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gw_server *gw = arg;
    gw_connections_pause_accepting(gw->connections, 0);
}

/* accept() failed for a reason retrying at once cannot fix (EMFILE, ENFILE,
 * ENOBUFS): stop accepting for a while, one log line per pause. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)arg; /* evhttp's, see accept_owner */
    gw_server *gw = accept_owner;
    int err = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(lev);
    gw_connections_pause_accepting(gw->connections, 1);
    long ms = gw->settings->http_accept_backoff_ms;
    ss_warn(NULL, "accept() failed: %s; not accepting connections for %ld ms",
            evutil_socket_error_to_string(err), ms);
    ss_metrics_counter_add("scaispeak_http_accept_pauses_total",
                           "pauses of the HTTP listener after accept() errors", "", 1);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(gw->accept_retry, &tv);
}

int gw_http_start(gw_server *gw, char *err, size_t errlen)
{
    ss_access_log_mode mode;
    if (ss_access_log_parse(gw->settings->access_log, &mode) != 0) { /* checked at load */
        snprintf(err, errlen, "access_log must be all, errors or off (got '%s')",
                 gw->settings->access_log);
        return -1;
    }
    gw->access_log = (int)mode;
    gw->http = evhttp_new(gw->base);
    if (!gw->http) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    long hard_cap = gw->body_limit * 8;
    if (hard_cap < 16L * 1024 * 1024)
        hard_cap = 16L * 1024 * 1024;
    if (hard_cap < gw->settings->voice_upload_limit_bytes)
        hard_cap = gw->settings->voice_upload_limit_bytes; /* POST /voices: GW_ROUTE_UPLOAD */
    evhttp_set_max_body_size(gw->http, hard_cap);
    hard_body_cap = (size_t)hard_cap;
    evhttp_set_max_headers_size(gw->http, 64 * 1024);
    evhttp_set_timeout(gw->http, (int)gw->settings->http_idle_timeout_s);
    evhttp_set_allowed_methods(gw->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                             EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                             EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
    evhttp_set_gencb(gw->http, on_request, gw);
    const char *bind = gw->settings->http_bind;
    int port = (int)gw->settings->http_port;
    gw->http_socket = evhttp_bind_socket_with_handle(gw->http, bind, (ev_uint16_t)port);
    if (!gw->http_socket) {
        snprintf(err, errlen, "cannot listen on %s:%d (port in use?)", bind, port);
        return -1;
    }
    gw->accept_retry = evtimer_new(gw->base, on_accept_retry, gw);
    if (!gw->accept_retry) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    accept_owner = gw;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(gw->http_socket), on_accept_error);
    gw->connections = gw_connections_start(gw->base, gw->http, gw->http_socket, gw->settings,
                                           on_accept_error, err, errlen);
    if (!gw->connections)
        return -1;
    return 0;
}

void gw_http_stop_accepting(gw_server *gw)
{
    gw_connections_stop_accepting(gw->connections);
    if (gw->http_socket) {
        evhttp_del_accept_socket(gw->http, gw->http_socket);
        gw->http_socket = NULL;
    }
    if (gw->accept_retry) {
        event_free(gw->accept_retry);
        gw->accept_retry = NULL;
    }
}

void gw_http_free(gw_server *gw)
{
    if (gw->http)
        evhttp_free(gw->http);
    gw->http = NULL;
    gw_connections_free(gw->connections); /* after evhttp_free: it drops the connections */
    gw->connections = NULL;
}

/* Replaces libevent's HTML error page (see the top of this file). Called by
 * libevent for requests it could not parse; evhttp_send_reply is public and
 * does what libevent's own version does after building its page. */
void evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
    ss_api_error e = SS_ERR_MALFORMED_REQUEST;
    if (error == 413 && req->chunked && req->body_size <= hard_body_cap) {
        /* evhttp says 413 for a chunk-size line it refused too (not hex,
         * negative, or one chunk beyond the hard cap): a framing error */
        error = 400;
        reason = "bad chunk size";
    } else if (error == 501) {
        /* evhttp's answer to a method it does not know */
        error = 405;
        reason = "unknown method";
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET, HEAD, POST, PUT, DELETE");
    }
    if (error == 413)
        e = SS_ERR_PAYLOAD_TOO_LARGE;
    else if (error == 404)
        e = SS_ERR_ROUTE_NOT_FOUND;
    else if (error == 405)
        e = SS_ERR_METHOD_NOT_ALLOWED;
    else if (error >= 500)
        e = SS_ERR_INTERNAL_ERROR;
    char id[SS_REQUEST_ID_MAX + 1];
    if (ss_id_new("req_", 20, id, sizeof id) != 0)
        snprintf(id, sizeof id, "req_unavailable");
    char msg[160];
    snprintf(msg, sizeof msg, "%s (the request could not be parsed as HTTP/1.x)",
             reason ? reason : e == SS_ERR_PAYLOAD_TOO_LARGE ? "request too large" : "bad request");
    json_t *body = ss_envelope_error(e, msg, NULL, id);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", "application/json");
    evhttp_add_header(out, "Connection", "close");
    evhttp_add_header(out, "X-Request-Id", id);
    struct evbuffer *buf = evbuffer_new();
    if (buf && text)
        evbuffer_add_printf(buf, "%s\n", text);
    free(text);
    ss_info(id, "unparseable request answered %d %s", error, ss_api_error_code(e));
    ss_metrics_counter_add("scaispeak_http_unparseable_requests_total",
                           "requests libevent could not parse", "", 1);
    if (req->major != 1) { /* an unparsed request line leaves no version: answer as 1.1 */
        req->major = 1;
        req->minor = 1;
    }
    if (accept_owner) /* answered: no read deadline while it is written */
        gw_connections_request_read(accept_owner->connections, evhttp_request_get_connection(req));
    evhttp_send_reply(req, error, reason, buf);
    if (buf)
        evbuffer_free(buf);
}

bool gw_reply_field_problems(gw_request *r, int problems, json_t *details)
{
    if (problems == 0) {
        json_decref(details);
        return false;
    }
    if (problems < 0) {
        json_decref(details);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    } else {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the request has invalid fields", details);
    }
    return true;
}
