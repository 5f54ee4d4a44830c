/* Unit tests for common/h2_client (the loop-native HTTP/2 gRPC client)
 * against the real in-process ss_grpc_server of grpc_echo_fixture.h, some
 * through a byte-forwarding TCP proxy on the same loop that counts
 * connections and can cut them. Covers unary and streaming with metadata,
 * a server error's status and message, no server -> UNAVAILABLE, the
 * deadline, pause (also before the first message) holding messages and
 * status, cancel of a live call and of a paused finished call, free with
 * live calls, calls started while connecting, the connection lost
 * mid-stream -> UNAVAILABLE (and the next call reconnecting), and two
 * concurrent streams on one connection; a DNS name ("localhost:<port>",
 * resolved on the loop); retiring one connection by its id. Against the scripted nghttp2 server of
 * h2_test_server.h: trailers-only replies, a wrong content-type, unary
 * replies with 0 and 2 messages, GOAWAY (streams above last-stream-id end
 * UNAVAILABLE, the next call opens a new connection, the others finish) and
 * the server's max-concurrent-streams (calls beyond it wait); node_call's
 * restart retry of several calls failing at once on one connection (GOAWAY
 * or dropped): one new connection for all of them; whether a call reused
 * a connected connection. Against a name server that never answers
 * (ss_h2_client_set_resolver): the client freed, a call cancelled and a
 * connection closed while a lookup is in flight, with libevent's frees
 * poisoned so that its late answer to a cancelled lookup may not read the
 * freed resolver. */
#include "common/h2_client.h"
#include "tests/unit/grpc_echo_fixture.h"
#include "tests/unit/h2_test_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <malloc.h>
#include <netinet/in.h>

typedef struct {
    struct event_base *base;
    char got[32][16];
    int nmsg;
    int status_calls;
    grpc_status_code code;
    char msg[128];
    ss_h2_call *call;
    int cancel_after;
    int pause_after;
} h2_result;

static void h2_on_message(void *user, const uint8_t *m, size_t len)
{
    h2_result *r = user;
    if (r->pause_after && r->nmsg + 1 == r->pause_after)
        ss_h2_call_pause(r->call);
    if (r->nmsg < 32)
        snprintf(r->got[r->nmsg], sizeof r->got[0], "%.*s", (int)len, (const char *)m);
    r->nmsg++;
    if (r->cancel_after && r->nmsg == r->cancel_after)
        ss_h2_call_cancel(r->call);
}

static void h2_on_status(void *user, grpc_status_code code, const char *msg)
{
    h2_result *r = user;
    r->status_calls++;
    r->code = code;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    event_base_loopbreak(r->base);
}

static ss_h2_call *start(ss_h2_client *cl, const char *target, const char *method, const char *req,
                         bool streaming, int timeout_ms, h2_result *r)
{
    char err[256];
    r->call = ss_h2_call_start(cl, target, method, NULL, timeout_ms, (const uint8_t *)req, strlen(req),
                               streaming, h2_on_message, h2_on_status, r, err, sizeof err);
    cr_assert_not_null(r->call, "%s", err);
    return r->call;
}

static void wait_status(struct event_base *base, h2_result *r)
{
    for (int i = 0; i < 60 && r->status_calls == 0; i++)
        run_loop(base, 100);
}

/* The loop must run for the request to go out (no thread of the client's). */
static bool loop_until_stream_done(struct event_base *base, int ms)
{
    for (int i = 0; i < ms / 50; i++) {
        run_loop(base, 50);
        if (wait_stream_done(1))
            return true;
    }
    return wait_stream_done(1);
}

static void target_of(ss_grpc_server *srv, char *t, size_t n)
{
    snprintf(t, n, "127.0.0.1:%d", ss_grpc_server_port(srv));
}

static ss_h2_client *new_client(struct event_base *base)
{
    char err[256];
    ss_h2_client *cl = ss_h2_client_new(base, 0, err, sizeof err);
    cr_assert_not_null(cl, "%s", err);
    return cl;
}

/* --- a TCP proxy on the loop: counts connections, can cut them */
typedef struct {
    struct evconnlistener *lst;
    struct bufferevent *a[4], *b[4];
    int n;
    int port;
    struct sockaddr_in to;
} proxy;

static void px_read(struct bufferevent *bev, void *arg)
{
    struct bufferevent *other = arg;
    bufferevent_write_buffer(other, bufferevent_get_input(bev));
}

static void px_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    (void)arg;
}

static void px_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl, void *arg)
{
    (void)sa;
    (void)sl;
    proxy *p = arg;
    struct event_base *base = evconnlistener_get_base(l);
    cr_assert_lt(p->n, 4);
    struct bufferevent *a = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    cr_assert_eq(bufferevent_socket_connect(b, (struct sockaddr *)&p->to, sizeof p->to), 0);
    bufferevent_setcb(a, px_read, NULL, px_event, b);
    bufferevent_setcb(b, px_read, NULL, px_event, a);
    bufferevent_enable(a, EV_READ | EV_WRITE);
    bufferevent_enable(b, EV_READ | EV_WRITE);
    p->a[p->n] = a;
    p->b[p->n] = b;
    p->n++;
}

static void proxy_start(proxy *p, struct event_base *base, ss_grpc_server *srv)
{
    memset(p, 0, sizeof *p);
    p->to.sin_family = AF_INET;
    p->to.sin_port = htons((uint16_t)ss_grpc_server_port(srv));
    p->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    p->lst = evconnlistener_new_bind(base, px_accept, p, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                     (struct sockaddr *)&la, sizeof la);
    cr_assert_not_null(p->lst);
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    getsockname(evconnlistener_get_fd(p->lst), (struct sockaddr *)&got, &gl);
    p->port = ntohs(got.sin_port);
}

static void proxy_cut(proxy *p)
{
    for (int i = 0; i < p->n; i++) {
        if (p->a[i])
            bufferevent_free(p->a[i]);
        if (p->b[i])
            bufferevent_free(p->b[i]);
        p->a[i] = p->b[i] = NULL;
    }
}

static void proxy_free(proxy *p)
{
    proxy_cut(p);
    evconnlistener_free(p->lst);
}

/* The set-up most tests share: an echo server, a loop, a client, and the
 * target to call (the server's port, or the counting proxy's). */
typedef struct {
    ss_grpc_server *srv;
    struct event_base *base;
    proxy px;
    bool via_proxy;
    ss_h2_client *cl;
    char t[64];
} rig;

static void rig_up(rig *g, bool via_proxy)
{
    state_reset();
    g->srv = start_server();
    g->base = new_base();
    g->via_proxy = via_proxy;
    if (via_proxy)
        proxy_start(&g->px, g->base, g->srv);
    g->cl = new_client(g->base);
    if (via_proxy)
        snprintf(g->t, sizeof g->t, "127.0.0.1:%d", g->px.port);
    else
        target_of(g->srv, g->t, sizeof g->t);
}

static void rig_down(rig *g)
{
    ss_h2_client_free(g->cl);
    if (g->via_proxy)
        proxy_free(&g->px);
    event_base_free(g->base);
    ss_grpc_server_free(g->srv);
}

Test(h2_client, unary_and_streamed_messages)
{
    rig g;
    rig_up(&g, false);
    char err[256];
    h2_result r = {.base = g.base}, u = {.base = g.base}, b = {.base = g.base};
    start(g.cl, g.t, COUNT, "7", true, 5000, &r);
    u.call = ss_h2_call_start(g.cl, g.t, ECHO, &(ss_grpc_metadata){.authorization = "Bearer tok", .request_id = "r1"},
                              5000, (const uint8_t *)"ping", 4, false, h2_on_message, h2_on_status, &u,
                              err, sizeof err);
    cr_assert_not_null(u.call, "%s", err);
    cr_assert_eq(ss_h2_client_live(g.cl), 2);
    for (int i = 0; i < 50 && (r.status_calls == 0 || u.status_calls == 0); i++)
        run_loop(g.base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 7);
    for (int i = 0; i < 7; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        cr_assert_str_eq(r.got[i], want);
    }
    cr_assert_eq(u.status_calls, 1);
    cr_assert_eq(u.code, GRPC_STATUS_OK, "%d %s", u.code, u.msg);
    cr_assert_eq(u.nmsg, 1);
    cr_assert_str_eq(u.got[0], "ping");
    cr_assert_str_eq(st.seen_auth, "Bearer tok");
    cr_assert_str_eq(st.seen_rid, "r1");
    cr_assert_gt(st.seen_deadline, 0, "grpc-timeout not seen");
    /* a server error: its code and message */
    start(g.cl, g.t, ECHO, "bad", false, 5000, &b);
    wait_status(g.base, &b);
    cr_assert_eq(b.code, GRPC_STATUS_INVALID_ARGUMENT, "%d %s", b.code, b.msg);
    cr_assert_str_eq(b.msg, "bad request");
    cr_assert_eq(ss_h2_client_live(g.cl), 0);
    rig_down(&g);
}

/* A loopback target nothing listens on (a server's port, freed). */
static void dead_target(char *t, size_t cap)
{
    char err[256];
    ss_grpc_server *srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(srv, "%s", err);
    target_of(srv, t, cap);
    ss_grpc_server_free(srv);
}

Test(h2_client, refuses_a_bad_host_and_no_server_is_unavailable)
{
    char err[256];
    char t[64];
    dead_target(t, sizeof t);
    struct event_base *base = new_base();
    ss_h2_client *cl = new_client(base);
    h2_result r = {.base = base};
    ss_h2_call *c = ss_h2_call_start(cl, "no host/x:1", ECHO, NULL, 0, (const uint8_t *)"x", 1, false,
                                     h2_on_message, h2_on_status, &r, err, sizeof err);
    cr_assert_null(c);
    cr_assert(strstr(err, "neither an address nor a DNS name"), "%s", err);
    c = ss_h2_call_start(cl, "[nope]:1", ECHO, NULL, 0, (const uint8_t *)"x", 1, false, h2_on_message,
                         h2_on_status, &r, err, sizeof err);
    cr_assert_null(c);
    start(cl, t, ECHO, "x", false, 2000, &r);
    wait_status(base, &r);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_UNAVAILABLE, "%d %s", r.code, r.msg);
    ss_h2_client_free(cl);
    event_base_free(base);
}

Test(h2_client, deadline_exceeded_is_seen_by_both_sides)
{
    rig g;
    rig_up(&g, false);
    h2_result r = {.base = g.base};
    start(g.cl, g.t, COUNT, "-1", true, 300, &r);
    wait_status(g.base, &r);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_DEADLINE_EXCEEDED, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 1);
    cr_assert(wait_stream_done(3000), "server never saw the deadline");
    cr_assert(st.saw_cancel);
    rig_down(&g);
}

Test(h2_client, pause_holds_messages_and_status_until_resume)
{
    rig g;
    rig_up(&g, false);
    h2_result r = {.base = g.base, .pause_after = 2};
    start(g.cl, g.t, COUNT, "7", true, 5000, &r);
    cr_assert(loop_until_stream_done(g.base, 3000), "the server could not finish its writes");
    for (int i = 0; i < 6; i++)
        run_loop(g.base, 50);
    cr_assert_eq(r.nmsg, 2, "messages delivered while paused");
    cr_assert_eq(r.status_calls, 0, "status delivered while messages are held");
    ss_h2_call_resume(r.call);
    cr_assert_eq(r.nmsg, 2, "resume delivered from inside itself");
    wait_status(g.base, &r);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 7, "messages lost across the pause");
    cr_assert_str_eq(r.got[6], "6");
    rig_down(&g);
}

Test(h2_client, pause_before_the_first_message_holds_it)
{
    rig g;
    rig_up(&g, false);
    h2_result r = {.base = g.base};
    start(g.cl, g.t, COUNT, "3", true, 5000, &r);
    ss_h2_call_pause(r.call);
    cr_assert(loop_until_stream_done(g.base, 3000));
    for (int i = 0; i < 6; i++)
        run_loop(g.base, 50);
    cr_assert_eq(r.nmsg, 0, "a message delivered while paused");
    cr_assert_eq(r.status_calls, 0);
    ss_h2_call_resume(r.call);
    wait_status(g.base, &r);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 3);
    cr_assert_str_eq(r.got[0], "0");
    cr_assert_str_eq(r.got[2], "2");
    rig_down(&g);
}

Test(h2_client, cancel_of_a_live_call_and_of_a_paused_finished_call)
{
    rig g;
    rig_up(&g, false);
    h2_result r = {.base = g.base, .cancel_after = 1};
    start(g.cl, g.t, COUNT, "-1", true, 10000, &r);
    wait_status(g.base, &r);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_CANCELLED, "%d %s", r.code, r.msg);
    cr_assert(wait_stream_done(3000), "the server never saw the cancel");
    cr_assert(st.saw_cancel);

    state_reset();
    h2_result p = {.base = g.base};
    start(g.cl, g.t, COUNT, "1", true, 5000, &p);
    ss_h2_call_pause(p.call);
    cr_assert(loop_until_stream_done(g.base, 3000));
    for (int i = 0; i < 6; i++)
        run_loop(g.base, 50);
    cr_assert_eq(p.status_calls, 0);
    ss_h2_call_cancel(p.call);
    cr_assert_eq(p.status_calls, 0, "status from inside cancel");
    wait_status(g.base, &p);
    cr_assert_eq(p.status_calls, 1);
    cr_assert_eq(p.code, GRPC_STATUS_CANCELLED);
    cr_assert_eq(p.nmsg, 0, "a message delivered after the cancel");
    cr_assert_eq(ss_h2_client_live(g.cl), 0);
    rig_down(&g);
}

Test(h2_client, free_with_live_calls_delivers_their_status)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    struct event_base *base = new_base();
    ss_h2_client *cl = new_client(base);
    char t[64];
    target_of(srv, t, sizeof t);
    h2_result h = {.base = base}, w = {.base = base};
    start(cl, t, COUNT, "-1", true, 10000, &h);
    for (int i = 0; i < 50 && h.nmsg == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(h.nmsg, 1);
    start(cl, t, ECHO, "x", false, 10000, &w); /* not even sent yet */
    ss_h2_client_free(cl);
    cr_assert_eq(h.status_calls, 1);
    cr_assert_eq(h.code, GRPC_STATUS_CANCELLED);
    cr_assert_eq(w.status_calls, 1);
    cr_assert_eq(w.code, GRPC_STATUS_CANCELLED);
    cr_assert(wait_stream_done(3000), "the server never saw the cancel");
    event_base_free(base);
    ss_grpc_server_free(srv);
}

Test(h2_client, calls_while_connecting_share_one_connection_and_run_concurrently)
{
    rig g;
    rig_up(&g, true);
    h2_result a = {.base = g.base}, b = {.base = g.base};
    start(g.cl, g.t, COUNT, "20", true, 5000, &a); /* both before the loop runs: connecting */
    start(g.cl, g.t, ECHO, "second", false, 5000, &b);
    for (int i = 0; i < 50 && (a.status_calls == 0 || b.status_calls == 0); i++)
        run_loop(g.base, 100);
    cr_assert_eq(a.code, GRPC_STATUS_OK, "%d %s", a.code, a.msg);
    cr_assert_eq(a.nmsg, 20);
    cr_assert_eq(b.code, GRPC_STATUS_OK, "%d %s", b.code, b.msg);
    cr_assert_str_eq(b.got[0], "second");
    cr_assert_eq(b.status_calls, 1);
    cr_assert_eq(g.px.n, 1, "%d connections for two calls", g.px.n);
    rig_down(&g);
}

Test(h2_client, connection_lost_mid_stream_is_unavailable_then_reconnects)
{
    rig g;
    rig_up(&g, true);
    h2_result r = {.base = g.base};
    start(g.cl, g.t, COUNT, "-1", true, 10000, &r);
    for (int i = 0; i < 50 && r.nmsg == 0; i++)
        run_loop(g.base, 50);
    cr_assert_eq(r.nmsg, 1);
    proxy_cut(&g.px);
    wait_status(g.base, &r);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_UNAVAILABLE, "%d %s", r.code, r.msg);
    cr_assert(wait_stream_done(6000));
    h2_result n = {.base = g.base};
    start(g.cl, g.t, ECHO, "again", false, 5000, &n);
    wait_status(g.base, &n);
    cr_assert_eq(n.code, GRPC_STATUS_OK, "%d %s", n.code, n.msg);
    cr_assert_eq(g.px.n, 2);
    rig_down(&g);
}

Test(h2_client, a_dns_name_is_resolved_on_the_loop)
{
    rig g;
    rig_up(&g, false);
    snprintf(g.t, sizeof g.t, "localhost:%d", ss_grpc_server_port(g.srv));
    h2_result r = {.base = g.base};
    start(g.cl, g.t, ECHO, "by name", false, 5000, &r);
    wait_status(g.base, &r);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_str_eq(r.got[0], "by name");
    h2_result again = {.base = g.base}; /* the connection of the name is kept */
    start(g.cl, g.t, ECHO, "again", false, 5000, &again);
    wait_status(g.base, &again);
    cr_assert_eq(again.code, GRPC_STATUS_OK, "%d %s", again.code, again.msg);
    rig_down(&g);
}

/* Retiring a connection by its id; retiring it again (or an unknown id)
 * leaves the new one alone. */
Test(h2_client, retire_sends_the_next_call_on_a_new_connection)
{
    rig g;
    rig_up(&g, true);
    h2_result a = {.base = g.base}, b = {.base = g.base};
    start(g.cl, g.t, ECHO, "one", false, 5000, &a);
    uint64_t first = ss_h2_call_connection(a.call);
    cr_assert_neq(first, 0);
    wait_status(g.base, &a);
    cr_assert_eq(a.code, GRPC_STATUS_OK, "%d %s", a.code, a.msg);
    ss_h2_client_retire_connection(g.cl, first);
    start(g.cl, g.t, ECHO, "two", false, 5000, &b);
    uint64_t second = ss_h2_call_connection(b.call);
    cr_assert_neq(second, first);
    ss_h2_client_retire_connection(g.cl, first); /* again: the new connection stays */
    ss_h2_client_retire_connection(g.cl, 0);
    wait_status(g.base, &b);
    cr_assert_eq(b.code, GRPC_STATUS_OK, "%d %s", b.code, b.msg);
    h2_result c = {.base = g.base};
    start(g.cl, g.t, ECHO, "three", false, 5000, &c);
    cr_assert_eq(ss_h2_call_connection(c.call), second);
    wait_status(g.base, &c);
    cr_assert_eq(c.code, GRPC_STATUS_OK, "%d %s", c.code, c.msg);
    cr_assert_eq(g.px.n, 2, "%d connections", g.px.n);
    rig_down(&g);
}

/* --- the scripted server */

static ss_h2_client *scripted(struct event_base **base, h2ts *srv, uint32_t max_streams, char *t, size_t tn)
{
    *base = new_base();
    cr_assert_eq(h2ts_start(srv, *base, max_streams), 0);
    snprintf(t, tn, "127.0.0.1:%d", srv->port);
    return new_client(*base);
}

static void scripted_end(struct event_base *base, h2ts *srv, ss_h2_client *cl)
{
    ss_h2_client_free(cl);
    h2ts_free(srv);
    event_base_free(base);
}

Test(h2_client, trailers_only_wrong_content_type_and_unary_message_counts)
{
    struct event_base *base;
    h2ts srv;
    char t[64];
    ss_h2_client *cl = scripted(&base, &srv, 0, t, sizeof t);
    h2_result to = {.base = base}, wt = {.base = base}, z = {.base = base}, two = {.base = base},
              two_s = {.base = base};
    start(cl, t, "/t.T/TrailersOnly", "x", true, 5000, &to);
    wait_status(base, &to);
    cr_assert_eq(to.code, GRPC_STATUS_NOT_FOUND, "%d %s", to.code, to.msg);
    cr_assert_str_eq(to.msg, "nope");
    cr_assert_eq(to.nmsg, 0);
    start(cl, t, "/t.T/WrongType", "x", true, 5000, &wt);
    wait_status(base, &wt);
    cr_assert_eq(wt.code, GRPC_STATUS_UNKNOWN, "%d %s", wt.code, wt.msg);
    cr_assert_eq(wt.nmsg, 0);
    start(cl, t, "/t.T/UnaryZero", "x", false, 5000, &z);
    wait_status(base, &z);
    cr_assert_eq(z.code, GRPC_STATUS_INTERNAL, "%d %s", z.code, z.msg);
    start(cl, t, "/t.T/UnaryTwo", "x", false, 5000, &two);
    wait_status(base, &two);
    cr_assert_eq(two.code, GRPC_STATUS_INTERNAL, "%d %s", two.code, two.msg);
    cr_assert_leq(two.nmsg, 1);
    start(cl, t, "/t.T/UnaryTwo", "x", true, 5000, &two_s); /* streaming: both are fine */
    wait_status(base, &two_s);
    cr_assert_eq(two_s.code, GRPC_STATUS_OK, "%d %s", two_s.code, two_s.msg);
    cr_assert_eq(two_s.nmsg, 2);
    cr_assert_eq(srv.nconns, 1);
    scripted_end(base, &srv, cl);
}

Test(h2_client, goaway_ends_the_streams_above_it_and_new_calls_take_a_new_connection)
{
    struct event_base *base;
    h2ts srv;
    char t[64];
    ss_h2_client *cl = scripted(&base, &srv, 0, t, sizeof t);
    h2_result a = {.base = base}, b = {.base = base}, c = {.base = base};
    start(cl, t, "/t.T/Hold", "x", false, 5000, &a); /* stream 1 */
    start(cl, t, "/t.T/Hold", "x", false, 5000, &b); /* stream 3 */
    for (int i = 0; i < 40 && srv.nheld < 2; i++)
        run_loop(base, 50);
    cr_assert_eq(srv.nheld, 2);
    h2ts_goaway(&srv, 0, 1);
    wait_status(base, &b);
    cr_assert_eq(b.code, GRPC_STATUS_UNAVAILABLE, "%d %s", b.code, b.msg);
    cr_assert_eq(a.status_calls, 0, "stream 1 is below last-stream-id: it goes on");
    start(cl, t, "/t.T/Echo", "x", false, 5000, &c);
    wait_status(base, &c);
    cr_assert_eq(c.code, GRPC_STATUS_OK, "%d %s", c.code, c.msg);
    cr_assert_eq(srv.nconns, 2, "the call after GOAWAY went on a new connection");
    srv.nheld = 1; /* only stream 1 is still open */
    h2ts_release(&srv);
    wait_status(base, &a);
    cr_assert_eq(a.code, GRPC_STATUS_OK, "%d %s", a.code, a.msg);
    cr_assert_str_eq(a.got[0], "ok");
    scripted_end(base, &srv, cl);
}

Test(h2_client, calls_beyond_max_concurrent_streams_wait_instead_of_failing)
{
    struct event_base *base;
    h2ts srv;
    char t[64];
    ss_h2_client *cl = scripted(&base, &srv, 1, t, sizeof t);
    h2_result first = {.base = base}, r[3];
    start(cl, t, "/t.T/Echo", "x", false, 5000, &first); /* SETTINGS exchanged */
    wait_status(base, &first);
    cr_assert_eq(first.code, GRPC_STATUS_OK, "%d %s", first.code, first.msg);
    for (int i = 0; i < 3; i++) {
        r[i] = (h2_result){.base = base};
        start(cl, t, "/t.T/Hold", "x", false, 10000, &r[i]);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 6; i++)
            run_loop(base, 50);
        cr_assert_eq(srv.nheld, 1, "round %d: %d streams open at the server (limit 1)", round, srv.nheld);
        cr_assert_eq(srv.requests, 2 + round);
        h2ts_release(&srv);
    }
    for (int i = 0; i < 3; i++) {
        wait_status(base, &r[i]);
        cr_assert_eq(r[i].code, GRPC_STATUS_OK, "call %d: %d %s", i, r[i].code, r[i].msg);
    }
    cr_assert_eq(srv.nconns, 1);
    scripted_end(base, &srv, cl);
}

/* --- node_call's restart retry (gateway/node_call.c), as it uses the client */

typedef struct {
    h2_result r; /* first: h2_on_message takes the record as an h2_result */
    ss_h2_client *cl;
    const char *target;
    uint64_t conn_id; /* read at the start, as node_call does */
    bool retried;
} retrying;

/* UNAVAILABLE: the call's connection is retired, the call sent once more. */
static void rt_on_status(void *user, grpc_status_code code, const char *msg)
{
    retrying *x = user;
    if (code == GRPC_STATUS_UNAVAILABLE && !x->retried) {
        x->retried = true;
        ss_h2_client_retire_connection(x->cl, x->conn_id);
        char err[256];
        x->r.call = ss_h2_call_start(x->cl, x->target, "/t.T/Echo", NULL, 5000, (const uint8_t *)"x", 1, false,
                                     h2_on_message, rt_on_status, x, err, sizeof err);
        cr_assert_not_null(x->r.call, "%s", err);
        x->conn_id = ss_h2_call_connection(x->r.call);
        return;
    }
    h2_on_status(&x->r, code, msg);
}

/* Several calls on a connection that dies (GOAWAY refusing them all, or
 * dropped without a word): each is retried as node_call does, and all the
 * retries share ONE new connection. */
static void concurrent_failures_open_one_connection(bool drop)
{
    struct event_base *base;
    h2ts srv;
    char t[64];
    ss_h2_client *cl = scripted(&base, &srv, 0, t, sizeof t);
    h2_result first = {.base = base};
    start(cl, t, "/t.T/Echo", "x", false, 5000, &first);
    wait_status(base, &first);
    cr_assert_eq(first.code, GRPC_STATUS_OK, "%d %s", first.code, first.msg);
    enum { N = 4 };
    retrying x[N];
    char err[256];
    for (int i = 0; i < N; i++) {
        x[i] = (retrying){.r = {.base = base}, .cl = cl, .target = t};
        x[i].r.call = ss_h2_call_start(cl, t, "/t.T/Hold", NULL, 5000, (const uint8_t *)"x", 1, false,
                                       h2_on_message, rt_on_status, &x[i], err, sizeof err);
        cr_assert_not_null(x[i].r.call, "%s", err);
        x[i].conn_id = ss_h2_call_connection(x[i].r.call);
        cr_assert_eq(x[i].conn_id, ss_h2_call_connection(x[0].r.call));
    }
    for (int i = 0; i < 40 && srv.nheld < N; i++)
        run_loop(base, 50);
    cr_assert_eq(srv.nheld, N);
    if (drop)
        h2ts_drop(&srv, 0);
    else
        h2ts_goaway(&srv, 0, 0);
    for (int i = 0; i < N; i++) {
        wait_status(base, &x[i].r);
        cr_assert(x[i].retried, "call %d was not retried", i);
        cr_assert_eq(x[i].r.code, GRPC_STATUS_OK, "call %d: %d %s", i, x[i].r.code, x[i].r.msg);
    }
    cr_assert_eq(srv.nconns, 2, "%d failures opened %d new connections", N, srv.nconns - 1);
    scripted_end(base, &srv, cl);
}

Test(h2_client, concurrent_goaway_failures_retried_share_one_new_connection)
{
    concurrent_failures_open_one_connection(false);
}

Test(h2_client, concurrent_lost_connection_failures_retried_share_one_new_connection)
{
    concurrent_failures_open_one_connection(true);
}

/* ss_h2_call_reused_connection: false for the call that opens the
 * connection and for one joining it while it connects; true once it is
 * connected; false again on the connection that replaces a retired one. */
Test(h2_client, reused_connection_says_whether_the_connection_was_up_at_the_start)
{
    struct event_base *base;
    h2ts srv;
    char t[64];
    ss_h2_client *cl = scripted(&base, &srv, 0, t, sizeof t);
    h2_result a = {.base = base}, b = {.base = base}, c = {.base = base}, d = {.base = base};
    start(cl, t, "/t.T/Echo", "x", false, 5000, &a);
    cr_assert_not(ss_h2_call_reused_connection(a.call), "the first call on a new target");
    start(cl, t, "/t.T/Echo", "x", false, 5000, &b);
    cr_assert_not(ss_h2_call_reused_connection(b.call), "a call while connecting");
    cr_assert_eq(ss_h2_call_connection(b.call), ss_h2_call_connection(a.call));
    uint64_t first = ss_h2_call_connection(a.call);
    wait_status(base, &a);
    wait_status(base, &b);
    cr_assert_eq(a.code, GRPC_STATUS_OK, "%d %s", a.code, a.msg);
    cr_assert_eq(b.code, GRPC_STATUS_OK, "%d %s", b.code, b.msg);
    start(cl, t, "/t.T/Echo", "x", false, 5000, &c);
    cr_assert(ss_h2_call_reused_connection(c.call), "the second call on the live connection");
    cr_assert_eq(ss_h2_call_connection(c.call), first);
    wait_status(base, &c);
    cr_assert_eq(c.code, GRPC_STATUS_OK, "%d %s", c.code, c.msg);
    ss_h2_client_retire_connection(cl, first);
    start(cl, t, "/t.T/Echo", "x", false, 5000, &d);
    cr_assert_not(ss_h2_call_reused_connection(d.call), "the call opening the replacement");
    wait_status(base, &d);
    cr_assert_eq(d.code, GRPC_STATUS_OK, "%d %s", d.code, d.msg);
    cr_assert_eq(srv.nconns, 2);
    scripted_end(base, &srv, cl);
}

/* No server: the call opened the connection, which failed to connect; it
 * ends UNAVAILABLE and says it did not reuse a connection (node_call does
 * not retry it). */
Test(h2_client, a_refused_connect_is_not_a_reused_connection)
{
    char t[64];
    dead_target(t, sizeof t);
    struct event_base *base = new_base();
    ss_h2_client *cl = new_client(base);
    h2_result r = {.base = base};
    start(cl, t, ECHO, "x", false, 2000, &r);
    cr_assert_not(ss_h2_call_reused_connection(r.call));
    wait_status(base, &r);
    cr_assert_eq(r.code, GRPC_STATUS_UNAVAILABLE, "%d %s", r.code, r.msg);
    ss_h2_client_free(cl);
    event_base_free(base);
}

/* --- lookups that never end: a name server that reads and never answers */

/* libevent is not built with the sanitizers, so a read of freed memory
 * inside it goes unseen. These tests give libevent (before anything of it
 * runs in their process) an allocator that poisons what it frees and never
 * hands it out again: reading a freed evdns base's lock then crashes. */
static void *quarantine[1024];
static size_t nquarantine;

static void *poison_malloc(size_t n)
{
    return malloc(n);
}

static void *poison_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

static void poison_free(void *p)
{
    if (!p)
        return;
    memset(p, 0xdb, malloc_usable_size(p));
    if (nquarantine < sizeof quarantine / sizeof quarantine[0])
        quarantine[nquarantine++] = p; /* kept, so never reused (nor reported leaked) */
    else
        free(p);
}

static void poison_libevent_frees(void)
{
    event_set_mem_functions(poison_malloc, poison_realloc, poison_free);
}

typedef struct {
    int fd;
    char addr[32]; /* "127.0.0.1:port", for ss_h2_client_set_resolver */
} mute_dns;

static void mute_dns_open(mute_dns *d)
{
    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cr_assert_geq(d->fd, 0);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(d->fd, (struct sockaddr *)&la, sizeof la), 0);
    socklen_t gl = sizeof la;
    getsockname(d->fd, (struct sockaddr *)&la, &gl);
    snprintf(d->addr, sizeof d->addr, "127.0.0.1:%d", ntohs(la.sin_port));
}

/* Runs the loop until a query arrived (read and dropped); the count read. */
static int mute_dns_wait_query(mute_dns *d, struct event_base *base)
{
    int n = 0;
    char buf[512];
    for (int i = 0; i < 40 && n == 0; i++) {
        run_loop(base, 50);
        while (recv(d->fd, buf, sizeof buf, 0) > 0)
            n++;
    }
    return n;
}

static ss_h2_client *muted_client(struct event_base *base, mute_dns *d)
{
    char err[256];
    mute_dns_open(d);
    ss_h2_client *cl = new_client(base);
    cr_assert_eq(ss_h2_client_set_resolver(cl, d->addr, err, sizeof err), 0, "%s", err);
    cr_assert_neq(ss_h2_client_set_resolver(cl, "not an address", err, sizeof err), 0);
    ss_h2_client_free(cl); /* a bad name server leaves none: the client is remade */
    cl = new_client(base);
    cr_assert_eq(ss_h2_client_set_resolver(cl, d->addr, err, sizeof err), 0, "%s", err);
    return cl;
}

#define UNRESOLVED "node-x.invalid:50051"

/* The client freed while its connection's lookup is in flight: the lookup
 * is cancelled, the live call gets CANCELLED, and libevent's answer to the
 * cancel (from the loop, after the free) touches nothing freed (SAN build). */
Test(h2_client, free_while_resolving_cancels_the_lookup)
{
    poison_libevent_frees();
    struct event_base *base = new_base();
    mute_dns d;
    ss_h2_client *cl = muted_client(base, &d);
    h2_result r = {.base = base};
    start(cl, UNRESOLVED, ECHO, "x", false, 10000, &r);
    cr_assert_gt(mute_dns_wait_query(&d, base), 0, "no query reached the test's name server");
    cr_assert_eq(r.status_calls, 0);
    char err[256];
    cr_assert_neq(ss_h2_client_set_resolver(cl, d.addr, err, sizeof err), 0, "chosen after the first call");
    ss_h2_client_free(cl);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_CANCELLED, "%d %s", r.code, r.msg);
    run_loop(base, 100); /* the cancelled lookup's callback */
    event_base_free(base);
    close(d.fd);
}

/* A call cancelled while its connection resolves ends CANCELLED from the
 * loop; that connection, retired with no call, is torn down mid-lookup; a
 * later call resolves on a new connection, and the client is freed while
 * that lookup is in flight. */
Test(h2_client, a_call_cancelled_and_a_connection_closed_while_resolving)
{
    poison_libevent_frees();
    struct event_base *base = new_base();
    mute_dns d;
    ss_h2_client *cl = muted_client(base, &d);
    h2_result a = {.base = base}, b = {.base = base};
    start(cl, UNRESOLVED, ECHO, "x", false, 10000, &a);
    uint64_t first = ss_h2_call_connection(a.call);
    cr_assert_gt(mute_dns_wait_query(&d, base), 0);
    ss_h2_call_cancel(a.call);
    cr_assert_eq(a.status_calls, 0, "status from inside cancel");
    wait_status(base, &a);
    cr_assert_eq(a.status_calls, 1);
    cr_assert_eq(a.code, GRPC_STATUS_CANCELLED, "%d %s", a.code, a.msg);
    cr_assert_eq(ss_h2_client_live(cl), 0);
    ss_h2_client_retire_connection(cl, first); /* no call on it: closed from the loop, still resolving */
    run_loop(base, 100);
    start(cl, UNRESOLVED, ECHO, "x", false, 10000, &b);
    cr_assert_neq(ss_h2_call_connection(b.call), first);
    cr_assert_gt(mute_dns_wait_query(&d, base), 0, "the new connection did not resolve");
    cr_assert_eq(b.status_calls, 0);
    ss_h2_client_free(cl);
    cr_assert_eq(b.status_calls, 1);
    cr_assert_eq(b.code, GRPC_STATUS_CANCELLED, "%d %s", b.code, b.msg);
    run_loop(base, 100);
    event_base_free(base);
    close(d.fd);
}
