/* Asking Redis Sentinels for the primary's address from an event loop,
 * without blocking it.
 *
 * One query asks the sentinels of an ss_redis_target one at a time, starting
 * with `first` (the one that answered last, as the Sentinel client spec
 * suggests): connect, AUTH when a sentinel password is set, SENTINEL
 * get-master-addr-by-name; each sentinel gets at most timeout_ms. The first
 * address any of them gives ends the query; if none does, the query ends
 * with the last error. fn runs exactly once, on the loop, never from inside
 * ss_redis_sentinel_ask(), unless the query is cancelled first.
 * Loop thread only. */
#ifndef SS_COMMON_REDIS_SENTINEL_H
#define SS_COMMON_REDIS_SENTINEL_H

#include "common/redis_target.h"

#include <stddef.h>

struct event_base;
typedef struct ss_redis_sentinel_query ss_redis_sentinel_query;

/* primary is NULL exactly when err is set; `answered` is the index of the
 * sentinel that gave it (start the next query there). */
typedef void (*ss_redis_sentinel_fn)(void *user, const ss_redis_address *primary, size_t answered,
                                     const char *err);

/* NULL when out of memory (fn is then never called). t must outlive the query. */
ss_redis_sentinel_query *ss_redis_sentinel_ask(struct event_base *base, const ss_redis_target *t,
                                               size_t first, int timeout_ms, ss_redis_sentinel_fn fn,
                                               void *user);

/* Stops a query that has not called fn yet; fn is then never called. */
void ss_redis_sentinel_cancel(ss_redis_sentinel_query *q);

#endif
