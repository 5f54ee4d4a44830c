/* Test support for the gRPC unit tests (test_grpc_server.c,
 * test_grpc_client.c): an echo service served in-process on a free loopback
 * port by ss_grpc_server — unary ECHO (answers the request, "bad" ->
 * INVALID_ARGUMENT, records the metadata it saw), server-streaming COUNT
 * ("N" -> N messages "0".."N-1"; "-1" -> one message, then waits for the
 * cancel) — and the libevent-bridge result collector. Header-only; the
 * functions are static inline so a file that uses only some of them
 * compiles warning-free. */
#ifndef SS_TESTS_UNIT_GRPC_ECHO_FIXTURE_H
#define SS_TESTS_UNIT_GRPC_ECHO_FIXTURE_H

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

static inline void state_reset(void)
{
    memset(&st, 0, sizeof st);
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cv, NULL);
}

static inline grpc_status_code echo(void *user, const ss_grpc_call_info *info, const uint8_t *req,
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
static inline void *stream_worker(void *arg)
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

static inline void stream_handler(void *user, ss_grpc_stream *call, const ss_grpc_call_info *info,
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

static inline ss_grpc_server *start_server(void)
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

static inline ss_grpc_channel *channel_to(ss_grpc_server *srv)
{
    char target[64], err[256];
    snprintf(target, sizeof target, "127.0.0.1:%d", ss_grpc_server_port(srv));
    ss_grpc_channel *ch = ss_grpc_channel_new(target, err, sizeof err);
    cr_assert_not_null(ch, "%s", err);
    return ch;
}

static inline bool wait_stream_done(int ms)
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

/* --- libevent bridge */

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

static inline void ev_on_message(void *user, const uint8_t *m, size_t len)
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

static inline void ev_on_status(void *user, grpc_status_code code, const char *msg)
{
    ev_result *r = user;
    r->status_calls++;
    r->code = code;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    event_base_loopbreak(r->base);
}

static inline void run_loop(struct event_base *base, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static inline struct event_base *new_base(void)
{
    evthread_use_pthreads();
    struct event_base *b = event_base_new();
    cr_assert_not_null(b);
    return b;
}

#endif
