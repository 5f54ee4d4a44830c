/* The loop-native gRPC client over HTTP/2 cleartext (see h2_client.h for
 * the contract). This file owns the connections (one nghttp2 session per
 * target, its socket and its libevent events) and the calls (one stream
 * each, with its gRPC message parser from grpc_frames.c).
 *
 * Re-entrancy rule: nghttp2's callbacks only record what happened on the
 * call (bytes, headers, the end of the stream) and activate the call's
 * `kick` event; the user's callbacks run from that event, outside nghttp2
 * and outside this file's public functions. A connection is torn down only
 * from its own events (`later`), never from the middle of a flush.
 *
 * Flow control: automatic window updates are off. A call's received bytes
 * are consumed (given back to the server's window) once its messages are
 * delivered; while the call is not paused, a partial message's bytes are
 * consumed at once (they will be delivered as soon as complete, and a
 * message larger than the 64 KiB stream window must be able to arrive). */
#include "common/h2_client.h"
#include "common/grpc_frames.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_WINDOW (1 << 20)
#define STREAM_WINDOW 65535
#define TARGET_MAX 128
#define STATUS_MSG_MAX 256

typedef struct h2_conn h2_conn;

/* The resolver. evdns answers every lookup exactly once, a cancelled one
 * too (EVUTIL_EAI_CANCEL), and that answer comes later, from the loop,
 * reading the evdns base; so the base lives until the last lookup's answer
 * even when the client is freed first (whichever of the two comes last
 * frees it). */
typedef struct {
    struct evdns_base *base;
    size_t pending; /* lookups not answered yet */
    bool orphaned;  /* the client is gone */
} h2_dns;

/* One lookup: the argument of its answer, which frees it. conn NULL: the
 * connection is gone (the answer is dropped). */
typedef struct {
    h2_dns *dns;
    h2_conn *conn;
} h2_lookup;

struct ss_h2_call {
    ss_h2_client *cl;
    h2_conn *conn;                 /* NULL once detached from its stream */
    uint64_t conn_id;              /* the connection it went out on (kept after detaching) */
    bool reused;                   /* that connection was connected when the call started */
    ss_h2_call *cl_prev, *cl_next; /* the client's live calls */
    ss_h2_call *cn_prev, *cn_next; /* the connection's attached calls */
    int32_t stream_id;
    uint8_t *body;
    size_t body_len, body_sent;
    ss_grpc_frames *frames;
    size_t unconsumed; /* received, not yet given back to flow control */
    bool streaming, paused, cancelled, ended, frames_failed;
    int nmsg;
    int http_status;
    bool headers_seen, content_type_ok, have_grpc_status;
    grpc_status_code trailer_code;
    char trailer_msg[STATUS_MSG_MAX];
    grpc_status_code code; /* the status once ended */
    char msg[STATUS_MSG_MAX];
    struct event *kick, *timer;
    ss_grpc_on_message on_message;
    ss_grpc_on_status on_status;
    void *user;
};

struct h2_conn {
    ss_h2_client *cl;
    h2_conn *next;
    uint64_t id; /* unique within the client, never reused; 0 is none */
    char target[TARGET_MAX];
    int fd;
    bool connected, broken, goaway, retired, in_recv;
    h2_lookup *lookup;                     /* a lookup in flight, else NULL */
    struct evdns_getaddrinfo_request *dns; /* its request, to cancel */
    struct evutil_addrinfo *ai, *ai_next;  /* resolved addresses; the next to try */
    char host[TARGET_MAX], port[8];
    char broken_msg[STATUS_MSG_MAX];
    nghttp2_session *session;
    struct event *rd, *wr, *later;
    uint8_t *obuf;
    size_t olen, ocap;
    ss_h2_call *calls;
};

struct ss_h2_client {
    struct event_base *base;
    h2_dns *dns; /* hostnames, resolved on the loop */
    size_t max_message;
    h2_conn *conns;
    uint64_t last_conn_id;
    ss_h2_call *calls;
    size_t live;
    bool freeing;
};

static void conn_flush(h2_conn *conn);
static void conn_connect_next(h2_conn *conn);
static void conn_free_partial(h2_conn *conn);
static void call_end(ss_h2_call *call, grpc_status_code code, const char *msg, bool rst);

/* ------------------------------------------------------------ targets */

/* "a.b.c.d:port" or "[v6]:port" -> a socket address (0); "name:port" -> 1
 * with the name and port in host/port (resolved by evdns); -1 + err. */
static int parse_target(const char *target, struct sockaddr_storage *sa, socklen_t *salen,
                        char host[TARGET_MAX], char port_s[8], char *err, size_t errlen)
{
    const char *colon = target ? strrchr(target, ':') : NULL;
    if (!colon || colon == target || strlen(target) >= TARGET_MAX) {
        snprintf(err, errlen, "target \"%s\" is not host:port", target ? target : "(null)");
        return -1;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port <= 0 || port > 65535) {
        snprintf(err, errlen, "target \"%s\": bad port", target);
        return -1;
    }
    size_t hl = (size_t)(colon - target);
    memcpy(host, target, hl);
    host[hl] = 0;
    snprintf(port_s, 8, "%ld", port);
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *salen = sizeof *v4;
        return 0;
    }
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            *salen = sizeof *v6;
            return 0;
        }
        snprintf(err, errlen, "target \"%s\": not an IPv6 address", target);
        return -1;
    }
    for (size_t i = 0; i < hl; i++)
        if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
              (host[i] >= '0' && host[i] <= '9') || host[i] == '-' || host[i] == '.' || host[i] == '_')) {
            snprintf(err, errlen, "target \"%s\": the host is neither an address nor a DNS name", target);
            return -1;
        }
    return 1;
}

/* ------------------------------------------------------------ call lists */

static ss_h2_call *conn_find_call(h2_conn *conn, int32_t sid)
{
    for (ss_h2_call *c = conn->calls; c; c = c->cn_next)
        if (c->stream_id == sid)
            return c;
    return NULL;
}

static void conn_link(h2_conn *conn, ss_h2_call *call)
{
    call->conn = conn;
    call->cn_prev = NULL;
    call->cn_next = conn->calls;
    if (conn->calls)
        conn->calls->cn_prev = call;
    conn->calls = call;
}

static void conn_unlink(h2_conn *conn, ss_h2_call *call)
{
    if (call->cn_prev)
        call->cn_prev->cn_next = call->cn_next;
    else
        conn->calls = call->cn_next;
    if (call->cn_next)
        call->cn_next->cn_prev = call->cn_prev;
    call->cn_prev = call->cn_next = NULL;
    call->conn = NULL;
}

/* Leaves the stream: optionally resets it, gives its unconsumed bytes back
 * to the connection window, and forgets the connection. */
static void call_detach(ss_h2_call *call, bool rst)
{
    h2_conn *conn = call->conn;
    if (!conn)
        return;
    if (rst && call->stream_id > 0 && conn->session)
        nghttp2_submit_rst_stream(conn->session, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_CANCEL);
    if (call->unconsumed && conn->session)
        nghttp2_session_consume_connection(conn->session, call->unconsumed);
    call->unconsumed = 0;
    conn_unlink(conn, call);
    if (!conn->in_recv)
        conn_flush(conn);
    if ((conn->goaway || conn->retired || conn->broken) && !conn->calls)
        event_active(conn->later, 0, 0);
}

/* ------------------------------------------------------------ connection I/O */

static void conn_break(h2_conn *conn, const char *fmt, ...)
{
    if (conn->broken)
        return;
    conn->broken = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(conn->broken_msg, sizeof conn->broken_msg, fmt, ap);
    va_end(ap);
    if (conn->rd)
        event_del(conn->rd);
    if (conn->wr)
        event_del(conn->wr);
    event_active(conn->later, 0, 0);
}

static int obuf_reserve(h2_conn *conn, size_t more)
{
    if (conn->olen + more <= conn->ocap)
        return 0;
    size_t nc = conn->ocap ? conn->ocap : 16384;
    while (nc < conn->olen + more)
        nc *= 2;
    uint8_t *nb = realloc(conn->obuf, nc);
    if (!nb)
        return -1;
    conn->obuf = nb;
    conn->ocap = nc;
    return 0;
}

/* Gathers everything nghttp2 has to send into obuf and writes it with one
 * send() where the socket takes it; the rest waits for EV_WRITE. */
static void conn_flush(h2_conn *conn)
{
    if (!conn->connected || conn->broken || conn->in_recv)
        return;
    for (;;) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(conn->session, &d);
        if (n < 0) {
            conn_break(conn, "HTTP/2 to %s: %s", conn->target, nghttp2_strerror((int)n));
            return;
        }
        if (n == 0)
            break;
        if (obuf_reserve(conn, (size_t)n) != 0) {
            conn_break(conn, "HTTP/2 to %s: out of memory", conn->target);
            return;
        }
        memcpy(conn->obuf + conn->olen, d, (size_t)n);
        conn->olen += (size_t)n;
    }
    size_t off = 0;
    while (off < conn->olen) {
        ssize_t w = send(conn->fd, conn->obuf + off, conn->olen - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0) {
            conn_break(conn, "connection to %s lost: %s", conn->target, strerror(errno));
            return;
        }
        off += (size_t)w;
    }
    memmove(conn->obuf, conn->obuf + off, conn->olen - off);
    conn->olen -= off;
    if (conn->olen)
        event_add(conn->wr, NULL);
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    h2_conn *conn = arg;
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_break(conn, "connection to %s lost: %s", conn->target,
                       n == 0 ? "closed by the peer" : strerror(errno));
            return;
        }
        conn->in_recv = true;
        ssize_t r = nghttp2_session_mem_recv(conn->session, buf, (size_t)n);
        conn->in_recv = false;
        if (r < 0) {
            conn_break(conn, "HTTP/2 from %s: %s", conn->target, nghttp2_strerror((int)r));
            return;
        }
        if ((size_t)n < sizeof buf)
            break; /* a short read: drained */
    }
    conn_flush(conn); /* WINDOW_UPDATE, SETTINGS and PING acks, resets */
    if (!conn->broken && !nghttp2_session_want_read(conn->session) &&
        !nghttp2_session_want_write(conn->session))
        conn_break(conn, "HTTP/2 session with %s ended", conn->target);
}

static void conn_on_write(evutil_socket_t fd, short what, void *arg)
{
    h2_conn *conn = arg;
    (void)what;
    if (!conn->connected) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr) {
            snprintf(conn->broken_msg, sizeof conn->broken_msg, "connect to %s: %s", conn->target,
                     strerror(soerr));
            conn_connect_next(conn); /* the next resolved address, if any; else it breaks */
            return;
        }
        conn->connected = true;
        event_add(conn->rd, NULL);
    }
    conn_flush(conn);
}

/* Frees the connection after ending every call still on it; from the
 * connection's own events or the client's free only. */
static void conn_close(h2_conn *conn, grpc_status_code code, const char *msg)
{
    while (conn->calls) {
        if (conn->calls->ended)
            call_detach(conn->calls, false); /* not expected: an ended call is detached */
        else
            call_end(conn->calls, code, msg, false);
    }
    ss_h2_client *cl = conn->cl;
    for (h2_conn **pp = &cl->conns; *pp; pp = &(*pp)->next)
        if (*pp == conn) {
            *pp = conn->next;
            break;
        }
    conn_free_partial(conn);
}

static void conn_on_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    h2_conn *conn = arg;
    if (conn->broken)
        conn_close(conn, GRPC_STATUS_UNAVAILABLE, conn->broken_msg);
    else if ((conn->goaway || conn->retired) && !conn->calls)
        conn_close(conn, GRPC_STATUS_UNAVAILABLE, "connection going away");
}

/* ------------------------------------------------------------ nghttp2 callbacks */

static bool name_is(const uint8_t *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && memcmp(name, want, nlen) == 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)s;
    (void)flags;
    ss_h2_call *call = conn_find_call(user, f->hd.stream_id);
    if (!call || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (name_is(name, nlen, ":status")) {
        int st = 0;
        for (size_t i = 0; i < vlen && i < 4 && value[i] >= '0' && value[i] <= '9'; i++)
            st = st * 10 + (value[i] - '0');
        call->http_status = st;
    } else if (name_is(name, nlen, "content-type")) {
        static const char ct[] = "application/grpc";
        call->content_type_ok = vlen >= sizeof ct - 1 && memcmp(value, ct, sizeof ct - 1) == 0 &&
                                (vlen == sizeof ct - 1 || value[sizeof ct - 1] == '+' ||
                                 value[sizeof ct - 1] == ';');
    } else if (name_is(name, nlen, "grpc-status")) {
        call->have_grpc_status = true;
        if (ss_grpc_parse_status((const char *)value, vlen, &call->trailer_code) != 0) {
            call->trailer_code = GRPC_STATUS_UNKNOWN;
            snprintf(call->trailer_msg, sizeof call->trailer_msg, "invalid grpc-status \"%.*s\"",
                     (int)(vlen > 16 ? 16 : vlen), (const char *)value);
        }
    } else if (name_is(name, nlen, "grpc-message")) {
        ss_grpc_percent_decode((const char *)value, vlen, call->trailer_msg, sizeof call->trailer_msg);
    }
    return 0;
}

/* The response's first HEADERS: :status 200 and application/grpc, else the
 * call ends at once with the status the HTTP answer maps to. */
static void check_response(ss_h2_call *call, const nghttp2_frame *f)
{
    call->headers_seen = true;
    bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    char m[STATUS_MSG_MAX];
    if (call->http_status != 200) {
        snprintf(m, sizeof m, "HTTP status %d from the server", call->http_status);
        call_end(call, ss_grpc_status_from_http(call->http_status), m, !end);
    } else if (!call->content_type_ok && !(end && call->have_grpc_status)) {
        call_end(call, GRPC_STATUS_UNKNOWN, "reply content-type is not application/grpc", !end);
    }
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)s;
    h2_conn *conn = user;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        conn->goaway = true; /* nghttp2 closes the streams above last_stream_id (REFUSED_STREAM) */
        event_active(conn->later, 0, 0);
        return 0;
    }
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_RESPONSE)
        return 0;
    ss_h2_call *call = conn_find_call(conn, f->hd.stream_id);
    if (call && !call->ended)
        check_response(call, f);
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data,
                         size_t len, void *user)
{
    (void)flags;
    ss_h2_call *call = conn_find_call(user, sid);
    if (!call || call->ended) {
        nghttp2_session_consume(s, sid, len); /* nobody will read it */
        return 0;
    }
    call->unconsumed += len;
    if (ss_grpc_frames_append(call->frames, data, len) != 0)
        call_end(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory for a reply message", true);
    else
        event_active(call->kick, 0, 0);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t sid, uint32_t code, void *user)
{
    (void)s;
    ss_h2_call *call = conn_find_call(user, sid);
    if (!call || call->ended)
        return 0;
    char m[STATUS_MSG_MAX];
    if (call->have_grpc_status)
        call_end(call, call->trailer_code, call->trailer_msg, false);
    else if (code != NGHTTP2_NO_ERROR) {
        snprintf(m, sizeof m, "stream reset by the server (%s)", nghttp2_http2_strerror(code));
        call_end(call, ss_grpc_status_from_rst(code), m, false);
    } else
        call_end(call, GRPC_STATUS_INTERNAL,
                 call->headers_seen ? "reply without grpc-status" : "stream closed without a reply",
                 false);
    return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)s;
    (void)src;
    ss_h2_call *call = conn_find_call(user, sid);
    if (!call)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = call->body_len - call->body_sent;
    if (n > len)
        n = len;
    memcpy(buf, call->body + call->body_sent, n);
    call->body_sent += n;
    if (call->body_sent == call->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* A client session: no push, 64 KiB stream windows, a 1 MiB connection
 * window, window updates only through nghttp2_session_consume. */
static int session_new(h2_conn *conn)
{
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        return -1;
    }
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    int rv = nghttp2_session_client_new2(&conn->session, cb, conn, opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    if (rv != 0)
        return -1;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16384},
    };
    if (nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, iv, 3) != 0 ||
        nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ connections */

/* Frees a connection that has no call left (conn_close ends them first). */
static void conn_free_partial(h2_conn *conn)
{
    if (conn->lookup) {
        struct evdns_getaddrinfo_request *req = conn->dns;
        conn->lookup->conn = NULL; /* its answer, from the loop, leaves conn alone */
        conn->lookup = NULL;
        conn->dns = NULL;
        if (req)
            evdns_getaddrinfo_cancel(req);
    }
    if (conn->ai)
        evutil_freeaddrinfo(conn->ai);
    nghttp2_session_del(conn->session);
    if (conn->rd)
        event_free(conn->rd);
    if (conn->wr)
        event_free(conn->wr);
    if (conn->later)
        event_free(conn->later);
    if (conn->fd >= 0)
        close(conn->fd);
    free(conn->obuf);
    free(conn);
}

/* TCP_NODELAY, and TCP keepalive so a peer that vanished without a reset
 * (host down, partition) is found by the kernel (h2_client.h says why not
 * HTTP/2 PING). Failures are harmless: the call deadline still bounds a call. */
static void conn_sockopts(int fd)
{
    int one = 1, idle = SS_H2_TCP_KEEPIDLE_S, intvl = SS_H2_TCP_KEEPINTVL_S, cnt = SS_H2_TCP_KEEPCNT;
    unsigned user_timeout = SS_H2_TCP_USER_TIMEOUT_MS;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

/* Connects to one address: a fresh socket and its events (a previous
 * attempt's are dropped). 0 once connecting or connected; -1 + errno-like
 * text in conn->broken_msg when this address failed at once. */
static int conn_connect_one(h2_conn *conn, const struct sockaddr *sa, socklen_t salen)
{
    if (conn->rd)
        event_free(conn->rd);
    if (conn->wr)
        event_free(conn->wr);
    conn->rd = conn->wr = NULL;
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn->fd < 0) {
        snprintf(conn->broken_msg, sizeof conn->broken_msg, "socket for %s: %s", conn->target, strerror(errno));
        return -1;
    }
    conn_sockopts(conn->fd);
    conn->rd = event_new(conn->cl->base, conn->fd, EV_READ | EV_PERSIST, conn_on_read, conn);
    conn->wr = event_new(conn->cl->base, conn->fd, EV_WRITE, conn_on_write, conn);
    if (!conn->rd || !conn->wr) {
        snprintf(conn->broken_msg, sizeof conn->broken_msg, "out of memory (events for %s)", conn->target);
        return -1;
    }
    if (connect(conn->fd, sa, salen) == 0) {
        conn->connected = true;
        event_add(conn->rd, NULL);
        conn_flush(conn); /* the preface and any call queued while resolving */
    } else if (errno == EINPROGRESS) {
        event_add(conn->wr, NULL);
    } else {
        snprintf(conn->broken_msg, sizeof conn->broken_msg, "connect to %s: %s", conn->target, strerror(errno));
        return -1;
    }
    return 0;
}

/* Tries the resolved addresses in order until one is connecting; none
 * left: the connection breaks (its calls end UNAVAILABLE from the loop). */
static void conn_connect_next(h2_conn *conn)
{
    while (conn->ai_next) {
        struct evutil_addrinfo *ai = conn->ai_next;
        conn->ai_next = ai->ai_next;
        if (conn_connect_one(conn, ai->ai_addr, (socklen_t)ai->ai_addrlen) == 0)
            return;
    }
    char m[STATUS_MSG_MAX];
    snprintf(m, sizeof m, "%s", conn->broken_msg[0] ? conn->broken_msg : "no address to connect to");
    conn_break(conn, "%s", m);
}

static void dns_free(h2_dns *dns)
{
    evdns_base_free(dns->base, 0); /* no lookup left: nothing to fail */
    free(dns);
}

/* evdns's answer for the connection's host (possibly from inside
 * evdns_getaddrinfo, for a name in /etc/hosts; a cancelled lookup's, from
 * the loop, with its connection gone). */
static void conn_on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
    h2_lookup *lookup = arg;
    h2_conn *conn = lookup->conn;
    h2_dns *dns = lookup->dns;
    free(lookup);
    dns->pending--;
    if (!conn) {
        if (res)
            evutil_freeaddrinfo(res);
        if (dns->orphaned && dns->pending == 0)
            dns_free(dns); /* nothing of evdns's reads the base after its last answer */
        return;
    }
    conn->lookup = NULL;
    conn->dns = NULL;
    if (result != 0 || !res) {
        if (res)
            evutil_freeaddrinfo(res);
        conn_break(conn, "resolving %s: %s", conn->target, evutil_gai_strerror(result));
        return;
    }
    conn->ai = conn->ai_next = res;
    conn_connect_next(conn);
}

static void conn_resolve(h2_conn *conn)
{
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
    h2_lookup *lookup = malloc(sizeof *lookup);
    if (!lookup) {
        conn_break(conn, "resolving %s: out of memory", conn->target);
        return;
    }
    *lookup = (h2_lookup){conn->cl->dns, conn};
    conn->lookup = lookup;
    conn->cl->dns->pending++;
    struct evdns_getaddrinfo_request *req =
        evdns_getaddrinfo(conn->cl->dns->base, conn->host, conn->port, &hints, conn_on_resolved, lookup);
    if (conn->lookup)
        conn->dns = req; /* NULL here only if the callback already ran */
}

/* A new connection to `target`: connecting to `sa`, or (sa NULL) resolving
 * host first. A failure after this returns breaks it, from the loop. */
static h2_conn *conn_new(ss_h2_client *cl, const char *target, const struct sockaddr_storage *sa,
                         socklen_t salen, const char *host, const char *port, char *err, size_t errlen)
{
    h2_conn *conn = calloc(1, sizeof *conn);
    if (!conn) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    conn->cl = cl;
    conn->id = ++cl->last_conn_id;
    conn->fd = -1;
    snprintf(conn->target, sizeof conn->target, "%s", target);
    snprintf(conn->host, sizeof conn->host, "%s", host);
    snprintf(conn->port, sizeof conn->port, "%s", port);
    conn->later = event_new(cl->base, -1, 0, conn_on_later, conn);
    if (!conn->later || session_new(conn) != 0) {
        snprintf(err, errlen, "out of memory");
        conn_free_partial(conn);
        return NULL;
    }
    conn->next = cl->conns;
    cl->conns = conn;
    if (!sa)
        conn_resolve(conn);
    else if (conn_connect_one(conn, (const struct sockaddr *)sa, salen) != 0) {
        char m[STATUS_MSG_MAX];
        snprintf(m, sizeof m, "%s", conn->broken_msg);
        conn_break(conn, "%s", m);
    }
    return conn;
}

/* The target's live connection, or a new one; *reused: it was connected
 * before this call (a new one, or one still resolving or connecting: not). */
static h2_conn *conn_for(ss_h2_client *cl, const char *target, const struct sockaddr_storage *sa,
                         socklen_t salen, const char *host, const char *port, bool *reused, char *err,
                         size_t errlen)
{
    for (h2_conn *c = cl->conns; c; c = c->next)
        if (!c->broken && !c->goaway && !c->retired && strcmp(c->target, target) == 0) {
            *reused = c->connected;
            return c;
        }
    *reused = false;
    return conn_new(cl, target, sa, salen, host, port, err, errlen);
}

/* ------------------------------------------------------------ calls */

static void call_end(ss_h2_call *call, grpc_status_code code, const char *msg, bool rst)
{
    if (call->ended)
        return;
    call->ended = true;
    call->code = code;
    snprintf(call->msg, sizeof call->msg, "%s", msg ? msg : "");
    if (call->timer)
        event_del(call->timer);
    call_detach(call, rst);
    event_active(call->kick, 0, 0);
}

/* A reply that cannot be read: the call ends with `code` even when its
 * stream had already closed with another status. */
static void call_fail(ss_h2_call *call, grpc_status_code code, const char *msg)
{
    call->frames_failed = true;
    if (!call->ended) {
        call_end(call, code, msg, true);
        return;
    }
    call->code = code;
    snprintf(call->msg, sizeof call->msg, "%s", msg);
}

static void call_free_mem(ss_h2_call *call)
{
    if (call->kick)
        event_free(call->kick);
    if (call->timer)
        event_free(call->timer);
    ss_grpc_frames_free(call->frames);
    free(call->body);
    free(call);
}

/* Delivers on_status (last) and frees the call. */
static void call_finish(ss_h2_call *call, grpc_status_code code, const char *msg)
{
    ss_h2_client *cl = call->cl;
    if (call->cl_prev)
        call->cl_prev->cl_next = call->cl_next;
    else
        cl->calls = call->cl_next;
    if (call->cl_next)
        call->cl_next->cl_prev = call->cl_prev;
    cl->live--;
    call_detach(call, true);
    char m[STATUS_MSG_MAX];
    snprintf(m, sizeof m, "%s", msg ? msg : "");
    ss_grpc_on_status on_status = call->on_status;
    void *user = call->user;
    call_free_mem(call);
    on_status(user, code, m);
}

/* Complete messages to on_message while not paused nor cancelled. */
static void call_deliver(ss_h2_call *call)
{
    while (!call->paused && !call->cancelled && !call->frames_failed) {
        const uint8_t *m = NULL;
        size_t len = 0;
        grpc_status_code code = GRPC_STATUS_INTERNAL;
        char e[128];
        int r = ss_grpc_frames_next(call->frames, &m, &len, &code, e, sizeof e);
        if (r == 0)
            return;
        if (r < 0) {
            call_fail(call, code, e);
            return;
        }
        if (!call->streaming && call->nmsg == 1) {
            call_fail(call, GRPC_STATUS_INTERNAL, "a unary reply with more than one message");
            return;
        }
        call->nmsg++;
        call->on_message(call->user, m ? m : (const uint8_t *)"", len);
    }
}

/* Gives delivered bytes back to the windows (all of them when not paused:
 * what remains is a partial message that goes out once complete). */
static void call_consume(ss_h2_call *call)
{
    h2_conn *conn = call->conn;
    if (!conn || call->stream_id <= 0 || call->unconsumed == 0)
        return;
    size_t buffered = ss_grpc_frames_buffered(call->frames);
    size_t keep = call->paused ? (call->unconsumed < buffered ? call->unconsumed : buffered) : 0;
    size_t n = call->unconsumed - keep;
    if (n == 0)
        return;
    nghttp2_session_consume(conn->session, call->stream_id, n);
    call->unconsumed -= n;
    conn_flush(conn);
}

static void call_on_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ss_h2_call *call = arg;
    if (call->cancelled) {
        call_finish(call, GRPC_STATUS_CANCELLED, "call cancelled by the client");
        return;
    }
    call_deliver(call);
    if (call->cancelled)
        return; /* its kick is active again */
    call_consume(call);
    if (!call->ended || call->paused)
        return;
    grpc_status_code code = call->code;
    const char *msg = call->msg;
    if (code == GRPC_STATUS_OK && ss_grpc_frames_buffered(call->frames) > 0) {
        code = GRPC_STATUS_INTERNAL;
        msg = "the reply ended inside a message";
    } else if (code == GRPC_STATUS_OK && !call->streaming && call->nmsg != 1) {
        code = GRPC_STATUS_INTERNAL;
        msg = "a unary reply without a message";
    }
    call_finish(call, code, msg);
}

static void call_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    call_end(arg, GRPC_STATUS_DEADLINE_EXCEEDED, "deadline exceeded", true);
}

static ss_h2_call *call_new(ss_h2_client *cl, const uint8_t *req, size_t req_len, int timeout_ms)
{
    ss_h2_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->cl = cl;
    call->body_len = SS_GRPC_FRAME_HEADER + req_len;
    call->body = malloc(call->body_len);
    call->frames = ss_grpc_frames_new(cl->max_message);
    call->kick = event_new(cl->base, -1, 0, call_on_kick, call);
    if (timeout_ms > 0)
        call->timer = evtimer_new(cl->base, call_on_deadline, call);
    if (!call->body || !call->frames || !call->kick || (timeout_ms > 0 && !call->timer) ||
        ss_grpc_frame_prefix(call->body, req_len) != 0) {
        call_free_mem(call);
        return NULL;
    }
    if (req_len)
        memcpy(call->body + SS_GRPC_FRAME_HEADER, req, req_len);
    return call;
}

#define NV(n, v) ((nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE})

/* The request's HEADERS and DATA, queued on the connection's session. */
static int call_submit(ss_h2_call *call, h2_conn *conn, const char *method, const ss_grpc_metadata *md,
                       int timeout_ms, char *err, size_t errlen)
{
    nghttp2_nv nva[10];
    size_t n = 0;
    char timeout[24];
    nva[n++] = NV(":method", "POST");
    nva[n++] = NV(":scheme", "http");
    nva[n++] = NV(":path", method);
    nva[n++] = NV(":authority", conn->target);
    nva[n++] = NV("te", "trailers");
    nva[n++] = NV("content-type", "application/grpc");
    nva[n++] = NV("user-agent", "scaispeak-h2/1");
    if (timeout_ms > 0) {
        if (timeout_ms <= 99999999)
            snprintf(timeout, sizeof timeout, "%dm", timeout_ms);
        else
            snprintf(timeout, sizeof timeout, "%dS", (timeout_ms + 999) / 1000);
        nva[n++] = NV("grpc-timeout", timeout);
    }
    if (md && md->authorization)
        nva[n++] = NV("authorization", md->authorization);
    if (md && md->request_id)
        nva[n++] = NV("x-request-id", md->request_id);
    nghttp2_data_provider dp = {.source = {.ptr = NULL}, .read_callback = read_body};
    int32_t sid = nghttp2_submit_request(conn->session, NULL, nva, n, &dp, NULL);
    if (sid < 0) {
        snprintf(err, errlen, "HTTP/2 request to %s: %s", conn->target, nghttp2_strerror(sid));
        return -1;
    }
    call->stream_id = sid;
    call->conn_id = conn->id;
    conn_link(conn, call);
    return 0;
}

ss_h2_call *ss_h2_call_start(ss_h2_client *cl, const char *target, const char *method,
                             const ss_grpc_metadata *md, int timeout_ms, const uint8_t *req,
                             size_t req_len, bool streaming, ss_grpc_on_message on_message,
                             ss_grpc_on_status on_status, void *user, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    char host[TARGET_MAX], port[8];
    if (!cl || cl->freeing || !on_message || !on_status || (!req && req_len)) {
        snprintf(err, errlen, cl && cl->freeing ? "the client is being freed" : "invalid arguments");
        return NULL;
    }
    if (!method || method[0] != '/' || strchr(method, '\n') || strchr(method, '\r')) {
        snprintf(err, errlen, "method \"%s\" is not /package.Service/Method", method ? method : "(null)");
        return NULL;
    }
    int kind = parse_target(target, &sa, &salen, host, port, err, errlen);
    if (kind < 0)
        return NULL;
    if ((uint64_t)req_len > UINT32_MAX - SS_GRPC_FRAME_HEADER) {
        snprintf(err, errlen, "request too large");
        return NULL;
    }
    ss_h2_call *call = call_new(cl, req, req_len, timeout_ms);
    if (!call) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    call->streaming = streaming;
    call->on_message = on_message;
    call->on_status = on_status;
    call->user = user;
    h2_conn *conn = conn_for(cl, target, kind == 0 ? &sa : NULL, salen, host, port, &call->reused, err, errlen);
    if (!conn || call_submit(call, conn, method, md, timeout_ms, err, errlen) != 0) {
        call_free_mem(call);
        return NULL;
    }
    call->cl_next = cl->calls;
    if (cl->calls)
        cl->calls->cl_prev = call;
    cl->calls = call;
    cl->live++;
    if (call->timer) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        evtimer_add(call->timer, &tv);
    }
    conn_flush(conn);
    return call;
}

void ss_h2_call_pause(ss_h2_call *call)
{
    call->paused = true;
}

void ss_h2_call_resume(ss_h2_call *call)
{
    if (!call->paused)
        return;
    call->paused = false;
    event_active(call->kick, 0, 0);
}

void ss_h2_call_cancel(ss_h2_call *call)
{
    if (call->cancelled)
        return;
    call->cancelled = true;
    if (call->timer)
        event_del(call->timer);
    call_detach(call, !call->ended);
    event_active(call->kick, 0, 0);
}

uint64_t ss_h2_call_connection(const ss_h2_call *call)
{
    return call->conn_id;
}

bool ss_h2_call_reused_connection(const ss_h2_call *call)
{
    return call->reused;
}

void ss_h2_client_retire_connection(ss_h2_client *cl, uint64_t id)
{
    for (h2_conn *c = cl ? cl->conns : NULL; c; c = c->next)
        if (c->id == id) {
            if (!c->retired) {
                c->retired = true; /* closed by conn_on_later once its last call left */
                if (!c->calls)
                    event_active(c->later, 0, 0);
            }
            return;
        }
}

size_t ss_h2_client_live(const ss_h2_client *cl)
{
    return cl ? cl->live : 0;
}

/* ------------------------------------------------------------ the client */

ss_h2_client *ss_h2_client_new(struct event_base *base, size_t max_message, char *err, size_t errlen)
{
    if (!base) {
        snprintf(err, errlen, "no event base");
        return NULL;
    }
    ss_h2_client *cl = calloc(1, sizeof *cl);
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cl->base = base;
    cl->max_message = max_message ? max_message : SS_H2_DEFAULT_MAX_MESSAGE;
    /* The resolver reads /etc/resolv.conf and /etc/hosts here, once, not on
     * a request's path. */
    cl->dns = calloc(1, sizeof *cl->dns);
    if (cl->dns)
        cl->dns->base =
            evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!cl->dns || !cl->dns->base) {
        snprintf(err, errlen, "the DNS resolver could not be set up (evdns_base_new)");
        free(cl->dns);
        free(cl);
        return NULL;
    }
    return cl;
}

int ss_h2_client_set_resolver(ss_h2_client *cl, const char *nameserver, char *err, size_t errlen)
{
    if (!cl || !nameserver || !nameserver[0]) {
        snprintf(err, errlen, "no name server given");
        return -1;
    }
    if (cl->conns) {
        snprintf(err, errlen, "the resolver is chosen before the first call");
        return -1;
    }
    int r = evdns_base_clear_nameservers_and_suspend(cl->dns->base);
    if (r == 0)
        r = evdns_base_nameserver_ip_add(cl->dns->base, nameserver);
    evdns_base_resume(cl->dns->base);
    if (r != 0) {
        snprintf(err, errlen, "name server \"%s\" is not ip[:port] or [ipv6]:port", nameserver);
        return -1;
    }
    return 0;
}

void ss_h2_client_free(ss_h2_client *cl)
{
    if (!cl)
        return;
    cl->freeing = true;
    while (cl->calls) {
        ss_h2_call *c = cl->calls;
        bool clean = c->ended && !c->cancelled && ss_grpc_frames_buffered(c->frames) == 0 &&
                     (c->code != GRPC_STATUS_OK || c->streaming || c->nmsg == 1);
        char m[STATUS_MSG_MAX];
        snprintf(m, sizeof m, "%s", clean ? c->msg : "call cancelled: the client was freed");
        call_finish(c, clean ? c->code : GRPC_STATUS_CANCELLED, m);
    }
    while (cl->conns) {
        h2_conn *conn = cl->conns;
        if (conn->connected && !conn->broken) {
            nghttp2_session_terminate_session(conn->session, NGHTTP2_NO_ERROR);
            conn_flush(conn); /* best effort: the GOAWAY and the resets */
        }
        conn_close(conn, GRPC_STATUS_CANCELLED, "the client was freed");
    }
    cl->dns->orphaned = true; /* every lookup is cancelled: the last answer frees it */
    if (cl->dns->pending == 0)
        dns_free(cl->dns);
    free(cl);
}
