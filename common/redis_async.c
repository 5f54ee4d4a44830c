/* Async Redis client with reconnect (see redis_async.h).
 *
 * State machine: DISCONNECTED --connect()--> CONNECTING --onConnect ok-->
 * CONNECTED --onDisconnect--> DISCONNECTED (+ reconnect timer). Commands are
 * only accepted while CONNECTED. Every command carries a `pending` record with
 * its own timeout timer: whichever of reply, timeout or disconnect comes first
 * calls the user's callback; the record lives until hiredis hands it back (the
 * reply or the disconnect), so a late reply after a timeout is swallowed safely.
 *
 * With Sentinel the first step is RESOLVING (asking the sentinels, see
 * redis_sentinel.h) and CONNECTING lasts until ROLE has said "master"; an
 * error answer that says the server is no longer the primary disconnects,
 * which resolves again.
 *
 * Durable scripts: the script's reply is deep-copied (hiredis frees its own
 * after the callback), WAIT is sent, and the caller gets the copy when WAIT
 * counts enough replicas.
 *
 * Scripts: each client keeps the SHA-1 of every script it has run (a small
 * array, searched by the script's address). An EVALSHA call carries a copy of
 * its arguments until it is answered, so a NOSCRIPT answer can be followed by
 * the same call as EVAL. */
#include "common/redis_async.h"

#include "common/log.h"
#include "common/redis_libevent.h"
#include "common/redis_sentinel.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <hiredis/async.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { R_DISCONNECTED, R_RESOLVING, R_CONNECTING, R_CONNECTED };

struct ss_redis {
    struct event_base *base;
    ss_redis_target target;
    char host[256]; /* the address connected to: target.direct, or what a sentinel named */
    int port;
    int timeout_ms;
    int max_backoff_ms;
    ss_redis_sentinel_query *query; /* while RESOLVING */
    size_t sentinel_first;          /* the sentinel that answered last */
    redisAsyncContext *ac;
    int state;
    int backoff_ms;
    bool closing;
    struct event *reconnect_timer;
    void (*on_connect_fn)(void *);
    void *on_connect_user;
    struct known_script {
        const ss_redis_script *script;
        char sha[41];
    } *scripts; /* SHA-1s computed so far */
    size_t nscripts;
};

typedef struct {
    ss_redis *r;
    ss_redis_reply_fn fn;
    void *user;
    bool done;
    struct event *timer;
} pending;

static void start_connect(ss_redis *r);

static void schedule_reconnect(ss_redis *r)
{
    if (r->closing)
        return;
    struct timeval tv = {r->backoff_ms / 1000, (r->backoff_ms % 1000) * 1000};
    evtimer_add(r->reconnect_timer, &tv);
    r->backoff_ms = r->backoff_ms * 2 > r->max_backoff_ms ? r->max_backoff_ms : r->backoff_ms * 2;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_connect(arg);
}

static void mark_connected(ss_redis *r)
{
    r->state = R_CONNECTED;
    r->backoff_ms = 100;
    ss_info(NULL, "redis %s:%d: connected%s", r->host, r->port,
            r->target.nsentinels ? " (the primary, found through Sentinel)" : "");
    if (r->on_connect_fn)
        r->on_connect_fn(r->on_connect_user);
}

/* Leaves a server that is not (or no longer) the primary: the disconnect
 * callback then finds the primary again. */
static void leave_server(ss_redis *r, const char *why)
{
    if (!r->ac || r->closing)
        return;
    ss_warn(NULL, "redis %s:%d: %s; finding the primary again", r->host, r->port, why);
    r->state = R_CONNECTING; /* no new commands until reconnected */
    redisAsyncDisconnect(r->ac);
}

static void on_role_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    ss_redis *r = ac->data;
    redisReply *rep = reply;
    if (!rep || ac != r->ac || r->state != R_CONNECTING)
        return; /* connection lost: on_disconnect takes over */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
        rep->element[0]->type == REDIS_REPLY_STRING && !strcmp(rep->element[0]->str, "master")) {
        mark_connected(r);
        return;
    }
    leave_server(r, rep->type == REDIS_REPLY_ERROR ? rep->str : "ROLE says it is not the primary");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    ss_redis *r = ac->data;
    if (status != REDIS_OK) {
        if (r->state != R_DISCONNECTED || r->backoff_ms <= 100)
            ss_warn(NULL, "redis %s:%d: connect failed: %s", r->host, r->port, ac->errstr);
        r->ac = NULL; /* hiredis frees the context after this callback */
        r->state = R_DISCONNECTED;
        schedule_reconnect(r);
        return;
    }
    if (r->target.nsentinels)
        return; /* connected once ROLE says master (on_role_reply) */
    mark_connected(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    ss_redis *r = ac->data;
    r->ac = NULL;
    r->state = R_DISCONNECTED;
    if (r->closing)
        return;
    ss_warn(NULL, "redis %s:%d: connection lost (%s); reconnecting", r->host, r->port,
            status == REDIS_OK ? "closed" : ac->errstr);
    schedule_reconnect(r);
}

static void on_auth_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)privdata;
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        ss_error(NULL, "redis AUTH failed: %s", rep->str);
    (void)ac;
}

static void connect_to_primary(ss_redis *r);

static void on_sentinel_answer(void *user, const ss_redis_address *primary, size_t answered,
                               const char *err)
{
    ss_redis *r = user;
    r->query = NULL;
    r->state = R_DISCONNECTED;
    if (!primary) {
        if (r->backoff_ms <= 100)
            ss_warn(NULL, "redis: no sentinel named the primary '%s': %s; retrying",
                    r->target.master_name, err);
        schedule_reconnect(r);
        return;
    }
    r->sentinel_first = answered;
    if (strcmp(r->host, primary->host) || r->port != primary->port)
        ss_info(NULL, "redis: sentinel %s:%d names %s:%d the primary of '%s'",
                r->target.sentinels[answered].host, r->target.sentinels[answered].port, primary->host,
                primary->port, r->target.master_name);
    snprintf(r->host, sizeof r->host, "%s", primary->host);
    r->port = primary->port;
    connect_to_primary(r);
}

static void start_connect(ss_redis *r)
{
    if (r->closing || r->state != R_DISCONNECTED)
        return;
    if (!r->target.nsentinels) {
        connect_to_primary(r);
        return;
    }
    r->state = R_RESOLVING;
    r->query = ss_redis_sentinel_ask(r->base, &r->target, r->sentinel_first, r->timeout_ms < 500 ? r->timeout_ms : 500,
                                     on_sentinel_answer, r);
    if (!r->query) {
        ss_error(NULL, "redis: asking the sentinels: out of memory");
        r->state = R_DISCONNECTED;
        schedule_reconnect(r);
    }
}

static void connect_to_primary(ss_redis *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        ss_warn(NULL, "redis %s:%d: %s", r->host, r->port, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    ac->data = r;
    if (ss_redis_libevent_attach(ac, r->base) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->state = R_CONNECTING;
    if (r->target.password[0])
        redisAsyncCommand(ac, on_auth_reply, NULL, "AUTH %s", r->target.password);
    if (r->target.nsentinels)
        redisAsyncCommand(ac, on_role_reply, NULL, "ROLE");
}

ss_redis *ss_redis_new(struct event_base *base, const ss_redis_target *target, int command_timeout_ms)
{
    ss_redis *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = base;
    r->target = *target;
    snprintf(r->host, sizeof r->host, "%s", target->direct.host);
    r->port = target->direct.port;
    r->timeout_ms = command_timeout_ms > 0 ? command_timeout_ms : 2000;
    r->backoff_ms = 100;
    r->max_backoff_ms = target->nsentinels ? 500 : 2000;
    r->reconnect_timer = evtimer_new(base, on_reconnect_timer, r);
    if (!r->reconnect_timer) {
        free(r);
        return NULL;
    }
    start_connect(r);
    return r;
}

void ss_redis_free(ss_redis *r)
{
    if (!r)
        return;
    r->closing = true;
    ss_redis_sentinel_cancel(r->query);
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        redisAsyncFree(ac); /* pending callbacks run now with a NULL reply */
    }
    event_free(r->reconnect_timer);
    free(r->scripts);
    free(r);
}

void ss_redis_on_connect(ss_redis *r, void (*fn)(void *user), void *user)
{
    r->on_connect_fn = fn;
    r->on_connect_user = user;
}

bool ss_redis_connected(const ss_redis *r)
{
    return r && !r->closing && r->state == R_CONNECTED; /* closing: callbacks run by ss_redis_free get no new requests */
}

static void pending_finish(pending *p, const redisReply *reply, const char *err)
{
    if (p->done)
        return;
    p->done = true;
    evtimer_del(p->timer);
    p->fn(p->user, reply, err);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pending_finish(arg, NULL, "timeout");
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    pending *p = privdata;
    redisReply *rep = reply;
    if (!rep)
        pending_finish(p, NULL, "connection lost");
    else if (rep->type == REDIS_REPLY_ERROR) {
        if (p->r->target.nsentinels && ac == p->r->ac && ss_redis_error_wants_new_primary(rep->str))
            leave_server(p->r, rep->str);
        pending_finish(p, NULL, rep->str);
    } else
        pending_finish(p, rep, NULL);
    event_free(p->timer);
    free(p);
}

int ss_redis_command_argv(ss_redis *r, ss_redis_reply_fn fn, void *user, int argc,
                          const char **argv, const size_t *lens)
{
    if (!ss_redis_connected(r))
        return -1;
    pending *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->r = r;
    p->fn = fn;
    p->user = user;
    p->timer = evtimer_new(r->base, on_timeout, p);
    if (!p->timer) {
        free(p);
        return -1;
    }
    if (redisAsyncCommandArgv(r->ac, on_reply, p, argc, argv, lens) != REDIS_OK) {
        event_free(p->timer);
        free(p);
        return -1;
    }
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    evtimer_add(p->timer, &tv);
    return 0;
}

int ss_redis_command(ss_redis *r, ss_redis_reply_fn fn, void *user, ...)
{
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    va_list ap;
    va_start(ap, user);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 64) {
        argv[argc] = a;
        lens[argc] = strlen(a);
        argc++;
    }
    va_end(ap);
    return ss_redis_command_argv(r, fn, user, argc, argv, lens);
}

void ss_redis_script_sha1(const ss_redis_script *script, char out[41])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(script->body, strlen(script->body), d, &n, EVP_sha1(), NULL) != 1 || n != 20)
        n = 0; /* leaves an empty SHA: EVALSHA answers NOSCRIPT and EVAL follows */
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    out[2 * n] = '\0';
}

/* The script's SHA-1, computed on first use; NULL when out of memory. */
static const char *script_sha(ss_redis *r, const ss_redis_script *script)
{
    for (size_t i = 0; i < r->nscripts; i++)
        if (r->scripts[i].script == script)
            return r->scripts[i].sha;
    struct known_script *g = realloc(r->scripts, (r->nscripts + 1) * sizeof *g);
    if (!g)
        return NULL;
    r->scripts = g;
    g[r->nscripts].script = script;
    ss_redis_script_sha1(script, g[r->nscripts].sha);
    return g[r->nscripts++].sha;
}

typedef struct {
    ss_redis *r;
    const ss_redis_script *script;
    ss_redis_reply_fn fn;
    void *user;
    int argc;
    const char **argv; /* argv[0] "EVALSHA", argv[1] the SHA; then numkeys, keys, args */
    char *copy;        /* one block holding argv's strings */
    char sha[41];
    redisReply *held;  /* a durable script's answer while WAIT runs */
} eval_call;

static void eval_call_free(eval_call *c)
{
    if (c->held)
        freeReplyObject(c->held);
    free(c->copy);
    free(c->argv);
    free(c);
}

/* A deep copy of a reply that freeReplyObject() can free; NULL when out of
 * memory. */
static redisReply *reply_copy(const redisReply *src)
{
    redisReply *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->type = src->type;
    r->integer = src->integer;
    if (src->str) {
        r->str = malloc(src->len + 1);
        if (!r->str) {
            free(r);
            return NULL;
        }
        memcpy(r->str, src->str, src->len);
        r->str[src->len] = '\0';
        r->len = src->len;
    }
    if (src->element && src->elements) {
        r->element = calloc(src->elements, sizeof *r->element);
        if (!r->element) {
            freeReplyObject(r);
            return NULL;
        }
        r->elements = src->elements;
        for (size_t i = 0; i < src->elements; i++)
            if (!(r->element[i] = reply_copy(src->element[i]))) {
                freeReplyObject(r);
                return NULL;
            }
    }
    return r;
}

static void on_wait_reply(void *user, const redisReply *reply, const char *err)
{
    eval_call *c = user;
    int want = c->r->target.wait_replicas;
    if (!err && reply->type == REDIS_REPLY_INTEGER && reply->integer >= want) {
        c->fn(c->user, c->held, NULL);
    } else {
        char why[200];
        if (err)
            snprintf(why, sizeof why, "not replicated: WAIT failed: %s", err);
        else
            snprintf(why, sizeof why, "not replicated: %lld of %d replicas hold the write after %d ms",
                     reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0LL, want,
                     c->r->target.wait_timeout_ms);
        ss_warn(NULL, "redis: script %s: %s", c->script->name, why);
        c->fn(c->user, NULL, why);
    }
    eval_call_free(c);
}

/* After a durable script succeeded: WAIT, then the caller (answered with an
 * error when WAIT cannot be sent). */
static void wait_for_replicas(eval_call *c, const redisReply *reply)
{
    char n[16], ms[16];
    snprintf(n, sizeof n, "%d", c->r->target.wait_replicas);
    snprintf(ms, sizeof ms, "%d", c->r->target.wait_timeout_ms);
    const char *argv[] = {"WAIT", n, ms};
    if (!(c->held = reply_copy(reply))) {
        c->fn(c->user, NULL, "out of memory");
        eval_call_free(c);
        return;
    }
    if (ss_redis_command_argv(c->r, on_wait_reply, c, 3, argv, NULL) != 0) {
        c->fn(c->user, NULL, "not replicated: connection lost before WAIT");
        eval_call_free(c);
    }
}

static void on_eval_reply(void *user, const redisReply *reply, const char *err)
{
    eval_call *c = user;
    if (err && strncmp(err, "NOSCRIPT", 8) == 0 && strcmp(c->argv[0], "EVALSHA") == 0) {
        ss_info(NULL,
                "redis: script %s not in the server's cache (first use, or Redis restarted or "
                "flushed); loading it",
                c->script->name);
        c->argv[0] = "EVAL";
        c->argv[1] = c->script->body;
        if (ss_redis_command_argv(c->r, on_eval_reply, c, c->argc, c->argv, NULL) == 0)
            return;
        reply = NULL;
        err = "connection lost";
    }
    if (!err && c->script->durable && c->r->target.wait_replicas > 0) {
        wait_for_replicas(c, reply);
        return;
    }
    c->fn(c->user, reply, err);
    eval_call_free(c);
}

int ss_redis_eval(ss_redis *r, const ss_redis_script *script, int nkeys, const char *const *keys,
                  int nargs, const char *const *args, ss_redis_reply_fn fn, void *user)
{
    if (!ss_redis_connected(r))
        return -1;
    const char *sha = script_sha(r, script);
    char numkeys[16];
    snprintf(numkeys, sizeof numkeys, "%d", nkeys);
    size_t bytes = strlen(numkeys) + 1;
    for (int i = 0; i < nkeys; i++)
        bytes += strlen(keys[i]) + 1;
    for (int i = 0; i < nargs; i++)
        bytes += strlen(args[i]) + 1;
    eval_call *c = calloc(1, sizeof *c);
    int argc = 3 + nkeys + nargs;
    if (c) {
        c->argv = calloc((size_t)argc, sizeof *c->argv);
        c->copy = malloc(bytes);
    }
    if (!sha || !c || !c->argv || !c->copy) {
        if (c)
            eval_call_free(c);
        return -1;
    }
    c->r = r;
    c->script = script;
    c->fn = fn;
    c->user = user;
    c->argc = argc;
    snprintf(c->sha, sizeof c->sha, "%s", sha); /* r->scripts may move */
    char *w = c->copy;
    c->argv[0] = "EVALSHA";
    c->argv[1] = c->sha;
    for (int i = 2; i < argc; i++) {
        const char *src = i == 2 ? numkeys : i < 3 + nkeys ? keys[i - 3] : args[i - 3 - nkeys];
        size_t n = strlen(src) + 1;
        memcpy(w, src, n);
        c->argv[i] = w;
        w += n;
    }
    if (ss_redis_command_argv(r, on_eval_reply, c, argc, c->argv, NULL) != 0) {
        eval_call_free(c);
        return -1;
    }
    return 0;
}
