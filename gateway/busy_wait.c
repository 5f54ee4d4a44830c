/* The busy-node wait queue (see busy_wait.h). A doubly linked FIFO of
 * waiters; each has one timer that fires on the next retry tick, at its
 * deadline, or at once when busy_wait_slot_freed() activates it. The retry
 * tick is BUSY_TICK_MS plus up to BUSY_JITTER_MS of random jitter so waiters
 * of several gateways do not retry in lock step. */
#include "gateway/busy_wait.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#define BUSY_TICK_MS 100
#define BUSY_JITTER_MS 100

struct busy_waiter {
    busy_wait_queue *q;
    struct event *timer;
    double deadline; /* monotonic seconds */
    bool slot_freed; /* woken by a freed slot (retry now) */
    busy_wake_fn fn;
    void *user;
    busy_waiter *prev, *next;
};

struct busy_wait_queue {
    struct event_base *base;
    long max_waiters;
    size_t count;
    busy_waiter *head, *tail;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

busy_wait_queue *busy_wait_queue_new(struct event_base *base, long max_waiters)
{
    busy_wait_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base = base;
    q->max_waiters = max_waiters;
    return q;
}

static void unlink_waiter(busy_waiter *w)
{
    busy_wait_queue *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    q->count--;
    event_free(w->timer);
}

static void wake(busy_waiter *w, bool expired)
{
    busy_wake_fn fn = w->fn;
    void *user = w->user;
    unlink_waiter(w);
    free(w);
    fn(user, expired);
}

/* The next tick, never past the deadline. */
static void arm(busy_waiter *w)
{
    unsigned jitter = 0;
    if (getrandom(&jitter, sizeof jitter, 0) != (ssize_t)sizeof jitter)
        jitter = 0;
    double left_ms = (w->deadline - now_s()) * 1000.0;
    double ms = BUSY_TICK_MS + (double)(jitter % (BUSY_JITTER_MS + 1));
    if (left_ms < ms)
        ms = left_ms > 0 ? left_ms : 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((long)ms % 1000) * 1000};
    event_add(w->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    busy_waiter *w = arg;
    wake(w, !w->slot_freed && now_s() >= w->deadline);
}

busy_waiter *busy_wait_add(busy_wait_queue *q, long wait_ms, busy_wake_fn fn, void *user)
{
    if (!q || wait_ms <= 0 || (long)q->count >= q->max_waiters)
        return NULL;
    busy_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->timer = event_new(q->base, -1, 0, on_timer, w);
    if (!w->timer) {
        free(w);
        return NULL;
    }
    w->q = q;
    w->deadline = now_s() + (double)wait_ms / 1000.0;
    w->fn = fn;
    w->user = user;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->count++;
    arm(w);
    return w;
}

void busy_wait_cancel(busy_waiter *w)
{
    if (!w)
        return;
    unlink_waiter(w);
    free(w);
}

void busy_wait_slot_freed(busy_wait_queue *q)
{
    for (busy_waiter *w = q ? q->head : NULL; w; w = w->next)
        if (!w->slot_freed) {
            w->slot_freed = true;
            event_active(w->timer, EV_TIMEOUT, 1);
            return;
        }
}

size_t busy_wait_count(const busy_wait_queue *q)
{
    return q ? q->count : 0;
}

void busy_wait_queue_free(busy_wait_queue *q)
{
    if (!q)
        return;
    while (q->head)
        wake(q->head, true);
    free(q);
}
