/* /metrics over evhttp on a private thread (see metrics_http.h). */
#include "node/metrics_http.h"

#include "common/log.h"
#include "common/metrics.h"

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
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ss_metrics_http *m = arg;
    event_base_loopbreak(m->base);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *body,
                       size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", code == 200 ? "text/plain; version=0.0.4; charset=utf-8"
                                                     : "text/plain; charset=utf-8");
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    const char *q = uri ? strchr(uri, '?') : NULL;
    size_t plen = uri ? (q ? (size_t)(q - uri) : strlen(uri)) : 0;
    bool is_metrics = plen == 8 && memcmp(uri, "/metrics", 8) == 0;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (!is_metrics) {
        static const char nf[] = "not found: this port serves GET /metrics\n";
        reply_text(req, 404, "Not Found", nf, sizeof nf - 1);
        return;
    }
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        static const char na[] = "method not allowed: use GET\n";
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        reply_text(req, 405, "Method Not Allowed", na, sizeof na - 1);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (ss_metrics_render(&text, &len) != 0) {
        static const char oom[] = "out of memory rendering metrics\n";
        reply_text(req, 500, "Internal Server Error", oom, sizeof oom - 1);
        return;
    }
    reply_text(req, 200, "OK", text, len);
    free(text);
}

static void *loop_main(void *arg)
{
    ss_metrics_http *m = arg;
    event_base_dispatch(m->base);
    return NULL;
}

ss_metrics_http *ss_metrics_http_start(const char *bind_addr, int port, char *err, size_t errlen)
{
    evthread_use_pthreads();
    ss_metrics_http *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
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
