/* Unit tests for common/grpc_server: a real server on a free loopback port
 * in-process (tests/unit/grpc_echo_fixture.h). Covers dispatch on the method
 * path with the caller's metadata and deadline, unknown method, duplicate
 * and late registration, a port already in use, a client's cancel seen by
 * the stream handler, shutdown's grace period cancelling a hanging
 * stream, and a blocking unary handler held on the server's handler thread
 * while a streaming call goes on through the server's one queue thread. */
#include "tests/unit/grpc_echo_fixture.h"

Test(grpc_server, unary_roundtrip_metadata_and_errors)
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

Test(grpc_server, server_bind_conflict_fails)
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

Test(grpc_server, client_cancel_is_seen_by_server)
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

Test(grpc_server, shutdown_grace_cancels_hanging_stream)
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
    /* the handler's thread records what it saw just after its finish, which
     * is what shutdown waits for: wait for the record, not only for shutdown */
    cr_assert(wait_stream_done(2000));
    cr_assert(st.saw_cancel);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_neq(r.code, GRPC_STATUS_OK);
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

/* --- blocking unary handlers (ss_grpc_server_add_unary_blocking) */

#define BLOCK "/test.Echo/Block"

static bool block_released;

/* Echoes once the test releases it (st.cv); records that it ran. */
static grpc_status_code blocking_echo(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                                      size_t len, uint8_t **resp, size_t *resp_len, char *msg,
                                      size_t msglen)
{
    pthread_mutex_lock(&st.mu);
    while (!block_released)
        pthread_cond_wait(&st.cv, &st.mu);
    pthread_mutex_unlock(&st.mu);
    return echo(user, info, req, len, resp, resp_len, msg, msglen);
}

static void release_block(void)
{
    pthread_mutex_lock(&st.mu);
    block_released = true;
    pthread_cond_broadcast(&st.cv);
    pthread_mutex_unlock(&st.mu);
}

static void *release_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    release_block();
    return NULL;
}

typedef struct {
    ss_grpc_channel *ch;
    grpc_status_code code;
    char msg[128];
} late_call;

static void *call_late(void *arg)
{
    late_call *lc = arg;
    uint8_t *resp = NULL;
    size_t rl = 0;
    lc->code = ss_grpc_unary_call(lc->ch, BLOCK, NULL, 5000, (const uint8_t *)"late", 4, &resp, &rl,
                                  lc->msg, sizeof lc->msg);
    free(resp);
    return NULL;
}

/* One queue thread, as the gateway's heartbeat server runs it: a blocking
 * handler held in its handler does not stop a streaming call from going on
 * to its end; the held call is answered once released, and shutdown waits
 * for a held call instead of dropping it. */
Test(grpc_server, blocking_handler_leaves_the_queue_thread_free)
{
    state_reset();
    block_released = false;
    char err[256];
    ss_grpc_server *srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(srv, "%s", err);
    cr_assert_eq(ss_grpc_server_add_unary_blocking(srv, BLOCK, blocking_echo, NULL), 0);
    cr_assert_eq(ss_grpc_server_add_stream(srv, COUNT, stream_handler, NULL), 0);
    cr_assert_eq(ss_grpc_server_start(srv, 1, err, sizeof err), 0, "%s", err);
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    cr_assert_not_null(cl, "%s", err);

    ev_result held = {.base = base};
    held.call = ss_grpc_evcall_start(cl, ch, BLOCK, NULL, 10000, (const uint8_t *)"held", 4, false,
                                     ev_on_message, ev_on_status, &held, err, sizeof err);
    cr_assert_not_null(held.call, "%s", err);
    run_loop(base, 100); /* the held call reaches its handler */
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 10000, (const uint8_t *)"3", 1, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(r.status_calls, 1, "the stream stalled behind a blocking handler");
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 3);
    cr_assert_eq(held.status_calls, 0, "the held call was answered before its release");

    release_block();
    for (int i = 0; i < 50 && held.status_calls == 0; i++)
        run_loop(base, 100);
    cr_assert_eq(held.status_calls, 1);
    cr_assert_eq(held.code, GRPC_STATUS_OK, "%d %s", held.code, held.msg);
    cr_assert_eq(held.nmsg, 1);
    cr_assert_str_eq(held.got[0], "held");
    ss_grpc_evclient_free(cl);
    event_base_free(base);

    /* shutdown with a held call: it is answered, not dropped */
    block_released = false;
    late_call lc = {.ch = ch};
    pthread_t caller, releaser;
    cr_assert_eq(pthread_create(&caller, NULL, call_late, &lc), 0);
    usleep(200 * 1000); /* the call reaches its handler */
    cr_assert_eq(pthread_create(&releaser, NULL, release_later, NULL), 0);
    ss_grpc_server_shutdown(srv, 3000);
    pthread_join(releaser, NULL);
    pthread_join(caller, NULL);
    cr_assert_eq(lc.code, GRPC_STATUS_OK, "%d %s", lc.code, lc.msg);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}
