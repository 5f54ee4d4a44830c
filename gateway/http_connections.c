/* The HTTP front's connections: read deadlines that byte trickle cannot
 * extend, and a cap on how many are open.
 *
 * evhttp's only timeout (http_idle_timeout_s) restarts on every byte, so a
 * client sending one byte before each timeout kept its connection forever.
 * This file follows every connection from accept to close and enforces:
 *
 *   head deadline  http_header_timeout_s, from the first byte of a request
 *                  to the blank line that ends its head;
 *   body deadline  http_body_timeout_s, from the end of the head until evhttp
 *                  has read the whole body and hands the request to us.
 *
 * Between requests (keep-alive) only the idle timeout applies, as before; the
 * next request's head deadline starts with its first byte. A connection past
 * a deadline gets a raw 408 JSON answer (written once, without waiting) and is
 * closed; scaispeak_http_read_deadline_closes_total counts them and at most one
 * log line per sweep second summarises them.
 *
 * How it hooks into evhttp (libevent 2.1, public API only): evhttp's bevcb
 * lets us create each connection's bufferevent. We create it as evhttp would
 * (a socket bufferevent, evhttp closes the fd itself), keep one reference on
 * it so that the pointer stays valid after evhttp frees it, and watch its
 * input buffer with an evbuffer callback: every read shows us the new bytes,
 * scanned for the end of the head while a head is being read. evhttp frees a
 * connection by bufferevent_free(), which clears the bufferevent's callbacks:
 * a sweep every GW_SWEEP_MS drops records whose bufferevent lost its event
 * callback, and closes those past a deadline through the event callback's
 * argument, which evhttp sets to the evhttp_connection.
 *
 * The cap: when http_max_connections connections are open, evhttp's listener
 * is disabled and a second listener on the same socket takes over; it answers
 * each new connection a raw 503 SERVICE_UNAVAILABLE with Retry-After and
 * closes it without reading the request. As soon as a sweep (or a refusal)
 * finds the count below the cap, evhttp's listener takes over again.
 *
 * State: one gw_connections per gateway (owned by gw_server), a list of
 * records. Lookups by connection walk the list: O(open connections), at most
 * http_max_connections, per request. */
#include "gateway/http_connections.h"

#include "common/api_error.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GW_SWEEP_MS 250

typedef enum {
    CONN_BETWEEN_REQUESTS, /* no request byte yet: only the idle timeout */
    CONN_READING_HEAD,
    CONN_READING_BODY,
    CONN_HANDLED,          /* the gateway has the request: no read deadline */
} conn_phase;

typedef struct conn {
    struct conn *prev, *next;
    gw_connections *owner;
    struct bufferevent *bev; /* one reference held by us */
    struct evbuffer_cb_entry *watch; /* on_input on bev's input buffer */
    conn_phase phase;
    double deadline;         /* monotonic seconds, in the reading phases */
    int line_len;            /* bytes since the last '\n' of the head, CR excluded */
    bool nodelay;            /* TCP_NODELAY was set on its socket */
} conn;

struct gw_connections {
    struct event_base *base;
    struct evhttp *http;
    const ss_settings *settings;
    struct evconnlistener *main_listener;    /* evhttp's */
    struct evconnlistener *refusal_listener; /* ours, same socket */
    struct event *sweep;
    conn *head;
    long open;               /* records whose connection evhttp has not freed */
    int refusing;            /* the refusal listener is the enabled one */
    int paused;              /* accept() errors: neither listener is enabled */
    long closed_since_log;   /* deadline closes not yet logged */
    long refused_since_log;  /* cap refusals not yet logged */
    double last_log;
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conn_freed_by_evhttp(const conn *k)
{
    bufferevent_event_cb eventcb = NULL;
    bufferevent_getcb(k->bev, NULL, NULL, &eventcb, NULL);
    return eventcb == NULL;
}

static void conn_start_head(conn *k)
{
    k->phase = CONN_READING_HEAD;
    k->deadline = now_mono() + (double)k->owner->settings->http_header_timeout_s;
    k->line_len = 0;
}

/* Feeds head bytes; returns 1 when they end the head (an empty line, with or
 * without CR, as evhttp reads lines). */
static int conn_feed_head(conn *k, const unsigned char *p, size_t n, size_t *used)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            if (k->line_len == 0) {
                *used = i + 1;
                return 1;
            }
            k->line_len = 0;
        } else if (p[i] != '\r') {
            k->line_len++;
        }
    }
    *used = n;
    return 0;
}

/* Scans buffer bytes [from, end) while the head is being read. */
static void conn_scan(conn *k, struct evbuffer *buf, size_t from)
{
    struct evbuffer_ptr pos;
    if (evbuffer_ptr_set(buf, &pos, from, EVBUFFER_PTR_SET) != 0)
        return;
    struct evbuffer_iovec v[8];
    int n = evbuffer_peek(buf, -1, &pos, v, 8);
    if (n > 8)
        n = 8; /* a read adds at most a few chains; the rest waits for the next read */
    for (int i = 0; i < n && k->phase == CONN_READING_HEAD; i++) {
        size_t used;
        if (conn_feed_head(k, v[i].iov_base, v[i].iov_len, &used)) {
            k->phase = CONN_READING_BODY;
            k->deadline = now_mono() + (double)k->owner->settings->http_body_timeout_s;
        }
    }
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    conn *k = arg;
    if (info->n_added == 0)
        return;
    if (k->phase == CONN_BETWEEN_REQUESTS)
        conn_start_head(k);
    if (k->phase == CONN_READING_HEAD)
        conn_scan(k, buf, info->orig_size - info->n_deleted);
}

static conn *conn_find(gw_connections *c, struct bufferevent *bev)
{
    for (conn *k = c->head; k; k = k->next)
        if (k->bev == bev)
            return k;
    return NULL;
}

static void conn_unlink_and_free(gw_connections *c, conn *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        c->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->watch);
    bufferevent_decref(k->bev);
    free(k);
}

static void listeners_update(gw_connections *c)
{
    int refuse = c->open >= c->settings->http_max_connections;
    if (!c->main_listener) /* no longer accepting (SIGTERM) */
        return;
    if (c->paused) {
        evconnlistener_disable(c->main_listener);
        evconnlistener_disable(c->refusal_listener);
        return;
    }
    if (refuse) {
        evconnlistener_disable(c->main_listener);
        evconnlistener_enable(c->refusal_listener);
    } else {
        evconnlistener_disable(c->refusal_listener);
        evconnlistener_enable(c->main_listener);
    }
    c->refusing = refuse;
}

static struct bufferevent *on_new_connection(struct event_base *base, void *arg)
{
    gw_connections *c = arg;
    /* as evhttp creates it: evhttp closes the fd itself when it frees it */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    conn *k = bev ? calloc(1, sizeof *k) : NULL;
    if (!k) {
        /* evhttp then makes its own; this connection runs without deadlines */
        ss_warn(NULL, "out of memory tracking an HTTP connection");
        if (bev)
            bufferevent_free(bev);
        return NULL;
    }
    bufferevent_incref(bev);
    k->owner = c;
    k->bev = bev;
    k->phase = CONN_BETWEEN_REQUESTS;
    k->watch = evbuffer_add_cb(bufferevent_get_input(bev), on_input, k);
    if (!k->watch) {
        ss_warn(NULL, "out of memory tracking an HTTP connection");
        bufferevent_decref(bev);
        free(k);
        return bev;
    }
    k->next = c->head;
    if (c->head)
        c->head->prev = k;
    c->head = k;
    c->open++;
    if (c->open >= c->settings->http_max_connections && !c->refusing)
        listeners_update(c);
    return bev;
}

static void write_raw(evutil_socket_t fd, const char *status_line, const char *extra,
                      ss_api_error e, const char *message)
{
    char id[SS_REQUEST_ID_MAX + 1];
    if (ss_id_new("req_", 20, id, sizeof id) != 0)
        snprintf(id, sizeof id, "req_unavailable");
    char body[320];
    int blen = snprintf(body, sizeof body,
                        "{\"status\":\"error\",\"error\":{\"code\":\"%s\",\"message\":\"%s\"},"
                        "\"meta\":{\"request_id\":\"%s\"}}\n",
                        ss_api_error_code(e), message, id);
    char msg[640];
    int len = snprintf(msg, sizeof msg,
                       "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n"
                       "X-Request-Id: %s\r\n%sContent-Length: %d\r\n\r\n%s",
                       status_line, id, extra, blen, body);
    if (len > 0 && (size_t)len < sizeof msg) {
        ssize_t w = send(fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* best effort: the connection is closed either way */
    }
}

static void log_summary(gw_connections *c)
{
    double now = now_mono();
    if (now - c->last_log < 1.0 || (!c->closed_since_log && !c->refused_since_log))
        return;
    if (c->closed_since_log)
        ss_warn(NULL, "closed %ld HTTP connection(s) past the head or body read deadline",
                c->closed_since_log);
    if (c->refused_since_log)
        ss_warn(NULL, "refused %ld HTTP connection(s) beyond http_max_connections=%ld",
                c->refused_since_log, c->settings->http_max_connections);
    c->closed_since_log = c->refused_since_log = 0;
    c->last_log = now;
}

static void conn_expire(gw_connections *c, conn *k)
{
    void *evcon = NULL;
    bufferevent_event_cb eventcb = NULL;
    bufferevent_getcb(k->bev, NULL, NULL, &eventcb, &evcon);
    evutil_socket_t fd = bufferevent_getfd(k->bev);
    if (fd >= 0)
        write_raw(fd, "408 Request Timeout", "", SS_ERR_REQUEST_TIMEOUT,
                  k->phase == CONN_READING_HEAD ? "request head not received in time"
                                                : "request body not received in time");
    ss_metrics_counter_add("scaispeak_http_read_deadline_closes_total",
                           "HTTP connections closed past the head or body read deadline",
                           k->phase == CONN_READING_HEAD ? "phase=\"head\"" : "phase=\"body\"", 1);
    c->closed_since_log++;
    /* evhttp sets the connection as its bufferevent's callback argument */
    evhttp_connection_free(evcon);
}

/* Drops the records of connections evhttp freed. */
static void reap(gw_connections *c)
{
    conn *k = c->head;
    while (k) {
        conn *next = k->next;
        if (conn_freed_by_evhttp(k)) {
            conn_unlink_and_free(c, k);
            c->open--;
        }
        k = next;
    }
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gw_connections *c = arg;
    double now = now_mono();
    reap(c);
    for (conn *k = c->head; k; k = k->next) {
        if ((k->phase == CONN_READING_HEAD || k->phase == CONN_READING_BODY) &&
            now >= k->deadline)
            conn_expire(c, k); /* evhttp frees it: the next reap drops the record */
    }
    reap(c);
    if (c->refusing != (c->open >= c->settings->http_max_connections))
        listeners_update(c);
    log_summary(c);
}

static void on_refused_connection(struct evconnlistener *lev, evutil_socket_t fd,
                                  struct sockaddr *sa, int salen, void *arg)
{
    (void)lev;
    (void)sa;
    (void)salen;
    gw_connections *c = arg;
    write_raw(fd, "503 Service Unavailable", "Retry-After: 1\r\n", SS_ERR_SERVICE_UNAVAILABLE,
              "too many open connections; retry later");
    shutdown(fd, SHUT_WR);
    char sink[4096]; /* what already arrived, so that close() sends FIN rather than RST */
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
        ;
    evutil_closesocket(fd);
    ss_metrics_counter_add("scaispeak_http_connections_refused_total",
                           "HTTP connections refused beyond http_max_connections", "", 1);
    c->refused_since_log++;
    reap(c);
    if (c->open < c->settings->http_max_connections)
        listeners_update(c);
    log_summary(c);
}

gw_connections *gw_connections_start(struct event_base *base, struct evhttp *http,
                                     struct evhttp_bound_socket *bound, const ss_settings *s,
                                     evconnlistener_errorcb on_accept_error, char *err,
                                     size_t errlen)
{
    gw_connections *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->base = base;
    c->http = http;
    c->settings = s;
    c->main_listener = evhttp_bound_socket_get_listener(bound);
    c->refusal_listener = evconnlistener_new(base, on_refused_connection, c, LEV_OPT_DISABLED, -1,
                                             evhttp_bound_socket_get_fd(bound));
    c->sweep = event_new(base, -1, EV_PERSIST, on_sweep, c);
    struct timeval tv = {0, GW_SWEEP_MS * 1000};
    if (!c->refusal_listener || !c->sweep || event_add(c->sweep, &tv) != 0) {
        snprintf(err, errlen, "out of memory");
        gw_connections_free(c);
        return NULL;
    }
    evconnlistener_set_error_cb(c->refusal_listener, on_accept_error);
    evhttp_set_bevcb(http, on_new_connection, c);
    return c;
}

static void conn_set_phase(gw_connections *c, struct evhttp_connection *evcon, conn_phase phase)
{
    if (!c || !evcon)
        return;
    conn *k = conn_find(c, evhttp_connection_get_bufferevent(evcon));
    if (!k)
        return;
    k->phase = phase;
    if (phase == CONN_BETWEEN_REQUESTS) {
        struct evbuffer *in = bufferevent_get_input(k->bev);
        if (evbuffer_get_length(in) > 0) { /* a pipelined request is already here */
            conn_start_head(k);
            conn_scan(k, in, 0);
        }
    }
}

/* Answers leave in several writes (headers, then audio chunks as they are
 * made): with Nagle's algorithm on, a keep-alive client's delayed ACK held
 * each small write back ~40 ms. And libevent writes at most 16 KiB per
 * writable event by default, so a 150 kB answer cost ten writev and ten
 * epoll_wait; what is queued now leaves in one writev of up to
 * ANSWER_MAX_SINGLE_WRITE (the kernel takes what its buffer holds; the rest
 * waits for the next writable event as before). Set once per connection, at
 * its first request (evhttp gives the bufferevent its socket only after
 * accept). */
#define ANSWER_MAX_SINGLE_WRITE (1024 * 1024)

static void conn_tune_socket(gw_connections *c, struct evhttp_connection *evcon)
{
    conn *k = c && evcon ? conn_find(c, evhttp_connection_get_bufferevent(evcon)) : NULL;
    if (!k || k->nodelay)
        return;
    int one = 1;
    evutil_socket_t fd = bufferevent_getfd(k->bev);
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0)
        k->nodelay = true;
    bufferevent_set_max_single_write(k->bev, ANSWER_MAX_SINGLE_WRITE);
}

void gw_connections_request_read(gw_connections *c, struct evhttp_connection *evcon)
{
    conn_tune_socket(c, evcon);
    conn_set_phase(c, evcon, CONN_HANDLED);
}

void gw_connections_answer_written(gw_connections *c, struct evhttp_connection *evcon)
{
    conn_set_phase(c, evcon, CONN_BETWEEN_REQUESTS);
}

void gw_connections_pause_accepting(gw_connections *c, int paused)
{
    c->paused = paused;
    listeners_update(c);
}

void gw_connections_stop_accepting(gw_connections *c)
{
    if (!c)
        return;
    if (c->refusal_listener)
        evconnlistener_free(c->refusal_listener);
    c->refusal_listener = NULL;
    c->main_listener = NULL;
}

void gw_connections_free(gw_connections *c)
{
    if (!c)
        return;
    gw_connections_stop_accepting(c);
    if (c->sweep)
        event_free(c->sweep);
    while (c->head)
        conn_unlink_and_free(c, c->head); /* evhttp_free() already freed them */
    free(c);
}
