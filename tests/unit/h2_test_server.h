/* A scripted HTTP/2 gRPC server for unit tests of common/h2_client, on the
 * test's own libevent loop (nghttp2 server sessions over bufferevents).
 * It answers what the real ss_grpc_server never sends, chosen by :path:
 *
 *   /t.T/TrailersOnly  HEADERS with grpc-status 5 "nope" and END_STREAM
 *   /t.T/WrongType     200, content-type text/html, a body, no grpc-status
 *   /t.T/UnaryZero     200, application/grpc, no message, grpc-status 0
 *   /t.T/UnaryTwo      two messages "a", "b", then grpc-status 0
 *   /t.T/Hold          nothing until h2ts_release(), then "ok" + status 0
 *   anything else      "ok" + grpc-status 0 at once
 *
 * max_streams (before start): the SETTINGS_MAX_CONCURRENT_STREAMS it
 * announces (0: none). h2ts_goaway sends GOAWAY with a last-stream-id;
 * h2ts_drop closes a connection without one. It counts accepted
 * connections and requests. Header-only, like the other
 * fixtures of tests/unit/. */
#ifndef SS_TESTS_H2_TEST_SERVER_H
#define SS_TESTS_H2_TEST_SERVER_H

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H2TS_MAX_CONNS 8
#define H2TS_MAX_HELD 16

typedef struct h2ts h2ts;

typedef struct {
    h2ts *srv;
    struct bufferevent *bev;
    nghttp2_session *s;
} h2ts_conn;

typedef struct {
    h2ts_conn *conn;
    int32_t sid;
} h2ts_held;

typedef struct {
    h2ts_conn *conn;
    int32_t sid;
    char path[32];
} h2ts_path;

typedef struct {
    const uint8_t *body;
    size_t len, off;
    bool trailers; /* grpc-status 0 after the body */
} h2ts_body;

struct h2ts {
    struct evconnlistener *lst;
    int port;
    uint32_t max_streams;
    h2ts_conn conns[H2TS_MAX_CONNS];
    int nconns;
    int requests;
    h2ts_held held[H2TS_MAX_HELD];
    int nheld;
    h2ts_body bodies[64];
    int nbodies;
    h2ts_path paths[64];
    int npaths;
};

static void h2ts_flush(h2ts_conn *c)
{
    const uint8_t *d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c->s, &d)) > 0)
        bufferevent_write(c->bev, d, (size_t)n);
}

static ssize_t h2ts_read_body(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                              nghttp2_data_source *src, void *user)
{
    (void)user;
    h2ts_body *b = src->ptr;
    size_t n = b->len - b->off < len ? b->len - b->off : len;
    memcpy(buf, b->body + b->off, n);
    b->off += n;
    if (b->off == b->len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (b->trailers) {
            nghttp2_nv t[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, NGHTTP2_NV_FLAG_NONE}};
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            nghttp2_submit_trailer(s, sid, t, 1);
        }
    }
    return (ssize_t)n;
}

#define H2TS_NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE}

/* 200 + content-type, then body (gRPC-framed by the caller) and, when
 * trailers, grpc-status 0. */
static void h2ts_respond(h2ts_conn *c, int32_t sid, const char *ctype, const uint8_t *body, size_t len,
                         bool trailers)
{
    h2ts *srv = c->srv;
    h2ts_body *b = &srv->bodies[srv->nbodies++ % 64];
    *b = (h2ts_body){body, len, 0, trailers};
    nghttp2_nv nv[] = {H2TS_NV(":status", "200"), {(uint8_t *)"content-type", (uint8_t *)ctype, 12,
                                                   strlen(ctype), NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider dp = {.source = {.ptr = b}, .read_callback = h2ts_read_body};
    nghttp2_submit_response(c->s, sid, nv, 2, &dp);
}

static const uint8_t H2TS_OK[] = {0, 0, 0, 0, 2, 'o', 'k'};
static const uint8_t H2TS_TWO[] = {0, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 1, 'b'};

static void h2ts_answer(h2ts_conn *c, int32_t sid, const char *path)
{
    h2ts *srv = c->srv;
    if (!strcmp(path, "/t.T/TrailersOnly")) {
        nghttp2_nv nv[] = {H2TS_NV(":status", "200"), H2TS_NV("content-type", "application/grpc"),
                           H2TS_NV("grpc-status", "5"), H2TS_NV("grpc-message", "nope")};
        nghttp2_submit_response(c->s, sid, nv, 4, NULL);
    } else if (!strcmp(path, "/t.T/WrongType")) {
        h2ts_respond(c, sid, "text/html", (const uint8_t *)"<html>", 6, false);
    } else if (!strcmp(path, "/t.T/UnaryZero")) {
        h2ts_respond(c, sid, "application/grpc", (const uint8_t *)"", 0, true);
    } else if (!strcmp(path, "/t.T/UnaryTwo")) {
        h2ts_respond(c, sid, "application/grpc", H2TS_TWO, sizeof H2TS_TWO, true);
    } else if (!strcmp(path, "/t.T/Hold") && srv->nheld < H2TS_MAX_HELD) {
        srv->held[srv->nheld++] = (h2ts_held){c, sid};
    } else {
        h2ts_respond(c, sid, "application/grpc", H2TS_OK, sizeof H2TS_OK, true);
    }
}

static int h2ts_on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                          const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    (void)s;
    (void)flags;
    h2ts_conn *c = user;
    if (f->hd.type == NGHTTP2_HEADERS && nlen == 5 && !memcmp(name, ":path", 5)) {
        h2ts_path *p = &c->srv->paths[c->srv->npaths++ % 64];
        p->conn = c;
        p->sid = f->hd.stream_id;
        snprintf(p->path, sizeof p->path, "%.*s", (int)vlen, (const char *)value);
    }
    return 0;
}

static const char *h2ts_path_of(h2ts_conn *c, int32_t sid)
{
    for (int i = 0; i < 64; i++)
        if (c->srv->paths[i].conn == c && c->srv->paths[i].sid == sid)
            return c->srv->paths[i].path;
    return "";
}

static int h2ts_on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    h2ts_conn *c = user;
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        (void)s;
        c->srv->requests++;
        h2ts_answer(c, f->hd.stream_id, h2ts_path_of(c, f->hd.stream_id));
    }
    return 0;
}

static void h2ts_on_read(struct bufferevent *bev, void *arg)
{
    h2ts_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    uint8_t *d = evbuffer_pullup(in, -1);
    nghttp2_session_mem_recv(c->s, d, len);
    evbuffer_drain(in, len);
    h2ts_flush(c);
}

static void h2ts_on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    (void)arg;
}

static void h2ts_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl, void *arg)
{
    (void)sa;
    (void)sl;
    h2ts *srv = arg;
    if (srv->nconns >= H2TS_MAX_CONNS) {
        evutil_closesocket(fd);
        return;
    }
    h2ts_conn *c = &srv->conns[srv->nconns++];
    c->srv = srv;
    c->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, h2ts_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2ts_on_frame);
    nghttp2_session_server_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, srv->max_streams}};
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, srv->max_streams ? 1 : 0);
    bufferevent_setcb(c->bev, h2ts_on_read, NULL, h2ts_on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    h2ts_flush(c);
}

/* Listens on 127.0.0.1, a free port (srv->port). 0 or -1. */
static int h2ts_start(h2ts *srv, struct event_base *base, uint32_t max_streams)
{
    memset(srv, 0, sizeof *srv);
    srv->max_streams = max_streams;
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    srv->lst = evconnlistener_new_bind(base, h2ts_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                       (struct sockaddr *)&la, sizeof la);
    if (!srv->lst)
        return -1;
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    getsockname(evconnlistener_get_fd(srv->lst), (struct sockaddr *)&got, &gl);
    srv->port = ntohs(got.sin_port);
    return 0;
}

/* Answers every held /t.T/Hold call ("ok", status 0). */
static void h2ts_release(h2ts *srv)
{
    for (int i = 0; i < srv->nheld; i++) {
        h2ts_respond(srv->held[i].conn, srv->held[i].sid, "application/grpc", H2TS_OK, sizeof H2TS_OK, true);
        h2ts_flush(srv->held[i].conn);
    }
    srv->nheld = 0;
}

/* GOAWAY (NO_ERROR) on connection i, last-stream-id last_sid. */
static void h2ts_goaway(h2ts *srv, int i, int32_t last_sid)
{
    nghttp2_submit_goaway(srv->conns[i].s, NGHTTP2_FLAG_NONE, last_sid, NGHTTP2_NO_ERROR, NULL, 0);
    h2ts_flush(&srv->conns[i]);
}

/* Closes connection i at once, without GOAWAY (a process that died): the
 * client finds it lost. Its held calls are forgotten. */
static void h2ts_drop(h2ts *srv, int i)
{
    if (!srv->conns[i].bev)
        return;
    bufferevent_free(srv->conns[i].bev);
    nghttp2_session_del(srv->conns[i].s);
    srv->conns[i].bev = NULL;
    srv->conns[i].s = NULL;
    int kept = 0;
    for (int k = 0; k < srv->nheld; k++)
        if (srv->held[k].conn != &srv->conns[i])
            srv->held[kept++] = srv->held[k];
    srv->nheld = kept;
}

static void h2ts_free(h2ts *srv)
{
    for (int i = 0; i < srv->nconns; i++) {
        nghttp2_session_del(srv->conns[i].s);
        if (srv->conns[i].bev)
            bufferevent_free(srv->conns[i].bev);
    }
    evconnlistener_free(srv->lst);
}

#endif
