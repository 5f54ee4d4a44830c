/* Which Redis a process talks to, and how it finds it: one fixed address, or
 * the primary that a set of Redis Sentinels names.
 *
 * Every process that keeps state in Redis (gateway, worker, the CLI's admin
 * commands, the gateway's heartbeat threads) builds one ss_redis_target from
 * its settings and hands it to the client it uses: common/redis_async.h on
 * an event loop, ss_redis_target_connect_sync() below where blocking is
 * allowed (the CLI, gRPC handler threads).
 *
 * With Sentinel (`redis_sentinels` set), the primary's address is never
 * configured: it is asked of the sentinels (SENTINEL get-master-addr-by-name
 * `redis_master_name`), trying them in order, and the connection is then
 * checked with ROLE — a sentinel that has not yet noticed a failover can
 * name an old primary that came back as a replica, and a client must not
 * stay on it. This is the procedure of Redis's "Sentinel client spec".
 *
 * Durable writes: with Sentinel, `redis_wait_replicas` (default 1) makes
 * every write that must survive a failover (API keys, voices, jobs, tenant
 * policies, erasure and audit rows: the scripts marked `durable`) wait with
 * WAIT until that many replicas hold it, for at most
 * `redis_wait_timeout_ms`; a write that is not replicated in time is
 * reported as failed (503 to the caller), never acknowledged. Without
 * Sentinel there is no failover, so nothing waits. */
#ifndef SS_COMMON_REDIS_TARGET_H
#define SS_COMMON_REDIS_TARGET_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

struct ss_settings;

enum { SS_REDIS_MAX_SENTINELS = 16 };

typedef struct {
    char host[256];
    int port;
} ss_redis_address;

typedef struct {
    ss_redis_address direct;   /* redis_host:redis_port; used when nsentinels == 0 */
    char password[256];        /* redis_password: the data nodes' AUTH */
    ss_redis_address sentinels[SS_REDIS_MAX_SENTINELS];
    size_t nsentinels;
    char master_name[128];     /* redis_master_name */
    char sentinel_password[256]; /* redis_sentinel_password: the sentinels' AUTH */
    int wait_replicas;         /* WAIT numreplicas for durable writes; 0: none */
    int wait_timeout_ms;
} ss_redis_target;

/* Fills t from the settings. Returns 0, or -1 with err set (a malformed
 * redis_sentinels list: "host:port[,host:port…]", at most 16). */
int ss_redis_target_from_settings(ss_redis_target *t, const struct ss_settings *s, char *err,
                                  size_t errlen);

/* Parses "host:port[,host:port…]" (spaces around items allowed; IPv6 as
 * [addr]:port) into out[0..*n). Returns 0, or -1 with err set. */
int ss_redis_parse_addresses(const char *list, ss_redis_address *out, size_t cap, size_t *n,
                             char *err, size_t errlen);

/* "host:port" for logs, or "sentinel master NAME". */
void ss_redis_target_describe(const ss_redis_target *t, char *out, size_t cap);

/* Blocking: finds the primary (through the sentinels when configured),
 * connects, authenticates and, with Sentinel, checks ROLE is master. Each
 * network step waits at most timeout_ms. The returned context has a command
 * timeout of timeout_ms. NULL with err set on failure. */
redisContext *ss_redis_target_connect_sync(const ss_redis_target *t, int timeout_ms, char *err,
                                           size_t errlen);

/* Blocking WAIT for a durable write just made on c (no-op when the target
 * does not wait). Returns 0, or -1 with err set (fewer replicas in time). */
int ss_redis_target_wait_sync(redisContext *c, const ss_redis_target *t, char *err, size_t errlen);

/* True for an error reply that means "this server is not the primary any
 * more" (READONLY, or a MASTERDOWN / LOADING answer during failover): the
 * client should drop the connection and find the primary again. */
bool ss_redis_error_wants_new_primary(const char *err);

#endif
