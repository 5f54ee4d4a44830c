/* gRPC C-core client helpers (see grpc_client.h for the contract).
 *
 * Blocking unary call: one batch with every op (send metadata, message and
 * close; receive metadata, message and status) on a private pluck queue.
 *
 * libevent bridge: each call runs three kinds of batches:
 *   A  SEND_INITIAL_METADATA + SEND_MESSAGE + SEND_CLOSE_FROM_CLIENT +
 *      RECV_INITIAL_METADATA + RECV_MESSAGE (the first message), from the
 *      loop when the call starts
 *   B  RECV_STATUS_ON_CLIENT (completes when the call is over), from the
 *      loop when the call starts
 *   C  RECV_MESSAGE, again after every message until the server's end of
 *      stream (a NULL buffer) or a failure.
 * A carries the first reception so that a call costs one completion less
 * than with a separate C for it. The status cannot join A or the sends: a
 * batch completes when all its ops have, and B only does at the end.
 *
 * Completions run on the bridge's pump thread, which drains the calls'
 * completion queue (every tag is an evtag, handled by on_tag_done). That
 * thread puts a received message on the call's ahead list (at most
 * AHEAD_MAX) and starts the next C itself while the list has room and the
 * caller has not paused, so that a message already in the transport
 * completes on that thread at once; then it lists the call for the loop and
 * wakes it (an eventfd) if the list of calls was empty. The loop delivers
 * the messages, starts a C itself only when the queue thread could not (the
 * list was full, or the call was paused and is resumed), and ends the call
 * (on_status, then free) once B completed and nothing of the call is out.
 * Before this, the loop started every C and a buffered message bounced
 * loop -> queue thread -> loop (two wake-ups) each time
 * (docs/PERFORMANCE.md, issue 12). State both threads touch is under the
 * client's mutex, which is never held across start_batch; receptions of
 * one call are started by one thread at a time (`arming`), as gRPC asks. */
#include "common/grpc_client.h"

#include "common/log.h"

#include <errno.h>
#include <event2/event.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ss_grpc_channel {
    grpc_channel *channel;
    char *target;
};

ss_grpc_channel *ss_grpc_channel_new(const char *target, char *err, size_t errlen)
{
    ss_grpc_channel *ch = calloc(1, sizeof *ch);
    if (!ch || !(ch->target = strdup(target))) {
        free(ch);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    grpc_init();
    grpc_arg args[4];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS;
    args[0].value.integer = 250;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = (char *)GRPC_ARG_MIN_RECONNECT_BACKOFF_MS;
    args[1].value.integer = 250;
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
    args[2].value.integer = 2000;
    /* No bandwidth probe: it grows a stream's receive window to several MB
     * on a fast link, and a call the gateway pauses for a slow client
     * (back-pressure) would keep that much audio in the transport. The
     * fixed 64 KiB window still carries ~100x real-time audio at a 10 ms
     * round trip. */
    args[3].type = GRPC_ARG_INTEGER;
    args[3].key = (char *)GRPC_ARG_HTTP2_BDP_PROBE;
    args[3].value.integer = 0;
    grpc_channel_args cargs = {4, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    ch->channel = grpc_channel_create(target, creds, &cargs);
    grpc_channel_credentials_release(creds);
    if (!ch->channel) {
        snprintf(err, errlen, "cannot create a channel to %s", target);
        free(ch->target);
        free(ch);
        grpc_shutdown();
        return NULL;
    }
    return ch;
}

void ss_grpc_channel_free(ss_grpc_channel *ch)
{
    if (!ch)
        return;
    grpc_channel_destroy(ch->channel);
    free(ch->target);
    free(ch);
    grpc_shutdown();
}

static gpr_timespec deadline_after(int timeout_ms)
{
    if (timeout_ms <= 0)
        return gpr_inf_future(GPR_CLOCK_REALTIME);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

/* Fills md (2 slots) from the caller's metadata; returns the count. The
 * values are copied slices the caller unrefs with md_release. */
static size_t md_fill(grpc_metadata *md, const ss_grpc_metadata *in)
{
    size_t n = 0;
    if (in && in->authorization) {
        md[n].key = grpc_slice_from_static_string("authorization");
        md[n].value = grpc_slice_from_copied_string(in->authorization);
        n++;
    }
    if (in && in->request_id) {
        md[n].key = grpc_slice_from_static_string("x-request-id");
        md[n].value = grpc_slice_from_copied_string(in->request_id);
        n++;
    }
    return n;
}

static void md_release(grpc_metadata *md, size_t n)
{
    for (size_t i = 0; i < n; i++)
        grpc_slice_unref(md[i].value);
}

/* Copies a byte buffer into a malloc'd array. 0 or -1. */
static int buffer_to_bytes(grpc_byte_buffer *bb, uint8_t **out, size_t *len)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return -1;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    size_t n = GRPC_SLICE_LENGTH(s);
    uint8_t *p = malloc(n ? n : 1);
    if (p)
        memcpy(p, GRPC_SLICE_START_PTR(s), n);
    grpc_slice_unref(s);
    if (!p)
        return -1;
    *out = p;
    *len = n;
    return 0;
}

static void copy_details(grpc_slice details, char *msg, size_t msglen)
{
    if (!msg || msglen == 0)
        return;
    size_t n = GRPC_SLICE_LENGTH(details);
    if (n >= msglen)
        n = msglen - 1;
    memcpy(msg, GRPC_SLICE_START_PTR(details), n);
    msg[n] = 0;
}

grpc_status_code ss_grpc_unary_call(ss_grpc_channel *ch, const char *method,
                                    const ss_grpc_metadata *md_in, int timeout_ms,
                                    const uint8_t *req, size_t req_len,
                                    uint8_t **resp, size_t *resp_len,
                                    char *status_msg, size_t msglen)
{
    *resp = NULL;
    *resp_len = 0;
    if (status_msg && msglen)
        status_msg[0] = 0;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice mslice = grpc_slice_from_copied_string(method);
    grpc_call *call = grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                               mslice, NULL, deadline_after(timeout_ms), NULL);
    grpc_slice_unref(mslice);
    if (!call) {
        grpc_completion_queue_shutdown(cq);
        grpc_completion_queue_destroy(cq);
        copy_details(grpc_slice_from_static_string("cannot create call"), status_msg, msglen);
        return GRPC_STATUS_INTERNAL;
    }

    grpc_metadata md[2];
    size_t nmd = md_fill(md, md_in);
    grpc_slice reqs = grpc_slice_from_copied_buffer((const char *)req, req_len);
    grpc_byte_buffer *send_buf = grpc_raw_byte_buffer_create(&reqs, 1);
    grpc_slice_unref(reqs);
    grpc_byte_buffer *recv_buf = NULL;
    grpc_metadata_array init_md, trail_md;
    grpc_metadata_array_init(&init_md);
    grpc_metadata_array_init(&trail_md);
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send_buf;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv_buf;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trail_md;
    ops[5].data.recv_status_on_client.status = &code;
    ops[5].data.recv_status_on_client.status_details = &details;

    static int tag_storage;
    void *tag = &tag_storage;
    grpc_call_error e = grpc_call_start_batch(call, ops, 6, tag, NULL);
    if (e == GRPC_CALL_OK) {
        grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        copy_details(details, status_msg, msglen);
        if (code == GRPC_STATUS_OK && recv_buf &&
            buffer_to_bytes(recv_buf, resp, resp_len) != 0) {
            code = GRPC_STATUS_INTERNAL;
            copy_details(grpc_slice_from_static_string("out of memory"), status_msg, msglen);
        }
    } else {
        code = GRPC_STATUS_INTERNAL;
        copy_details(grpc_slice_from_static_string("cannot start call"), status_msg, msglen);
    }

    md_release(md, nmd);
    grpc_byte_buffer_destroy(send_buf);
    if (recv_buf)
        grpc_byte_buffer_destroy(recv_buf);
    grpc_metadata_array_destroy(&init_md);
    grpc_metadata_array_destroy(&trail_md);
    grpc_slice_unref(details);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_destroy(cq);
    return code;
}

/* --- libevent bridge */

/* How many received messages a call holds ahead of its caller. The queue
 * thread arms the next reception itself while fewer are held (and the call
 * is not paused), so a message that is already in the transport completes
 * on that thread at once instead of being asked for by the loop; the bound
 * is what a slow reader (a paused call) costs the gateway on top of gRPC's
 * flow-control window. */
#define AHEAD_MAX 4

typedef enum { EVTAG_START, EVTAG_STATUS, EVTAG_MESSAGE } evtag_kind;

typedef struct {
    evtag_kind kind;
    ss_grpc_evcall *call;
} evtag;

struct ss_grpc_evcall {
    ss_grpc_evclient *cl;
    grpc_call *call;
    bool streaming;
    ss_grpc_on_message on_message;
    ss_grpc_on_status on_status;
    void *user;
    evtag tag_start, tag_status, tag_message;
    /* loop thread only */
    bool read_failed;   /* we cancelled because a message could not be read */
    ss_grpc_evcall *prev, *next; /* cl->calls */
    /* under cl->mu: the queue thread and the loop both touch these */
    bool ready;         /* listed in cl->ready for the loop */
    bool status_in;     /* batch B completed */
    bool recv_out;      /* a reception (batch A or C) is out */
    bool arming;        /* a thread is inside start_batch for a reception */
    bool eos;           /* no reception will be armed again: end of stream or failure */
    bool stop;          /* cancelled by us: deliver no more messages */
    bool paused;        /* the caller asked for no more messages for now */
    grpc_byte_buffer *ahead[AHEAD_MAX]; /* received, not yet delivered */
    unsigned ahead_first, ahead_len;
    ss_grpc_evcall *ready_next;
    /* written by gRPC, read after the completion that says so */
    grpc_status_code code;
    grpc_slice details;
    grpc_metadata md[2];
    size_t nmd;
    grpc_metadata_array init_md, trail_md;
    grpc_byte_buffer *send_buf, *recv_buf;
};

struct ss_grpc_evclient {
    struct event_base *base;
    int wake_fd;        /* eventfd the queue thread writes to wake the loop */
    struct event *wake; /* its read event on the loop */
    grpc_completion_queue *cq; /* drained by the pump */
    pthread_t pump;
    bool pump_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ss_grpc_evcall *ready, *ready_tail; /* calls the loop must look at (mu) */
    ss_grpc_evcall *calls; /* live calls, loop thread only */
    size_t live;
};

/* Lists the call for the loop (mu held). A call is listed at most once,
 * and the loop is woken only when the list was empty: a list with calls on
 * it has a drain coming or running, which takes calls until it is empty. */
static void mark_ready(ss_grpc_evcall *c)
{
    ss_grpc_evclient *cl = c->cl;
    if (c->ready)
        return;
    c->ready = true;
    c->ready_next = NULL;
    bool was_empty = !cl->ready;
    if (cl->ready_tail)
        cl->ready_tail->ready_next = c;
    else
        cl->ready = c;
    cl->ready_tail = c;
    pthread_cond_broadcast(&cl->cv);
    if (was_empty) {
        /* An eventfd of our own, not event_active: that takes libevent's
         * base lock, which the loop holds whenever it is not in a callback
         * (each collision cost both threads a futex sleep). EAGAIN: the
         * counter is full, so the loop is woken anyway. */
        uint64_t one = 1;
        while (write(cl->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

/* Whether the next reception should start now (mu held). */
static bool reception_wanted(const ss_grpc_evcall *c)
{
    return !c->recv_out && !c->eos && !c->stop && !c->paused && c->ahead_len < AHEAD_MAX;
}

/* Starts the call's next RECV_MESSAGE while one is wanted (mu held on entry
 * and on return). mu is let go around start_batch, which may do gRPC's
 * work (a flow-control write) that the other thread must not wait for.
 * Only the thread that holds `arming` starts a reception, so those of one
 * call never start concurrently, as gRPC asks; one that finds it held
 * leaves the decision to the holder, which looks again once its batch has
 * started, and wakes the loop if the call may have ended meanwhile (the
 * loop never ends a call while a reception is being started). A batch that
 * cannot start ends the receptions and cancels the call: its status says
 * why. */
/* Starts a batch that carries the call's reception (mu held on entry and on
 * return, let go around start_batch; `arming` held meanwhile). A batch
 * that cannot start ends the receptions and cancels the call, whose status
 * batch, already out, reports it. Returns whether it started. */
static bool start_reception_batch(ss_grpc_evcall *c, const grpc_op *ops, size_t nops, void *tag)
{
    ss_grpc_evclient *cl = c->cl;
    c->arming = true;
    c->recv_out = true;
    pthread_mutex_unlock(&cl->mu);
    grpc_call_error e = grpc_call_start_batch(c->call, ops, nops, tag, NULL);
    pthread_mutex_lock(&cl->mu);
    c->arming = false;
    if (e == GRPC_CALL_OK)
        return true;
    c->recv_out = false;
    c->eos = true;
    grpc_call_cancel(c->call, NULL);
    return false;
}

static void arm_receptions(ss_grpc_evcall *c)
{
    bool armed = false;
    while (!c->arming && reception_wanted(c)) {
        armed = true;
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &c->recv_buf;
        start_reception_batch(c, &op, 1, &c->tag_message);
    }
    if (armed && c->status_in && !c->recv_out)
        mark_ready(c);
}

/* A reception (batch A or C) completed, on the queue thread (mu held): the
 * message joins the call's ahead list. Returns whether the loop has
 * something to do. */
static bool reception_done(ss_grpc_evcall *c, bool ok)
{
    c->recv_out = false;
    if (!ok || !c->recv_buf) { /* end of stream, or a failure the status explains */
        c->eos = true;
        return c->status_in; /* else the status completion wakes the loop */
    }
    grpc_byte_buffer *m = c->recv_buf;
    c->recv_buf = NULL;
    if (c->stop) {
        grpc_byte_buffer_destroy(m);
        return c->status_in;
    }
    c->ahead[(c->ahead_first + c->ahead_len++) % AHEAD_MAX] = m;
    return !c->paused;
}

/* A completion of one of our calls, on the thread draining the queue. It
 * never blocks for long: it takes mu, lists the call for the loop and then,
 * while the ahead list has room and the caller has not paused, starts the
 * next reception from here, so that a message already in the transport
 * completes on this thread at once instead of being asked for by the loop
 * (which cost a wake-up of this thread and one of the loop per message).
 * The wake-up is written under mu, so once the loop has seen the last call end
 * (ss_grpc_evclient_free), no thread touches cl. */
static void on_tag_done(evtag *tag, bool ok)
{
    ss_grpc_evcall *c = tag->call;
    ss_grpc_evclient *cl = c->cl;
    pthread_mutex_lock(&cl->mu);
    bool wake;
    if (tag->kind == EVTAG_STATUS) {
        c->status_in = true;
        wake = true;
    } else {
        wake = reception_done(c, ok);
    }
    if (wake)
        mark_ready(c);
    if (tag->kind != EVTAG_STATUS)
        arm_receptions(c);
    pthread_mutex_unlock(&cl->mu);
}

static void *pump_main(void *arg)
{
    ss_grpc_evclient *cl = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cl->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            on_tag_done(ev.tag, ev.success != 0);
    }
    return NULL;
}

static void evcall_free(ss_grpc_evcall *c)
{
    ss_grpc_evclient *cl = c->cl;
    if (c->prev)
        c->prev->next = c->next;
    else
        cl->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cl->live--;
    md_release(c->md, c->nmd);
    grpc_metadata_array_destroy(&c->init_md);
    grpc_metadata_array_destroy(&c->trail_md);
    if (c->send_buf)
        grpc_byte_buffer_destroy(c->send_buf);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    for (unsigned i = 0; i < c->ahead_len; i++)
        grpc_byte_buffer_destroy(c->ahead[(c->ahead_first + i) % AHEAD_MAX]);
    grpc_slice_unref(c->details);
    if (c->call)
        grpc_call_unref(c->call);
    free(c);
}

/* The call is over and nothing of it is out: on_status, then it is freed. */
static void finish(ss_grpc_evcall *c)
{
    size_t n = GRPC_SLICE_LENGTH(c->details);
    char *msg = malloc(n + 1);
    if (msg) {
        memcpy(msg, GRPC_SLICE_START_PTR(c->details), n);
        msg[n] = 0;
    }
    ss_grpc_on_status cb = c->on_status;
    void *user = c->user;
    /* Our own cancel after a message could not be read is reported as
     * what it was, not as the CANCELLED the transport saw. */
    grpc_status_code code = c->read_failed ? GRPC_STATUS_INTERNAL : c->code;
    const char *text = c->read_failed ? "a message of the reply could not be read"
                       : msg              ? msg
                                          : "out of memory";
    evcall_free(c);
    cb(user, code, text);
    free(msg);
}

/* Hands one received message to the caller, then lets it go. A buffer the
 * transport kept in one slice is passed as it is; one in several slices is
 * copied together first. */
static void deliver(ss_grpc_evcall *c, grpc_byte_buffer *m)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, m)) {
        grpc_byte_buffer_destroy(m);
        ss_error(NULL, "grpc bridge: a message could not be read; cancelling the call");
        c->read_failed = true;
        ss_grpc_evcall_cancel(c);
        return;
    }
    size_t total = grpc_byte_buffer_length(r.buffer_out);
    grpc_slice s;
    if (!grpc_byte_buffer_reader_next(&r, &s)) {
        s = grpc_empty_slice();
    } else if (GRPC_SLICE_LENGTH(s) != total) {
        grpc_slice_unref(s);
        grpc_byte_buffer_reader_destroy(&r);
        grpc_byte_buffer_reader_init(&r, m); /* succeeded above */
        s = grpc_byte_buffer_reader_readall(&r);
    }
    grpc_byte_buffer_reader_destroy(&r);
    c->on_message(c->user, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(m);
}

/* Loop thread: delivers what the queue thread received for the call (until
 * the caller pauses or cancels), arms the next reception when the queue
 * thread could not (the ahead list was full, or the call was paused), and
 * ends the call once its status is in and nothing of it is out. A call still
 * listed for the loop is ended when its turn comes. */
static void call_sync(ss_grpc_evcall *c)
{
    ss_grpc_evclient *cl = c->cl;
    for (;;) {
        grpc_byte_buffer *m = NULL;
        pthread_mutex_lock(&cl->mu);
        if (!c->paused && !c->stop) {
            if (c->ahead_len) {
                m = c->ahead[c->ahead_first];
                c->ahead_first = (c->ahead_first + 1) % AHEAD_MAX;
                c->ahead_len--;
            } else {
                arm_receptions(c);
            }
        }
        /* Paused: messages may still wait in the transport; the status
         * follows them after resume (a cancel ends the wait). */
        bool over = !m && c->status_in && !c->recv_out && !c->arming && !c->ready &&
                    (c->stop || (c->eos && !c->ahead_len));
        pthread_mutex_unlock(&cl->mu);
        if (m) {
            deliver(c, m); /* the caller may pause or cancel */
            continue;
        }
        if (over)
            finish(c);
        return;
    }
}

/* Looks at every listed call, one at a time (a call may be listed again
 * while the loop delivers its messages). Returns how many. */
static size_t drain_ready(ss_grpc_evclient *cl)
{
    size_t n = 0;
    for (;;) {
        pthread_mutex_lock(&cl->mu);
        ss_grpc_evcall *c = cl->ready;
        if (c) {
            cl->ready = c->ready_next;
            if (!cl->ready)
                cl->ready_tail = NULL;
            c->ready = false;
        }
        pthread_mutex_unlock(&cl->mu);
        if (!c)
            return n;
        call_sync(c);
        n++;
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n); /* EAGAIN: a drain already took the calls */
    (void)r;
    drain_ready(arg);
}

ss_grpc_evclient *ss_grpc_evclient_new(struct event_base *base, char *err, size_t errlen)
{
    ss_grpc_evclient *cl = calloc(1, sizeof *cl);
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cl->base = base;
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cv, NULL);
    cl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (cl->wake_fd >= 0)
        cl->wake = event_new(base, cl->wake_fd, EV_READ | EV_PERSIST, on_wake, cl);
    if (!cl->wake || event_add(cl->wake, NULL) != 0) {
        snprintf(err, errlen, "cannot create the wake-up event: %s",
                 cl->wake_fd < 0 ? strerror(errno) : "libevent refused it");
        if (cl->wake)
            event_free(cl->wake);
        if (cl->wake_fd >= 0)
            close(cl->wake_fd);
        pthread_mutex_destroy(&cl->mu);
        pthread_cond_destroy(&cl->cv);
        free(cl);
        return NULL;
    }
    grpc_init();
    cl->cq = grpc_completion_queue_create_for_next(NULL);
    int e = pthread_create(&cl->pump, NULL, pump_main, cl);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the pump thread: %s", strerror(e));
        ss_grpc_evclient_free(cl);
        return NULL;
    }
    pthread_setname_np(cl->pump, "ss-grpc-pump"); /* top -H, perf */
    cl->pump_started = true;
    return cl;
}

void ss_grpc_evclient_free(ss_grpc_evclient *cl)
{
    if (!cl)
        return;
    for (ss_grpc_evcall *c = cl->calls; c; c = c->next)
        ss_grpc_evcall_cancel(c);
    while (cl->live > 0) {
        pthread_mutex_lock(&cl->mu);
        while (!cl->ready)
            pthread_cond_wait(&cl->cv, &cl->mu);
        pthread_mutex_unlock(&cl->mu);
        drain_ready(cl);
    }
    if (cl->cq) {
        grpc_completion_queue_shutdown(cl->cq);
        if (cl->pump_started)
            pthread_join(cl->pump, NULL);
        else {
            for (;;) {
                grpc_event ev = grpc_completion_queue_next(cl->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                    break;
            }
        }
        grpc_completion_queue_destroy(cl->cq);
    }
    /* Every run of on_tag_done is over: the last one released mu before
     * the loop above saw live reach 0. */
    pthread_mutex_lock(&cl->mu);
    pthread_mutex_unlock(&cl->mu);
    event_free(cl->wake);
    close(cl->wake_fd);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cv);
    free(cl);
    grpc_shutdown();
}

size_t ss_grpc_evclient_live(const ss_grpc_evclient *cl)
{
    return cl->live;
}

/* Batch A (sends, initial metadata, the first message), from the loop. It
 * carries a reception: its completion may come to the queue thread before
 * start_batch has returned here, and the next reception is started there
 * only once `arming` is let go (else here, by arm_receptions). */
static void start_first_batch(ss_grpc_evcall *c)
{
    ss_grpc_evclient *cl = c->cl;
    grpc_op ops[5];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = c->nmd;
    ops[0].data.send_initial_metadata.metadata = c->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = c->send_buf;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->init_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &c->recv_buf;
    pthread_mutex_lock(&cl->mu);
    if (start_reception_batch(c, ops, 5, &c->tag_start)) {
        arm_receptions(c); /* A completed meanwhile: the queue thread left it to us */
        if (c->status_in && !c->recv_out)
            mark_ready(c);
    }
    pthread_mutex_unlock(&cl->mu);
}

ss_grpc_evcall *ss_grpc_evcall_start(ss_grpc_evclient *cl, ss_grpc_channel *ch,
                                     const char *method, const ss_grpc_metadata *md,
                                     int timeout_ms, const uint8_t *req, size_t req_len,
                                     bool streaming, ss_grpc_on_message on_message,
                                     ss_grpc_on_status on_status, void *user,
                                     char *err, size_t errlen)
{
    if (!on_message || !on_status) {
        snprintf(err, errlen, "both callbacks are required");
        return NULL;
    }
    ss_grpc_evcall *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cl = cl;
    c->streaming = streaming;
    c->on_message = on_message;
    c->on_status = on_status;
    c->user = user;
    c->tag_start = (evtag){EVTAG_START, c};
    c->tag_status = (evtag){EVTAG_STATUS, c};
    c->tag_message = (evtag){EVTAG_MESSAGE, c};
    c->details = grpc_empty_slice();
    c->code = GRPC_STATUS_UNKNOWN;
    grpc_metadata_array_init(&c->init_md);
    grpc_metadata_array_init(&c->trail_md);
    c->nmd = md_fill(c->md, md);
    grpc_slice mslice = grpc_slice_from_copied_string(method);
    c->call = grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cl->cq, mslice,
                                       NULL, deadline_after(timeout_ms), NULL);
    grpc_slice_unref(mslice);
    /* Linked in now so evcall_free can unlink on every path. */
    c->next = cl->calls;
    if (cl->calls)
        cl->calls->prev = c;
    cl->calls = c;
    cl->live++;
    if (!c->call) {
        snprintf(err, errlen, "cannot create a call to %s", ch->target);
        evcall_free(c);
        return NULL;
    }
    grpc_slice rs = grpc_slice_from_copied_buffer((const char *)req, req_len);
    c->send_buf = grpc_raw_byte_buffer_create(&rs, 1);
    grpc_slice_unref(rs);

    grpc_op st;
    memset(&st, 0, sizeof st);
    st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    st.data.recv_status_on_client.trailing_metadata = &c->trail_md;
    st.data.recv_status_on_client.status = &c->code;
    st.data.recv_status_on_client.status_details = &c->details;
    if (grpc_call_start_batch(c->call, &st, 1, &c->tag_status, NULL) != GRPC_CALL_OK) {
        snprintf(err, errlen, "cannot start the status batch");
        evcall_free(c);
        return NULL;
    }

    start_first_batch(c);
    return c;
}

void ss_grpc_evcall_pause(ss_grpc_evcall *c)
{
    pthread_mutex_lock(&c->cl->mu);
    c->paused = true; /* the queue thread arms no further reception */
    pthread_mutex_unlock(&c->cl->mu);
}

void ss_grpc_evcall_resume(ss_grpc_evcall *c)
{
    pthread_mutex_lock(&c->cl->mu);
    c->paused = false;
    pthread_mutex_unlock(&c->cl->mu);
    call_sync(c); /* may deliver messages and on_status */
}

void ss_grpc_evcall_cancel(ss_grpc_evcall *c)
{
    ss_grpc_evclient *cl = c->cl;
    pthread_mutex_lock(&cl->mu);
    c->stop = true;
    /* The loop looks at the call again, never inside this function (the
     * caller may be in the middle of its own state change): a paused call
     * whose status is in has nothing outstanding, and the cancel makes no
     * completion that would end it (shutdown waited for such a call for
     * ever once). */
    mark_ready(c);
    pthread_mutex_unlock(&cl->mu);
    grpc_call_cancel(c->call, NULL);
}
