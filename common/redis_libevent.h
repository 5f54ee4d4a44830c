/* The binding of a hiredis async context to a libevent loop, shaped for few
 * system calls per command.
 *
 * hiredis's own adapter (hiredis/adapters/libevent.h) registers a one-shot
 * read event, so every reply costs an epoll_ctl DEL and an ADD, and waits for
 * the socket to become writable before each command is written, costing two
 * more epoll_ctl and one loop round. On this gateway that was 4 epoll_ctl
 * and an extra epoll_wait per Redis command, four commands per /speak.
 *
 * Here the read event is persistent (added once, removed only when hiredis
 * asks), and a command is written from a deferred callback at the end of the
 * current loop iteration (commands issued in the same iteration leave in one
 * write). Only when the socket is not yet connected, or a write could not
 * take everything, does the writer wait for EV_WRITE like the stock adapter.
 * Loop thread only, like everything hiredis does. */
#ifndef SS_COMMON_REDIS_LIBEVENT_H
#define SS_COMMON_REDIS_LIBEVENT_H

#include <event2/event.h>
#include <hiredis/async.h>

/* Attaches ac to base. Returns REDIS_OK, or REDIS_ERR (already attached,
 * out of memory); on REDIS_ERR nothing is attached. */
int ss_redis_libevent_attach(redisAsyncContext *ac, struct event_base *base);

#endif
