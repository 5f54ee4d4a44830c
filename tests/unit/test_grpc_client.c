/* Unit tests for common/grpc_client: the blocking unary call and the
 * libevent bridge against a real server in-process
 * (tests/unit/grpc_echo_fixture.h). Covers no server -> UNAVAILABLE,
 * streaming several messages and unary over the bridge, the deadline seen by
 * both sides, freeing the client with a live call, and pause/resume holding
 * messages and the status (also when paused before the first message), and
 * a cancel of a paused call that had its whole answer. */
#include "tests/unit/grpc_echo_fixture.h"

Test(grpc_client, no_server_is_unavailable)
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

Test(grpc_client, bridge_streams_several_messages_and_unary)
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

Test(grpc_client, deadline_exceeded_is_seen_by_both_sides)
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

Test(grpc_client, bridge_no_server_and_free_with_live_call)
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

Test(grpc_client, bridge_pause_holds_messages_and_status_until_resume)
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

/* Paused with the whole answer in (status included), then cancelled, as a
 * WebSocket interrupt does to a slow reader's call: the status must still
 * reach the caller, and freeing the client must not wait for ever (it did:
 * the cancel made no completion, so nothing ran maybe_complete again). */
Test(grpc_client, bridge_cancel_of_a_paused_finished_call_reports_its_status)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    ev_result r = {.base = base};
    /* one message: it comes with the first batch and is held, then the
     * status arrives with nothing left outstanding */
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 5000, (const uint8_t *)"1", 1, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    ss_grpc_evcall_pause(r.call);
    cr_assert(wait_stream_done(3000), "the server could not finish its writes");
    for (int i = 0; i < 10; i++)
        run_loop(base, 50);
    cr_assert_eq(r.nmsg, 0, "a message delivered while paused");
    cr_assert_eq(r.status_calls, 0, "status delivered while messages are held");
    ss_grpc_evcall_cancel(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(r.status_calls, 1, "a cancelled paused call never reported its status");
    cr_assert_eq(r.nmsg, 0, "a message delivered after the cancel");
    cr_assert_eq(ss_grpc_evclient_live(cl), 0);
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

/* Paused before anything arrived: the first message comes with the call's
 * first batch and must be held like the others until resume. */
Test(grpc_client, bridge_pause_before_the_first_message_holds_it)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 5000, (const uint8_t *)"3", 1, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    ss_grpc_evcall_pause(r.call);
    cr_assert(wait_stream_done(3000), "the server could not finish its writes");
    for (int i = 0; i < 5; i++)
        run_loop(base, 50);
    cr_assert_eq(r.nmsg, 0, "a message delivered while paused");
    cr_assert_eq(r.status_calls, 0, "status delivered while messages are held");
    ss_grpc_evcall_resume(r.call);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 3, "messages lost across the pause");
    cr_assert_str_eq(r.got[0], "0");
    cr_assert_str_eq(r.got[2], "2");
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}

/* The queue thread reads a few messages ahead of the loop and stops when its
 * ahead list is full; the loop, once it runs, delivers them and starts the
 * receptions again itself. Nothing is lost or reordered across the stop,
 * and the status comes after the last message. */
Test(grpc_client, bridge_read_ahead_stops_when_full_and_the_loop_resumes_it)
{
    state_reset();
    ss_grpc_server *srv = start_server();
    ss_grpc_channel *ch = channel_to(srv);
    struct event_base *base = new_base();
    char err[256];
    ss_grpc_evclient *cl = ss_grpc_evclient_new(base, err, sizeof err);
    ev_result r = {.base = base};
    r.call = ss_grpc_evcall_start(cl, ch, COUNT, NULL, 5000, (const uint8_t *)"30", 2, true,
                                  ev_on_message, ev_on_status, &r, err, sizeof err);
    cr_assert_not_null(r.call, "%s", err);
    /* the loop does not run meanwhile: the queue thread fills its list */
    cr_assert(wait_stream_done(3000), "the server could not finish its writes");
    usleep(100 * 1000);
    cr_assert_eq(r.nmsg, 0);
    for (int i = 0; i < 50 && r.status_calls == 0; i++)
        run_loop(base, 50);
    cr_assert_eq(r.status_calls, 1);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    cr_assert_eq(r.nmsg, 30, "messages lost");
    for (int i = 0; i < 30; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        cr_assert_str_eq(r.got[i], want, "message %d out of order", i);
    }
    ss_grpc_evclient_free(cl);
    event_base_free(base);
    ss_grpc_channel_free(ch);
    ss_grpc_server_free(srv);
}
