/* The gateway's wait queue for requests that found every node busy.
 *
 * When the nodes of a request's plan all answered RESOURCE_EXHAUSTED (their
 * slots and queues full), the request is not refused at once: it waits here,
 * bounded in number (busy_queue_max) and in time (busy_wait_ms, never past
 * the request's own deadline), and is retried when a node call ends (a slot
 * was freed somewhere) or on a short timer with jitter (a slot freed by
 * another gateway). Nothing blocks the loop: each waiter is a libevent timer.
 * A waiter is woken exactly once — retry or expired — unless cancelled. The
 * queue is owned by node_call.c (one per gateway, gw->node_calls). */
#ifndef SS_GATEWAY_BUSY_WAIT_H
#define SS_GATEWAY_BUSY_WAIT_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;

typedef struct busy_wait_queue busy_wait_queue;
typedef struct busy_waiter busy_waiter;

/* expired: the wait is over (retry no more); else: try the nodes again. */
typedef void (*busy_wake_fn)(void *user, bool expired);

busy_wait_queue *busy_wait_queue_new(struct event_base *base, long max_waiters);
/* Wakes every waiter as expired (they answer), then frees the queue. */
void busy_wait_queue_free(busy_wait_queue *q);

/* Queues a waiter for at most wait_ms. NULL when the queue is full, wait_ms
 * is not positive or memory is short (the caller answers busy at once). */
busy_waiter *busy_wait_add(busy_wait_queue *q, long wait_ms, busy_wake_fn fn, void *user);
/* Removes a waiter without calling it back. */
void busy_wait_cancel(busy_waiter *w);
/* A node slot was freed: the oldest waiter retries (from the loop, soon). */
void busy_wait_slot_freed(busy_wait_queue *q);
size_t busy_wait_count(const busy_wait_queue *q);

#endif
