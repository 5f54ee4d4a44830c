/* Asking the sentinels for the primary, on the loop (see redis_sentinel.h).
 *
 * A query walks the sentinel list with one hiredis async connection at a
 * time. hiredis calls back from inside its own calls (a failed connect, a
 * lost connection, and every pending reply again with NULL while a context
 * is freed), so the rules here are: a callback whose context is not the
 * query's current one (q->ac) is stale and ignored; q->ac is cleared before
 * the query frees a context itself, which makes every callback that free
 * runs stale; and the query never moves on from inside a hiredis callback:
 * it records what happened and wakes its `step` event, which frees the
 * context, then tries the next sentinel or calls the user. */
#include "common/redis_sentinel.h"

#include "common/redis_libevent.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Q_WORKING, Q_ANSWERED, Q_FAILED };

struct ss_redis_sentinel_query {
    struct event_base *base;
    const ss_redis_target *t;
    size_t index;  /* the sentinel being asked */
    size_t tried;  /* how many have been asked */
    int timeout_ms;
    ss_redis_sentinel_fn fn;
    void *user;
    redisAsyncContext *ac; /* the current connection, NULL between sentinels */
    int outcome;
    ss_redis_address primary;
    char err[320];
    struct event *step;  /* moves the query on, outside hiredis's callbacks */
    struct event *timer; /* the current sentinel's deadline */
};

static void wake(ss_redis_sentinel_query *q, int outcome, const char *why)
{
    if (q->outcome != Q_WORKING)
        return;
    q->outcome = outcome;
    if (why)
        snprintf(q->err, sizeof q->err, "sentinel %s:%d: %s", q->t->sentinels[q->index].host,
                 q->t->sentinels[q->index].port, why);
    event_active(q->step, 0, 0);
}

static void drop_connection(ss_redis_sentinel_query *q)
{
    redisAsyncContext *ac = q->ac;
    q->ac = NULL; /* everything the free calls back is now stale */
    if (ac)
        redisAsyncFree(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    ss_redis_sentinel_query *q = ac->data;
    if (ac != q->ac || status == REDIS_OK)
        return;
    q->ac = NULL; /* hiredis frees it after this callback */
    wake(q, Q_FAILED, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    ss_redis_sentinel_query *q = ac->data;
    if (ac != q->ac)
        return;
    q->ac = NULL;
    wake(q, Q_FAILED, "connection closed");
}

static void on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    ss_redis_sentinel_query *q = ac->data;
    redisReply *r = reply;
    if (ac == q->ac && r && r->type == REDIS_REPLY_ERROR)
        wake(q, Q_FAILED, r->str);
}

static void on_master_addr(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    ss_redis_sentinel_query *q = ac->data;
    if (ac != q->ac)
        return;
    redisReply *r = reply;
    if (!r) {
        wake(q, Q_FAILED, "connection lost");
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
        r->element[1]->type == REDIS_REPLY_STRING && r->element[0]->len > 0 &&
        r->element[0]->len < sizeof q->primary.host && atoi(r->element[1]->str) > 0) {
        memcpy(q->primary.host, r->element[0]->str, r->element[0]->len + 1);
        q->primary.port = atoi(r->element[1]->str);
        wake(q, Q_ANSWERED, NULL);
        return;
    }
    wake(q, Q_FAILED, r->type == REDIS_REPLY_ERROR ? r->str
                      : r->type == REDIS_REPLY_NIL ? "does not know this master name"
                                                   : "unexpected answer");
}

/* Starts asking sentinel q->index; on a local failure wakes the step. */
static void ask_current(ss_redis_sentinel_query *q)
{
    const ss_redis_address *s = &q->t->sentinels[q->index];
    q->outcome = Q_WORKING;
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (!ac || ac->err || ss_redis_libevent_attach(ac, q->base) != REDIS_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s", ac && ac->err ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        wake(q, Q_FAILED, why);
        return;
    }
    ac->data = q;
    q->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (q->t->sentinel_password[0])
        redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", q->t->sentinel_password);
    redisAsyncCommand(ac, on_master_addr, NULL, "SENTINEL get-master-addr-by-name %s", q->t->master_name);
    struct timeval tv = {q->timeout_ms / 1000, (q->timeout_ms % 1000) * 1000};
    evtimer_add(q->timer, &tv);
}

static void query_free(ss_redis_sentinel_query *q)
{
    drop_connection(q);
    event_free(q->step);
    event_free(q->timer);
    free(q);
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ss_redis_sentinel_query *q = arg;
    evtimer_del(q->timer);
    drop_connection(q);
    if (q->outcome == Q_ANSWERED) {
        q->fn(q->user, &q->primary, q->index, NULL);
        query_free(q);
        return;
    }
    if (++q->tried == q->t->nsentinels) {
        q->fn(q->user, NULL, q->index, q->err);
        query_free(q);
        return;
    }
    q->index = (q->index + 1) % q->t->nsentinels;
    ask_current(q);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    wake(arg, Q_FAILED, "no answer in time");
}

ss_redis_sentinel_query *ss_redis_sentinel_ask(struct event_base *base, const ss_redis_target *t,
                                               size_t first, int timeout_ms, ss_redis_sentinel_fn fn,
                                               void *user)
{
    if (t->nsentinels == 0)
        return NULL;
    ss_redis_sentinel_query *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base = base;
    q->t = t;
    q->index = first % t->nsentinels;
    q->timeout_ms = timeout_ms > 0 ? timeout_ms : 500;
    q->fn = fn;
    q->user = user;
    q->step = event_new(base, -1, 0, on_step, q);
    q->timer = evtimer_new(base, on_timeout, q);
    if (!q->step || !q->timer) {
        if (q->step)
            event_free(q->step);
        if (q->timer)
            event_free(q->timer);
        free(q);
        return NULL;
    }
    ask_current(q);
    return q;
}

void ss_redis_sentinel_cancel(ss_redis_sentinel_query *q)
{
    if (q)
        query_free(q);
}
