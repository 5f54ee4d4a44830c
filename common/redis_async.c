/* Async Redis client with reconnect (see redis_async.h).
 *
 * State machine: DISCONNECTED --connect()--> CONNECTING --onConnect ok-->
 * CONNECTED --onDisconnect--> DISCONNECTED (+ reconnect timer). Commands are
 * only accepted while CONNECTED. Every command carries a `pending` record with
 * its own timeout timer: whichever of reply, timeout or disconnect comes first
 * calls the user's callback; the record lives until hiredis hands it back (the
 * reply or the disconnect), so a late reply after a timeout is swallowed safely.
 *
 * Scripts: each client keeps the SHA-1 of every script it has run (a small
 * array, searched by the script's address). An EVALSHA call carries a copy of
 * its arguments until it is answered, so a NOSCRIPT answer can be followed by
 * the same call as EVAL. */
#include "common/redis_async.h"

#include "common/log.h"
#include "common/redis_libevent.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <hiredis/async.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { R_DISCONNECTED, R_CONNECTING, R_CONNECTED };

struct ss_redis {
    struct event_base *base;
    char host[256];
    int port;
    char password[256];
    int timeout_ms;
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
    r->backoff_ms = r->backoff_ms * 2 > 2000 ? 2000 : r->backoff_ms * 2;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_connect(arg);
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
    r->state = R_CONNECTED;
    r->backoff_ms = 100;
    ss_info(NULL, "redis %s:%d: connected", r->host, r->port);
    if (r->on_connect_fn)
        r->on_connect_fn(r->on_connect_user);
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

static void start_connect(ss_redis *r)
{
    if (r->closing || r->state != R_DISCONNECTED)
        return;
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
    if (r->password[0])
        redisAsyncCommand(ac, on_auth_reply, NULL, "AUTH %s", r->password);
}

ss_redis *ss_redis_new(struct event_base *base, const char *host, int port, const char *password,
                       int command_timeout_ms)
{
    ss_redis *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = base;
    snprintf(r->host, sizeof r->host, "%s", host);
    r->port = port;
    snprintf(r->password, sizeof r->password, "%s", password ? password : "");
    r->timeout_ms = command_timeout_ms > 0 ? command_timeout_ms : 2000;
    r->backoff_ms = 100;
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
    return r && r->state == R_CONNECTED;
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
    (void)ac;
    pending *p = privdata;
    redisReply *rep = reply;
    if (!rep)
        pending_finish(p, NULL, "connection lost");
    else if (rep->type == REDIS_REPLY_ERROR)
        pending_finish(p, NULL, rep->str);
    else
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
} eval_call;

static void eval_call_free(eval_call *c)
{
    free(c->copy);
    free(c->argv);
    free(c);
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
