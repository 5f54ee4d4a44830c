/* Async Redis client on a libevent loop (hiredis async), with reconnect.
 *
 * The gateway and worker keep one connection per process on their event loop.
 * When the connection drops (Redis restarted, network cut) the client keeps
 * retrying with exponential backoff (100 ms doubling to 2 s) and never gives up;
 * callers see the outage as commands that fail at once, and the process
 * recovers by itself when Redis is back.
 *
 * Contract of ss_redis_command*(): returns -1 when there is no connection now
 * (the callback is NOT called; the caller answers its request itself), else 0
 * and the callback runs exactly once on the loop thread: with the reply, or with
 * an error string (an error reply, "timeout", or "connection lost").
 *
 * Lua scripts run with EVALSHA (ss_redis_eval): only the 40-character SHA-1
 * travels with each call. Redis forgets its script cache when it restarts (or
 * on SCRIPT FLUSH); it then answers NOSCRIPT, and the client sends the same
 * call once more as EVAL with the body, which runs it and reloads the cache.
 * The caller sees only that second answer. Scripts receive every key they
 * touch through KEYS[] (a clustered Redis needs them declared).
 *
 * Sentinel (common/redis_target.h): when the target names sentinels, each
 * (re)connection first asks them for the primary (common/redis_sentinel.h),
 * connects there and sends ROLE; the client counts as connected only once
 * ROLE says master. A lost connection, or an answer that says the server is
 * not the primary any more (READONLY, MASTERDOWN, LOADING), starts that over,
 * so a failover is followed without a restart; retries back off from 100 ms
 * to 500 ms instead of 2 s. A script marked `durable` is followed by WAIT
 * (target->wait_replicas, wait_timeout_ms) and its caller sees its answer
 * only once enough replicas hold the write; otherwise the error
 * "not replicated: …". */
#ifndef SS_COMMON_REDIS_ASYNC_H
#define SS_COMMON_REDIS_ASYNC_H

#include "common/redis_target.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
typedef struct ss_redis ss_redis;

/* reply is NULL exactly when err is non-NULL. The reply is freed after the call. */
typedef void (*ss_redis_reply_fn)(void *user, const redisReply *reply, const char *err);

/* The target is copied. */
ss_redis *ss_redis_new(struct event_base *base, const ss_redis_target *target, int command_timeout_ms);
void ss_redis_free(ss_redis *r);
bool ss_redis_connected(const ss_redis *r);
/* fn runs on the loop each time the connection is (re)established, before any
 * queued work: for idempotent set-up writes (the gateway ensures its platform
 * records exist, also after a Redis restart that lost data). */
void ss_redis_on_connect(ss_redis *r, void (*fn)(void *user), void *user);

int ss_redis_command_argv(ss_redis *r, ss_redis_reply_fn fn, void *user, int argc,
                          const char **argv, const size_t *lens);
/* Convenience for NUL-terminated arguments: ss_redis_command(r, fn, u, "GET", key, NULL). */
int ss_redis_command(ss_redis *r, ss_redis_reply_fn fn, void *user, ...);

/* A Lua script: a name for logs and its body. Define each one once as a
 * constant; the client computes its SHA-1 on first use and keeps it. */
typedef struct {
    const char *name;
    const char *body;
    /* true for writes that must survive a failover: answered only after WAIT
     * (see above). */
    bool durable;
} ss_redis_script;

/* Runs `script` with nkeys KEYS and nargs ARGV (NUL-terminated strings) by
 * EVALSHA, reloading it on NOSCRIPT (see above). Same contract as
 * ss_redis_command_argv: -1 (fn not called) when there is no connection or no
 * memory, else fn runs exactly once. */
int ss_redis_eval(ss_redis *r, const ss_redis_script *script, int nkeys, const char *const *keys,
                  int nargs, const char *const *args, ss_redis_reply_fn fn, void *user);
/* The script's SHA-1 as 40 lowercase hex digits (what EVALSHA names). */
void ss_redis_script_sha1(const ss_redis_script *script, char out[41]);

#endif
