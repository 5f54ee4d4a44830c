/* /metrics, /healthz and /readyz over evhttp on a private thread (see
 * metrics_http.h). */
#include "node/metrics_http.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/process_metrics.h"
#include "node/node_health.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ss_metrics_http {
    struct event_base *base;
    struct evhttp *http;
    struct event *stop; /* activated from another thread: breaks the loop */
    pthread_t thread;
    ss_node *node; /* borrowed; read through node_health.h */
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ss_metrics_http *m = arg;
    event_base_loopbreak(m->base);
}

/* One answer; HEAD gets the GET's status and headers (Content-Length
 * included) and no body: evhttp would send a body given for HEAD. */
static void reply(struct evhttp_request *req, int code, const char *reason,
                  const char *content_type, const char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", content_type);
    bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
    if (head) {
        char n[32];
        snprintf(n, sizeof n, "%zu", len);
        evhttp_add_header(h, "Content-Length", n);
    }
    struct evbuffer *b = head ? NULL : evbuffer_new();
    if (b)
        evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void reply_plain(struct evhttp_request *req, int code, const char *reason, const char *body)
{
    reply(req, code, reason, "text/plain; charset=utf-8", body, strlen(body));
}

static void serve_metrics(struct evhttp_request *req, ss_metrics_http *m)
{
    (void)m;
    ss_process_metrics_refresh(); /* what cannot be read stays at its last value */
    char *text = NULL;
    size_t len = 0;
    if (ss_metrics_render(&text, &len) != 0) {
        reply_plain(req, 500, "Internal Server Error", "out of memory rendering metrics\n");
        return;
    }
    reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

static void serve_healthz(struct evhttp_request *req, ss_metrics_http *m)
{
    (void)m;
    static const char ok[] = "{\"status\":\"ok\"}";
    reply(req, 200, "OK", "application/json", ok, sizeof ok - 1);
}

static void serve_readyz(struct evhttp_request *req, ss_metrics_http *m)
{
    ss_node_health h;
    ss_node_health_get(m->node, &h);
    size_t len = 0;
    char *text = ss_node_health_readyz_json(&h, &len);
    if (!text) {
        reply_plain(req, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    reply(req, h.ready ? 200 : 503, h.ready ? "OK" : "Service Unavailable", "application/json",
          text, len);
    free(text);
}

typedef struct {
    const char *path;
    void (*serve)(struct evhttp_request *req, ss_metrics_http *m);
} route;

static const route ROUTES[] = {
    {"/metrics", serve_metrics},
    {"/healthz", serve_healthz},
    {"/readyz", serve_readyz},
};

static void on_request(struct evhttp_request *req, void *arg)
{
    ss_metrics_http *m = arg;
    const char *uri = evhttp_request_get_uri(req);
    const char *q = uri ? strchr(uri, '?') : NULL;
    size_t plen = uri ? (q ? (size_t)(q - uri) : strlen(uri)) : 0;
    const route *found = NULL;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0] && !found; i++)
        if (plen == strlen(ROUTES[i].path) && memcmp(uri, ROUTES[i].path, plen) == 0)
            found = &ROUTES[i];
    if (!found) {
        reply_plain(req, 404, "Not Found",
                    "not found: this port serves GET /metrics, /healthz and /readyz\n");
        return;
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        reply_plain(req, 405, "Method Not Allowed", "method not allowed: use GET or HEAD\n");
        return;
    }
    found->serve(req, m);
}

static void *loop_main(void *arg)
{
    ss_metrics_http *m = arg;
    event_base_dispatch(m->base);
    return NULL;
}

ss_metrics_http *ss_metrics_http_start(const char *bind_addr, int port, ss_node *node, char *err,
                                       size_t errlen)
{
    evthread_use_pthreads();
    ss_metrics_http *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->node = node;
    m->base = event_base_new();
    m->http = m->base ? evhttp_new(m->base) : NULL;
    if (!m->http) {
        snprintf(err, errlen, "cannot create the metrics HTTP server");
        goto fail;
    }
    m->stop = event_new(m->base, -1, 0, on_stop, m);
    if (!m->stop) {
        snprintf(err, errlen, "cannot create the metrics stop event");
        goto fail;
    }
    evhttp_set_gencb(m->http, on_request, m);
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_timeout(m->http, 10);
    if (evhttp_bind_socket(m->http, bind_addr, (ev_uint16_t)port) != 0) {
        snprintf(err, errlen, "cannot listen for /metrics on %s:%d", bind_addr, port);
        goto fail;
    }
    int e = pthread_create(&m->thread, NULL, loop_main, m);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(e));
        goto fail;
    }
    return m;
fail:
    if (m->stop)
        event_free(m->stop);
    if (m->http)
        evhttp_free(m->http);
    if (m->base)
        event_base_free(m->base);
    free(m);
    return NULL;
}

void ss_metrics_http_stop(ss_metrics_http *m)
{
    if (!m)
        return;
    /* event_active, unlike a bare loopbreak, also works before the thread
     * entered the loop: the event simply waits for it. */
    event_active(m->stop, EV_READ, 0);
    pthread_join(m->thread, NULL);
    event_free(m->stop);
    evhttp_free(m->http);
    event_base_free(m->base);
    free(m);
}
