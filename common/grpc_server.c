/* Generic gRPC C-core server loop (see grpc_server.h for the contract).
 *
 * Design. One completion queue, drained by N threads. A few "acceptor" call
 * objects are always parked in grpc_server_request_call (generic, any
 * method); when one fires, a fresh acceptor is parked and the call is served:
 *
 *   1. batch RECV_CLOSE_ON_SERVER (tag close): completes when the call is over,
 *      telling us about client cancel / deadline / shutdown cancel;
 *   2. batch SEND_INITIAL_METADATA + RECV_MESSAGE (tag recv), or for an
 *      unknown method SEND_INITIAL_METADATA + SEND_STATUS UNIMPLEMENTED (and
 *      UNAUTHENTICATED when the server requires a bearer token the call
 *      lacks: its request is never read);
 *   3. unary: the handler runs on the server thread, then one batch
 *      SEND_MESSAGE + SEND_STATUS_FROM_SERVER (tag status); a blocking
 *      unary handler (ss_grpc_server_add_unary_blocking) runs the same way
 *      but on the server's one handler thread (ss-grpc-hdl): the call
 *      waits in a FIFO (srv->jobs) so that the queue threads never block;
 *      stream: the handler gets the call; writes are single SEND_MESSAGE
 *      batches (tag send, one at a time, the writer blocks on the call's
 *      condition variable until the completion thread marks it done); the
 *      handler ends with SEND_STATUS_FROM_SERVER (tag status).
 *
 * A call object is freed by whoever observes, under its mutex, that no batch
 * is pending, the close op completed and the status was started. The server
 * counts live calls so shutdown can wait for them before it destroys the
 * completion queue. Tags are small structs embedded in the call object that
 * name the call and the operation. */
#include "common/grpc_server.h"


#include "common/log.h"
#include "common/node_credentials.h"

#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { TAG_ACCEPT, TAG_CLOSE, TAG_RECV, TAG_SEND, TAG_STATUS, TAG_SHUTDOWN } tag_kind;

typedef struct {
    tag_kind kind;
    void *owner;
} op_tag;

typedef struct {
    char *method;
    ss_grpc_unary_fn unary;
    ss_grpc_stream_fn stream;
    void *user;
    bool open;     /* answered without the required bearer (health checks) */
    bool blocking; /* unary run on the handler thread, not a queue thread */
} handler;

struct ss_grpc_server {
    grpc_server *server;
    grpc_completion_queue *cq;
    int port;
    handler *handlers;
    size_t nhandlers;
    pthread_t *threads;
    int nthreads;
    bool started;
    bool shutting_down;
    bool shut;
    bool shutdown_notified;
    size_t live_calls;     /* served calls not yet freed */
    size_t parked;         /* acceptors parked in request_call */
    op_tag shutdown_tag;
    char *required_bearer; /* every call must present it (NULL: none required) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Blocking unary handlers: calls whose request arrived wait here (under
     * mu, oldest first) for the handler thread; jobs_cv wakes it. */
    struct ss_grpc_stream *jobs, *jobs_tail;
    pthread_cond_t jobs_cv;
    pthread_t handler_thread;
    bool handler_started, handler_stop;
};

struct ss_grpc_stream {
    ss_grpc_server *srv;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array req_md;
    const handler *h;
    ss_grpc_call_info info;
    char *method, *authorization, *request_id, *peer;

    op_tag tag_accept, tag_close, tag_recv, tag_send, tag_status;
    int close_cancelled;
    grpc_byte_buffer *recv_buf;
    grpc_byte_buffer *send_buf;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;        /* batches started and not completed */
    bool close_done;
    bool send_busy;
    bool send_ok;
    bool status_started;
    bool initial_md_sent;
    atomic_bool cancelled;
    /* a blocking unary call waiting for the handler thread */
    uint8_t *job_req;
    size_t job_len;
    struct ss_grpc_stream *job_next;
};

static void *cq_thread(void *arg);
static int park_acceptor(ss_grpc_server *srv);
static void run_unary(ss_grpc_stream *c, uint8_t *req, size_t req_len);
static void queue_job(ss_grpc_stream *c, uint8_t *req, size_t req_len);

static int64_t now_ms_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *slice_strdup(grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, GRPC_SLICE_START_PTR(s), n);
    out[n] = 0;
    return out;
}

/* --- call objects */

static ss_grpc_stream *call_new(ss_grpc_server *srv)
{
    ss_grpc_stream *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->srv = srv;
    grpc_call_details_init(&c->details);
    grpc_metadata_array_init(&c->req_md);
    c->tag_accept = (op_tag){TAG_ACCEPT, c};
    c->tag_close = (op_tag){TAG_CLOSE, c};
    c->tag_recv = (op_tag){TAG_RECV, c};
    c->tag_send = (op_tag){TAG_SEND, c};
    c->tag_status = (op_tag){TAG_STATUS, c};
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    atomic_init(&c->cancelled, false);
    return c;
}

/* Frees the object; `served` says whether it counted as a live call. */
static void call_free(ss_grpc_stream *c, bool served)
{
    ss_grpc_server *srv = c->srv;
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->req_md);
    if (c->call)
        grpc_call_unref(c->call);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    if (c->send_buf)
        grpc_byte_buffer_destroy(c->send_buf);
    free(c->method);
    free(c->authorization);
    free(c->request_id);
    free(c->peer);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    if (served) {
        pthread_mutex_lock(&srv->mu);
        srv->live_calls--;
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
    }
}

/* Under c->mu: true when nothing more can happen on the call. */
static bool call_done_locked(const ss_grpc_stream *c)
{
    return c->pending == 0 && c->close_done && c->status_started;
}

/* Starts the final status batch (optionally with one message). Under c->mu. */
static void start_status_locked(ss_grpc_stream *c, grpc_status_code code, const char *msg,
                                grpc_byte_buffer *resp)
{
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    if (!c->initial_md_sent) {
        c->initial_md_sent = true;
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    }
    if (resp) {
        c->send_buf = resp;
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = resp;
        n++;
    }
    grpc_slice details = grpc_slice_from_copied_string(msg ? msg : "");
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = code;
    ops[n].data.send_status_from_server.status_details = (msg && *msg) ? &details : NULL;
    n++;
    c->status_started = true;
    c->pending++;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->tag_status, NULL);
    grpc_slice_unref(details);
    if (e != GRPC_CALL_OK) {
        c->pending--;
        ss_error(c->request_id, "grpc: cannot send status on %s (call error %d)", c->method, (int)e);
    }
}

static grpc_byte_buffer *buffer_from(const uint8_t *msg, size_t len)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)msg, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* Copies method, metadata, peer and deadline out of the accepted call. */
static int call_capture_info(ss_grpc_stream *c)
{
    c->method = slice_strdup(c->details.method);
    char *peer = grpc_call_get_peer(c->call);
    c->peer = strdup(peer ? peer : "");
    gpr_free(peer);
    if (!c->method || !c->peer)
        return -1;
    for (size_t i = 0; i < c->req_md.count; i++) {
        grpc_metadata *m = &c->req_md.metadata[i];
        char **slot = NULL;
        if (grpc_slice_str_cmp(m->key, "authorization") == 0)
            slot = &c->authorization;
        else if (grpc_slice_str_cmp(m->key, "x-request-id") == 0)
            slot = &c->request_id;
        if (slot && !*slot) {
            *slot = slice_strdup(m->value);
            if (!*slot)
                return -1;
        }
    }
    gpr_timespec dl = c->details.deadline;
    int64_t dl_ms = 0;
    if (gpr_time_cmp(dl, gpr_inf_future(dl.clock_type)) != 0) {
        gpr_timespec rt = gpr_convert_clock_type(dl, GPR_CLOCK_REALTIME);
        dl_ms = rt.tv_sec * 1000 + rt.tv_nsec / 1000000;
    }
    c->info = (ss_grpc_call_info){
        .method = c->method,
        .authorization = c->authorization,
        .request_id = c->request_id,
        .peer = c->peer,
        .deadline_unix_ms = dl_ms,
    };
    return 0;
}

static const handler *find_handler(const ss_grpc_server *srv, const char *method)
{
    for (size_t i = 0; i < srv->nhandlers; i++)
        if (strcmp(srv->handlers[i].method, method) == 0)
            return &srv->handlers[i];
    return NULL;
}

/* A new call arrived on an acceptor. */
static void on_accept(ss_grpc_stream *c)
{
    ss_grpc_server *srv = c->srv;
    pthread_mutex_lock(&srv->mu);
    srv->live_calls++;
    pthread_mutex_unlock(&srv->mu);

    pthread_mutex_lock(&c->mu);
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    c->pending++;
    if (grpc_call_start_batch(c->call, &close_op, 1, &c->tag_close, NULL) != GRPC_CALL_OK) {
        c->pending--;
        c->close_done = true; /* nothing will tell us; treat as closed */
    }

    bool ok = call_capture_info(c) == 0;
    c->h = ok ? find_handler(srv, c->method) : NULL;
    bool authentic = !srv->required_bearer || (c->h && c->h->open) ||
                     ss_bearer_matches(c->authorization, srv->required_bearer);

    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (ok && !authentic) {
        /* Refused before the request is read: no handler sees its bytes. */
        ss_warn(c->request_id, "grpc: %s from %s refused: %s call token", c->method, c->peer,
                c->authorization ? "invalid" : "no");
        start_status_locked(c, GRPC_STATUS_UNAUTHENTICATED, "missing or invalid call token", NULL);
    } else if (!c->h) {
        if (ok)
            ss_debug(c->request_id, "grpc: unimplemented method %s from %s", c->method, c->peer);
        start_status_locked(c, ok ? GRPC_STATUS_UNIMPLEMENTED : GRPC_STATUS_RESOURCE_EXHAUSTED,
                            ok ? "unimplemented method" : "out of memory", NULL);
    } else {
        ops[1].op = GRPC_OP_RECV_MESSAGE;
        ops[1].data.recv_message.recv_message = &c->recv_buf;
        c->pending++;
        c->initial_md_sent = true;
        if (grpc_call_start_batch(c->call, ops, 2, &c->tag_recv, NULL) != GRPC_CALL_OK) {
            c->pending--;
            c->initial_md_sent = false;
            start_status_locked(c, GRPC_STATUS_INTERNAL, "cannot receive request", NULL);
        }
    }
    bool done = call_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (done)
        call_free(c, true);
}

/* Runs a unary handler on the calling thread and answers the call with
 * its message and status in one batch. Takes `req`. */
static void run_unary(ss_grpc_stream *c, uint8_t *req, size_t req_len)
{
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    char msg[512] = "";
    grpc_status_code code = c->h->unary(c->h->user, &c->info, req, req_len, &resp, &resp_len,
                                        msg, sizeof msg);
    free(req);
    grpc_byte_buffer *bb = NULL;
    if (code == GRPC_STATUS_OK)
        bb = buffer_from(resp ? resp : (const uint8_t *)"", resp ? resp_len : 0);
    free(resp);
    pthread_mutex_lock(&c->mu);
    start_status_locked(c, code, msg, bb);
    bool done = call_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (done)
        call_free(c, true);
}

/* Hands a blocking unary call to the handler thread (takes `req`). The
 * call stays live (pending status) until that thread answers it, so
 * shutdown waits for it like for any other call. */
static void queue_job(ss_grpc_stream *c, uint8_t *req, size_t req_len)
{
    ss_grpc_server *srv = c->srv;
    c->job_req = req;
    c->job_len = req_len;
    c->job_next = NULL;
    pthread_mutex_lock(&srv->mu);
    if (srv->jobs_tail)
        srv->jobs_tail->job_next = c;
    else
        srv->jobs = c;
    srv->jobs_tail = c;
    pthread_cond_signal(&srv->jobs_cv);
    pthread_mutex_unlock(&srv->mu);
}

/* The handler thread: runs the blocking unary calls in arrival order until
 * shutdown has freed every call and asks it to stop. */
static void *handler_thread_main(void *arg)
{
    ss_grpc_server *srv = arg;
    pthread_mutex_lock(&srv->mu);
    for (;;) {
        ss_grpc_stream *c = srv->jobs;
        if (!c) {
            if (srv->handler_stop)
                break;
            pthread_cond_wait(&srv->jobs_cv, &srv->mu);
            continue;
        }
        srv->jobs = c->job_next;
        if (!srv->jobs)
            srv->jobs_tail = NULL;
        pthread_mutex_unlock(&srv->mu);
        uint8_t *req = c->job_req;
        c->job_req = NULL;
        run_unary(c, req, c->job_len);
        pthread_mutex_lock(&srv->mu);
    }
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

/* The request message arrived (or the call died first). */
static void on_recv(ss_grpc_stream *c, bool ok)
{
    pthread_mutex_lock(&c->mu);
    c->pending--;
    uint8_t *req = NULL;
    size_t req_len = 0;
    bool have = ok && c->recv_buf;
    if (have) {
        grpc_byte_buffer_reader r;
        if (grpc_byte_buffer_reader_init(&r, c->recv_buf)) {
            grpc_slice s = grpc_byte_buffer_reader_readall(&r);
            grpc_byte_buffer_reader_destroy(&r);
            req_len = GRPC_SLICE_LENGTH(s);
            req = malloc(req_len ? req_len : 1);
            if (req)
                memcpy(req, GRPC_SLICE_START_PTR(s), req_len);
            grpc_slice_unref(s);
        }
        grpc_byte_buffer_destroy(c->recv_buf);
        c->recv_buf = NULL;
        if (!req)
            have = false;
    }
    if (!have) {
        start_status_locked(c, GRPC_STATUS_INVALID_ARGUMENT, "no request message", NULL);
        bool done = call_done_locked(c);
        pthread_mutex_unlock(&c->mu);
        free(req);
        if (done)
            call_free(c, true);
        return;
    }

    if (c->h->unary && c->h->blocking) {
        pthread_mutex_unlock(&c->mu);
        queue_job(c, req, req_len);
        return;
    }
    if (c->h->unary) {
        pthread_mutex_unlock(&c->mu);
        run_unary(c, req, req_len);
        return;
    }

    /* Streaming: the handler owns the call until it finishes it. */
    pthread_mutex_unlock(&c->mu);
    c->h->stream(c->h->user, c, &c->info, req, req_len);
    free(req);
}

static void on_close(ss_grpc_stream *c)
{
    pthread_mutex_lock(&c->mu);
    c->pending--;
    c->close_done = true;
    if (c->close_cancelled)
        atomic_store(&c->cancelled, true);
    pthread_cond_broadcast(&c->cv);
    bool done = call_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (done)
        call_free(c, true);
}

static void on_send(ss_grpc_stream *c, bool ok)
{
    pthread_mutex_lock(&c->mu);
    c->pending--;
    c->send_busy = false;
    c->send_ok = ok;
    if (!ok)
        atomic_store(&c->cancelled, true);
    pthread_cond_broadcast(&c->cv);
    /* The writer (blocked on cv) frees send_buf and cannot be gone: a writer
     * always waits for its own completion, so the call is not done here. */
    pthread_mutex_unlock(&c->mu);
}

static void on_status(ss_grpc_stream *c)
{
    pthread_mutex_lock(&c->mu);
    c->pending--;
    if (c->send_buf) {
        grpc_byte_buffer_destroy(c->send_buf);
        c->send_buf = NULL;
    }
    bool done = call_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (done)
        call_free(c, true);
}

static void dispatch(ss_grpc_server *srv, op_tag *tag, bool ok)
{
    if (tag->kind == TAG_SHUTDOWN) {
        pthread_mutex_lock(&srv->mu);
        srv->shutdown_notified = true;
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    ss_grpc_stream *c = tag->owner;
    switch (tag->kind) {
    case TAG_ACCEPT:
        pthread_mutex_lock(&srv->mu);
        srv->parked--;
        bool again = !srv->shutting_down;
        pthread_mutex_unlock(&srv->mu);
        if (!ok) {
            call_free(c, false);
            return;
        }
        if (again && park_acceptor(srv) != 0)
            ss_error(NULL, "grpc: cannot park a new acceptor; calls may stall");
        on_accept(c);
        break;
    case TAG_RECV:
        on_recv(c, ok);
        break;
    case TAG_CLOSE:
        on_close(c);
        break;
    case TAG_SEND:
        on_send(c, ok);
        break;
    case TAG_STATUS:
        on_status(c);
        break;
    case TAG_SHUTDOWN:
        break;
    }
}

static void *cq_thread(void *arg)
{
    ss_grpc_server *srv = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        dispatch(srv, ev.tag, ev.success != 0);
    }
    return NULL;
}

static int park_acceptor(ss_grpc_server *srv)
{
    ss_grpc_stream *c = call_new(srv);
    if (!c)
        return -1;
    pthread_mutex_lock(&srv->mu);
    srv->parked++;
    pthread_mutex_unlock(&srv->mu);
    grpc_call_error e = grpc_server_request_call(srv->server, &c->call, &c->details, &c->req_md,
                                                 srv->cq, srv->cq, &c->tag_accept);
    if (e != GRPC_CALL_OK) {
        pthread_mutex_lock(&srv->mu);
        srv->parked--;
        pthread_mutex_unlock(&srv->mu);
        call_free(c, false);
        return -1;
    }
    return 0;
}

/* --- server lifecycle */

ss_grpc_server *ss_grpc_server_new(const char *listen_addr, char *err, size_t errlen)
{
    return ss_grpc_server_new_sized(listen_addr, 0, err, errlen);
}

ss_grpc_server *ss_grpc_server_new_sized(const char *listen_addr, size_t max_receive, char *err, size_t errlen)
{
    if (max_receive > INT_MAX) {
        snprintf(err, errlen, "gRPC server: a %zu-byte message limit is above 2 GiB", max_receive);
        return NULL;
    }
    ss_grpc_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    grpc_init();
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    pthread_cond_init(&srv->jobs_cv, NULL);
    srv->shutdown_tag = (op_tag){TAG_SHUTDOWN, srv};
    srv->cq = grpc_completion_queue_create_for_next(NULL);
    /* No SO_REUSEPORT: a second process on the same port must fail loudly
     * instead of silently sharing the calls. */
    grpc_arg arg[2] = {{.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
                       {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                        .value.integer = (int)max_receive}};
    grpc_channel_args args = {max_receive ? 2 : 1, arg};
    srv->server = grpc_server_create(&args, NULL);
    grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    srv->port = grpc_server_add_http2_port(srv->server, listen_addr, creds);
    grpc_server_credentials_release(creds);
    if (srv->port <= 0) {
        snprintf(err, errlen, "cannot listen on %s (address in use or invalid)", listen_addr);
        ss_grpc_server_free(srv);
        return NULL;
    }
    return srv;
}

int ss_grpc_server_port(const ss_grpc_server *srv)
{
    return srv->port;
}

static int add_handler(ss_grpc_server *srv, const char *method, ss_grpc_unary_fn u,
                       ss_grpc_stream_fn s, void *user, bool open, bool blocking)
{
    if (srv->started || !method || find_handler(srv, method))
        return -1;
    handler *nh = realloc(srv->handlers, (srv->nhandlers + 1) * sizeof *nh);
    if (!nh)
        return -1;
    srv->handlers = nh;
    char *m = strdup(method);
    if (!m)
        return -1;
    srv->handlers[srv->nhandlers++] = (handler){m, u, s, user, open, blocking};
    return 0;
}

int ss_grpc_server_require_bearer(ss_grpc_server *srv, const char *token)
{
    if (srv->started || !token || !*token)
        return -1;
    char *copy = strdup(token);
    if (!copy)
        return -1;
    free(srv->required_bearer);
    srv->required_bearer = copy;
    return 0;
}

int ss_grpc_server_add_unary(ss_grpc_server *srv, const char *method, ss_grpc_unary_fn fn,
                             void *user)
{
    return fn ? add_handler(srv, method, fn, NULL, user, false, false) : -1;
}

int ss_grpc_server_add_unary_open(ss_grpc_server *srv, const char *method, ss_grpc_unary_fn fn,
                                  void *user)
{
    return fn ? add_handler(srv, method, fn, NULL, user, true, false) : -1;
}

int ss_grpc_server_add_unary_blocking(ss_grpc_server *srv, const char *method,
                                     ss_grpc_unary_fn fn, void *user)
{
    return fn ? add_handler(srv, method, fn, NULL, user, false, true) : -1;
}

int ss_grpc_server_add_stream(ss_grpc_server *srv, const char *method, ss_grpc_stream_fn fn,
                              void *user)
{
    return fn ? add_handler(srv, method, NULL, fn, user, false, false) : -1;
}

int ss_grpc_server_start(ss_grpc_server *srv, int nthreads, char *err, size_t errlen)
{
    if (srv->started || srv->shut) {
        snprintf(err, errlen, "server already started or shut down");
        return -1;
    }
    if (nthreads < 1)
        nthreads = 1;
    srv->threads = calloc((size_t)nthreads, sizeof *srv->threads);
    if (!srv->threads) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bool any_blocking = false;
    for (size_t i = 0; i < srv->nhandlers; i++)
        any_blocking |= srv->handlers[i].blocking;
    if (any_blocking) {
        int e = pthread_create(&srv->handler_thread, NULL, handler_thread_main, srv);
        if (e != 0) {
            snprintf(err, errlen, "cannot start the handler thread: %s", strerror(e));
            return -1;
        }
        pthread_setname_np(srv->handler_thread, "ss-grpc-hdl");
        srv->handler_started = true;
    }
    grpc_server_start(srv->server);
    srv->started = true;
    int nacceptors = nthreads < 2 ? 2 : nthreads;
    for (int i = 0; i < nacceptors; i++) {
        if (park_acceptor(srv) != 0) {
            snprintf(err, errlen, "cannot request calls from the gRPC server");
            return -1; /* _free() shuts down what was started */
        }
    }
    for (int i = 0; i < nthreads; i++) {
        int e = pthread_create(&srv->threads[i], NULL, cq_thread, srv);
        if (e == 0)
            pthread_setname_np(srv->threads[i], "ss-grpc-cq");
        if (e != 0) {
            snprintf(err, errlen, "cannot start server thread: %s", strerror(e));
            return -1;
        }
        srv->nthreads++;
    }
    return 0;
}

/* Waits on srv->cv until the shutdown tag arrived and every call is freed, or
 * until deadline_ms (monotonic; <0 = no bound). Under srv->mu. */
static bool wait_quiet_locked(ss_grpc_server *srv, int64_t deadline_ms)
{
    while (!(srv->shutdown_notified && srv->live_calls == 0)) {
        if (deadline_ms < 0) {
            pthread_cond_wait(&srv->cv, &srv->mu);
            continue;
        }
        int64_t left = deadline_ms - now_ms_mono();
        if (left <= 0)
            return false;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t step = left < 100 ? left : 100;
        ts.tv_nsec += step * 1000000;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&srv->cv, &srv->mu, &ts);
    }
    return true;
}

/* Every call is freed (or the server never started): no job can come. */
static void stop_handler_thread(ss_grpc_server *srv)
{
    if (!srv->handler_started)
        return;
    pthread_mutex_lock(&srv->mu);
    srv->handler_stop = true;
    pthread_cond_signal(&srv->jobs_cv);
    pthread_mutex_unlock(&srv->mu);
    pthread_join(srv->handler_thread, NULL);
    srv->handler_started = false;
}

void ss_grpc_server_shutdown(ss_grpc_server *srv, int grace_ms)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->shut || srv->shutting_down) {
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    srv->shutting_down = true;
    pthread_mutex_unlock(&srv->mu);

    if (srv->started) {
        grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->shutdown_tag);
        if (srv->nthreads == 0) {
            /* start failed before any thread ran: drain here. */
            pthread_t t;
            if (pthread_create(&t, NULL, cq_thread, srv) == 0) {
                srv->threads[0] = t;
                srv->nthreads = 1;
            }
        }
        pthread_mutex_lock(&srv->mu);
        bool quiet = wait_quiet_locked(srv, now_ms_mono() + (grace_ms > 0 ? grace_ms : 0));
        pthread_mutex_unlock(&srv->mu);
        if (!quiet) {
            grpc_server_cancel_all_calls(srv->server);
            pthread_mutex_lock(&srv->mu);
            wait_quiet_locked(srv, -1);
            pthread_mutex_unlock(&srv->mu);
        }
        grpc_completion_queue_shutdown(srv->cq);
        for (int i = 0; i < srv->nthreads; i++)
            pthread_join(srv->threads[i], NULL);
        srv->nthreads = 0;
        stop_handler_thread(srv);
    } else {
        stop_handler_thread(srv);
        /* Never started: no thread drains the queue, so do it here. */
        grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->shutdown_tag);
        grpc_completion_queue_shutdown(srv->cq);
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            if (ev.type == GRPC_QUEUE_SHUTDOWN)
                break;
        }
    }
    pthread_mutex_lock(&srv->mu);
    srv->shut = true;
    pthread_mutex_unlock(&srv->mu);
}

void ss_grpc_server_free(ss_grpc_server *srv)
{
    if (!srv)
        return;
    ss_grpc_server_shutdown(srv, 0);
    grpc_server_destroy(srv->server);
    grpc_completion_queue_destroy(srv->cq);
    for (size_t i = 0; i < srv->nhandlers; i++)
        free(srv->handlers[i].method);
    free(srv->handlers);
    free(srv->required_bearer);
    free(srv->threads);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cv);
    pthread_cond_destroy(&srv->jobs_cv);
    free(srv);
    grpc_shutdown();
}

/* --- streaming calls */

bool ss_grpc_stream_cancelled(const ss_grpc_stream *call)
{
    return atomic_load(&((ss_grpc_stream *)call)->cancelled);
}

static int stream_write(ss_grpc_stream *c, const uint8_t *msg, size_t len, uint32_t flags)
{
    pthread_mutex_lock(&c->mu);
    while (c->send_busy && !atomic_load(&c->cancelled))
        pthread_cond_wait(&c->cv, &c->mu);
    if (atomic_load(&c->cancelled) || c->status_started || c->send_busy) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    grpc_byte_buffer *bb = buffer_from(msg, len);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.flags = flags;
    op.data.send_message.send_message = bb;
    c->send_busy = true;
    c->pending++;
    if (grpc_call_start_batch(c->call, &op, 1, &c->tag_send, NULL) != GRPC_CALL_OK) {
        c->send_busy = false;
        c->pending--;
        pthread_mutex_unlock(&c->mu);
        grpc_byte_buffer_destroy(bb);
        return -1;
    }
    while (c->send_busy)
        pthread_cond_wait(&c->cv, &c->mu);
    bool ok = c->send_ok;
    pthread_cond_broadcast(&c->cv); /* a second writer may go */
    pthread_mutex_unlock(&c->mu);
    grpc_byte_buffer_destroy(bb);
    return ok ? 0 : -1;
}

int ss_grpc_stream_write(ss_grpc_stream *c, const uint8_t *msg, size_t len)
{
    return stream_write(c, msg, len, 0);
}

int ss_grpc_stream_write_buffered(ss_grpc_stream *c, const uint8_t *msg, size_t len)
{
    return stream_write(c, msg, len, GRPC_WRITE_BUFFER_HINT);
}

void ss_grpc_stream_finish(ss_grpc_stream *c, grpc_status_code code, const char *msg)
{
    pthread_mutex_lock(&c->mu);
    while (c->send_busy)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->status_started) {
        pthread_mutex_unlock(&c->mu);
        ss_error(c->request_id, "grpc: stream on %s finished twice (bug)", c->method);
        return;
    }
    start_status_locked(c, code, msg, NULL);
    bool done = call_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (done)
        call_free(c, true);
}
