/* hiredis ↔ libevent with few system calls (see redis_libevent.h).
 *
 * Three events per context: `rev` (EV_READ|EV_PERSIST: stays registered
 * with epoll while hiredis wants replies), `wev` (EV_WRITE, one-shot: the
 * slow path, for a connect in progress or a socket whose send buffer is
 * full) and `flush` (no fd: activated by addWrite, runs at the end of the
 * current loop iteration and writes what hiredis has queued). `in_flush`
 * tells addWrite that hiredis asks again from inside the flush, i.e. the
 * write was short: then the slow path waits for the socket. A write that
 * fails makes hiredis free the context (and call cleanup) from inside
 * flush_cb; the binding is then freed by flush_cb once hiredis returns. */
#include "common/redis_libevent.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct {
    redisAsyncContext *ac;
    struct event *rev, *wev, *flush;
    bool reading;  /* rev is added */
    bool in_flush; /* inside flush_cb */
    bool freed;    /* hiredis cleaned up from inside flush_cb: flush_cb frees b */
} binding;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    binding *b = arg;
    redisAsyncHandleRead(b->ac);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    binding *b = arg;
    redisAsyncHandleWrite(b->ac);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    binding *b = arg;
    b->in_flush = true;
    redisAsyncHandleWrite(b->ac); /* a failed write frees the context: cleanup() defers b to us */
    if (b->freed) {
        free(b);
        return;
    }
    b->in_flush = false;
}

static void add_read(void *privdata)
{
    binding *b = privdata;
    if (!b->reading && event_add(b->rev, NULL) == 0)
        b->reading = true;
}

static void del_read(void *privdata)
{
    binding *b = privdata;
    if (b->reading)
        event_del(b->rev);
    b->reading = false;
}

static void add_write(void *privdata)
{
    binding *b = privdata;
    if (!(b->ac->c.flags & REDIS_CONNECTED) || b->in_flush)
        event_add(b->wev, NULL);
    else
        event_active(b->flush, EV_WRITE, 1);
}

static void del_write(void *privdata)
{
    binding *b = privdata;
    event_del(b->wev);
    event_del(b->flush);
}

static void cleanup(void *privdata)
{
    binding *b = privdata;
    event_free(b->rev);
    event_free(b->wev);
    event_free(b->flush);
    if (b->in_flush)
        b->freed = true;
    else
        free(b);
}

int ss_redis_libevent_attach(redisAsyncContext *ac, struct event_base *base)
{
    if (ac->ev.data)
        return REDIS_ERR;
    binding *b = calloc(1, sizeof *b);
    if (!b)
        return REDIS_ERR;
    b->ac = ac;
    b->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, read_cb, b);
    b->wev = event_new(base, ac->c.fd, EV_WRITE, write_cb, b);
    b->flush = event_new(base, -1, 0, flush_cb, b);
    if (!b->rev || !b->wev || !b->flush) {
        if (b->rev)
            event_free(b->rev);
        if (b->wev)
            event_free(b->wev);
        if (b->flush)
            event_free(b->flush);
        free(b);
        return REDIS_ERR;
    }
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = b;
    /* like the stock adapter: wait for the connect to finish (EV_WRITE) and read */
    add_read(b);
    event_add(b->wev, NULL);
    return REDIS_OK;
}
