/* Unit tests for common/grpc_server + common/grpc_client: a real server on a
 * free loopback port in-process, called with the blocking client and with the
 * libevent bridge. Covers unary, streaming, unknown method, deadline, client
 * cancel seen by the server, and no server -> UNAVAILABLE. */
#include "common/grpc_client.h"
#include "common/grpc_server.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ECHO "/test.Echo/Echo"
#define COUNT "/test.Echo/Count"
#define HANG "/test.Echo/Hang"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char seen_auth[64];
    char seen_rid[64];
    int64_t seen_deadline;
    int writes_ok;
    bool saw_cancel;
    bool stream_done;
} server_state;

static server_state st;

static void state_reset(void)
{
    memset(&st, 0, sizeof st);
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cv, NULL);
}

static grpc_status_code echo(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                             size_t len, uint8_t **resp, size_t *resp_len, char *msg, size_t msglen)
{
    (void)user;
    snprintf(st.seen_auth, sizeof st.seen_auth, "%s", info->authorization ? info->authorization : "-");
    snprintf(st.seen_rid, sizeof st.seen_rid, "%s", info->request_id ? info->request_id : "-");
    st.seen_deadline = info->deadline_unix_ms;
    if (len == 3 && memcmp(req, "bad", 3) == 0) {
        snprintf(msg, msglen, "bad request");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    *resp = malloc(len + 1);
    memcpy(*resp, req, len);
    *resp_len = len;
    return GRPC_STATUS_OK;
}

typedef struct {
    ss_grpc_stream *call;
    int n;
} stream_job;

/* Writes n messages "0".."n-1" (or until cancelled), then finishes. n < 0:
 * writes one message, then waits for the cancel without writing. */
static void *stream_worker(void *arg)
{
    stream_job *job = arg;
    int ok = 0;
    if (job->n >= 0) {
        for (int i = 0; i < job->n; i++) {
            char m[16];
            int l = snprintf(m, sizeof m, "%d", i);
            if (ss_grpc_stream_write(job->call, (const uint8_t *)m, (size_t)l) != 0)
                break;
            ok++;
            usleep(2000);
        }
    } else {
        if (ss_grpc_stream_write(job->call, (const uint8_t *)"first", 5) == 0)
            ok++;
        for (int i = 0; i < 500 && !ss_grpc_stream_cancelled(job->call); i++)
            usleep(10000);
        if (ss_grpc_stream_write(job->call, (const uint8_t *)"late", 4) == 0)
            ok++;
    }
    bool cancelled = ss_grpc_stream_cancelled(job->call);
    ss_grpc_stream_finish(job->call, cancelled ? GRPC_STATUS_CANCELLED : GRPC_STATUS_OK, NULL);
    pthread_mutex_lock(&st.mu);
    st.writes_ok = ok;
    st.saw_cancel = cancelled;
    st.stream_done = true;
    pthread_cond_broadcast(&st.cv);
    pthread_mutex_unlock(&st.mu);
    free(job);
    return NULL;
}

static void stream_handler(void *user, ss_grpc_stream *call, const ss_grpc_call_info *info,
                           const uint8_t *req, size_t len)
{
    (void)user;
    (void)info;
    stream_job *job = malloc(sizeof *job);
    job->call = call;
    char buf[16] = {0};
    memcpy(buf, req, len < 15 ? len : 15);
    job->n = atoi(buf);
    pthread_t t;
    pthread_create(&t, NULL, stream_worker, job);
    pthread_detach(t);
}

static ss_grpc_server *start_server(void)
{
    char err[256];
    ss_grpc_server *srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(srv, "%s", err);
    cr_assert_eq(ss_grpc_server_add_unary(srv, ECHO, echo, NULL), 0);
    cr_assert_eq(ss_grpc_server_add_stream(srv, COUNT, stream_handler, NULL), 0);
    cr_assert_eq(ss_grpc_server_add_unary(srv, ECHO, echo, NULL), -1, "duplicate accepted");
    cr_assert_eq(ss_grpc_server_start(srv, 2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_grpc_server_add_unary(srv, HANG, echo, NULL), -1, "add after start accepted");
    return srv;
}

static ss_grpc_channel *channel_to(ss_grpc_server *srv)
{
    char target[64], err[256];
    snprintf(target, sizeof target, "127.0.0.1:%d", ss_grpc_server_port(srv));
    ss_grpc_channel *ch = ss_grpc_channel_new(target, err, sizeof err);
    cr_assert_not_null(ch, "%s", err);
    return ch;
}

static bool wait_stream_done(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&st.mu);
    while (!st.stream_done)
        if (pthread_cond_timedwait(&st.cv, &st.mu, &ts) != 0)
            break;
    bool done = st.stream_done;
    pthread_mutex_unlock(&st.mu);
    return done;
}

Test(grpc_loop, unary_roundtrip_metadata_and_errors)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    ss_grpc_metadata md = {.authorization = "Bearer tok", .request_id = "req_abc"};
    uint8_t *resp = NULL;
    size_t rl = 0;
    char msg[128];
    grpc_status_code code = ss_grpc_unary_call(ch, ECHO, &md, 2000, (const uint8_t *)"hello", 5,
                                               &resp, &rl, msg, sizeof msg);
    cr_assert_eq(code, GRPC_STATUS_OK, "code %d %s", code, msg);
    cr_assert_eq(rl, 5);
    cr_assert(memcmp(resp, "hello", 5) == 0);
    free(resp);
    cr_assert_str_eq(st.seen_auth, "Bearer tok");
    cr_assert_str_eq(st.seen_rid, "req_abc");
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    cr_assert(st.seen_deadline > now_ms - 1000 && st.seen_deadline < now_ms + 4000,
              "deadline %lld now %lld", (long long)st.seen_deadline, (long long)now_ms);

    /* empty request and reply */
    code = ss_grpc_unary_call(ch, ECHO, NULL, 2000, NULL, 0, &resp, &rl, msg, sizeof msg);
    cr_assert_eq(code, GRPC_STATUS_OK, "%s", msg);
    cr_assert_eq(rl, 0);
    free(resp);
    cr_assert_str_eq(st.seen_auth, "-");

    code = ss_grpc_unary_call(ch, ECHO, NULL, 2000, (const uint8_t *)"bad", 3, &resp, &rl, msg,
                              sizeof msg);
    cr_assert_eq(code, GRPC_STATUS_INVALID_ARGUMENT);
    cr_assert_str_eq(msg, "bad request");
    cr_assert_null(resp);

    code = ss_grpc_unary_call(ch, "/test.Echo/Nope", NULL, 2000, (const uint8_t *)"x", 1, &resp,
                              &rl, msg, sizeof msg);
    cr_assert_eq(code, GRPC_STATUS_UNIMPLEMENTED, "code %d %s", code, msg);

    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, no_server_is_unavailable)
{
    /* Find a port with nothing listening: bind a server, note it, free it. */
    char err[256];
    ss_grpc_server *srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(srv);
    int port = ss_grpc_server_port(srv);
    ss_grpc_server_free(srv);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    ss_grpc_channel *ch = ss_grpc_channel_new(target, err, sizeof err);
    cr_assert_not_null(ch);
    uint8_t *resp = NULL;
    size_t rl = 0;
    char msg[128];
    grpc_status_code code = ss_grpc_unary_call(ch, ECHO, NULL, 1500, (const uint8_t *)"x", 1,
                                               &resp, &rl, msg, sizeof msg);
    cr_assert_eq(code, GRPC_STATUS_UNAVAILABLE, "code %d %s", code, msg);
    ss_grpc_channel_free(ch);
}

Test(grpc_loop, server_bind_conflict_fails)
{
    char err[256];
    ss_grpc_server *a = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(a);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ss_grpc_server_port(a));
    char err2[256] = "";
    ss_grpc_server *b = ss_grpc_server_new(addr, err2, sizeof err2);
    cr_assert_null(b);
    cr_assert(strstr(err2, "cannot listen") != NULL, "%s", err2);
    ss_grpc_server_free(a);
}

/* --- libevent bridge */

typedef struct {
    struct event_base *base;
    char got[32][16];
    int nmsg;
    int status_calls;
    grpc_status_code code;
    char msg[128];
    ss_grpc_evcall *call;
    int cancel_after;  /* cancel after this many messages (0: never) */
    int pause_after;   /* pause after this many messages (0: never) */
} ev_result;

static void ev_on_message(void *user, const uint8_t *m, size_t len)
{
    ev_result *r = user;
    if (r->pause_after && r->nmsg + 1 == r->pause_after)
        ss_grpc_evcall_pause(r->call);
    if (r->nmsg < 32)
        snprintf(r->got[r->nmsg], sizeof r->got[0], "%.*s", (int)len, (const char *)m);
    r->nmsg++;
    if (r->cancel_after && r->nmsg == r->cancel_after)
        ss_grpc_evcall_cancel(r->call);
}

static void ev_on_status(void *user, grpc_status_code code, const char *msg)
{
    ev_result *r = user;
    r->status_calls++;
    r->code = code;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    event_base_loopbreak(r->base);
}

static void run_loop(struct event_base *base, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static struct event_base *new_base(void)
{
    evthread_use_pthreads();
    struct event_base *b = event_base_new();
    cr_assert_not_null(b);
    return b;
}

Test(grpc_loop, bridge_streams_several_messages_and_unary)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    cr_assert_not_null(cl, "%s", err);

    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 5000, (const uint8_t *)"7", 1, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    ev_result u = {.base = base};
    u.call = ss_grpc_evcall_start(cl, ch, ECHO, &(ss_grpc_metadata){.request_id = "r1"}, 5000,
                                  (const uint8_t *)"ping", 4, false, ev_on_message, ev_on_status,
                                  &u, err, sizeof err);
    cr_assert_not_null(u.call, "%s", err);
    for (int i = 0; i < 50 && (r.status_calls == 0 || u.status_calls == 0); i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 7);
    for (int i = 0; i < 7; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        cr_assert_str_eq(r.got[i], want);
    }
    cr_assert_eq(u.status_calls, 1);
    cr_assert_eq(u.code, GRPC_STATUS_OK);
    cr_assert_eq(u.nmsg, 1);
    cr_assert_str_eq(u.got[0], "ping");
    cr_assert_eq(ss_grpc_evclient_live(cl), 0);
    cr_assert(wait_stream_done(2000));
    cr_assert_eq(st.writes_ok, 7);

    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, deadline_exceeded_is_seen_by_both_sides)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    cr_assert_not_null(cl);
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 300, (const uint8_t *)"-1", 2, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_DEADLINE_EXCEEDED, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 1);
    cr_assert(wait_stream_done(3000), "server never saw the deadline");
    cr_assert(st.saw_cancel);
    cr_assert_eq(st.writes_ok, 1, "a write after the deadline succeeded");
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, client_cancel_is_seen_by_server)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    cr_assert_not_null(cl);
    ev_result r = {.base = base, .cancel_after = 1};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 10000, (const uint8_t *)"-1", 2, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_CANCELLED, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 1);
    cr_assert(wait_stream_done(3000), "server never saw the cancel");
    cr_assert(st.saw_cancel);
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, bridge_no_server_and_free_with_live_call)
{
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    cr_assert_not_null(cl);
    ss_grpc_server *srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    int port = ss_grpc_server_port(srv);
    ss_grpc_server_free(srv);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    ss_grpc_channel *ch = ss_grpc_channel_new(target, err, sizeof err);
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, ECHO, NULL, 2000, (const uint8_t *)"x", 1, false,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_UNAVAILABLE, "%d %s", r.code, r.msg);

    /* A live call at free gets its status delivered, once. */
    state_reset();
    srv = start_server();
    ss_grpc_channel *ch2 = channel_to(srv);
    ev_result h = {.base = base};
    h.call = ss_grpc_evcall_start(cl, ch2, COUNT, NULL, 10000, (const uint8_t *)"-1", 2, true,
                                  ev_on_message, ev_on_status, &h, err, sizeof err);
    cr_assert_not_null(h.call);
    for (int i = 0; i < 50 && h.nmsg == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(h.nmsg, 1);
    ss_grpc_evclient_free(cl);
    cr_assert_eq(h.status_calls, 1);
    cr_assert_eq(h.code, GRPC_STATUS_CANCELLED);
    cr_assert(wait_stream_done(3000));
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_channel_free(ch2);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, shutdown_grace_cancels_hanging_stream)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 10000, (const uint8_t *)"-1", 2, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    for (int i = 0; i < 50 && r.nmsg == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(r.nmsg, 1);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ss_grpc_server_shutdown(srv, 200);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    cr_assert(took >= 0.15 && took < 2.0, "shutdown took %.3f s", took);
    cr_assert(st.stream_done && st.saw_cancel);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_neq(r.code, GRPC_STATUS_OK);
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

Test(grpc_loop, bridge_pause_holds_messages_and_status_until_resume)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    ev_result r = {.base = base, .pause_after = 2};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 5000, (const uint8_t *)"7", 1, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    cr_assert(wait_stream_done(3000), "the server could not finish its writes");
    for (int i = 0; i < 5; i++)
        run_loop(base, 50);
    cr_assert_eq(r.nmsg, 2, "messages delivered while paused");
    cr_assert_eq(r.status_calls, 0, "status delivered while messages are held");
    ss_grpc_evcall_resume(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 7, "messages lost across the pause");
    cr_assert_str_eq(r.got[6], "6");
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}
