/* Failed authentications per source address (API.md §1): after
 * auth_failures_per_minute presented-but-wrong credentials (401
 * AUTH_TOKEN_INVALID or SESSION_EXPIRED) from one address within a minute,
 * that address gets 429 RATE_LIMITED with Retry-After on every authenticated
 * route until its minute ends, before any credential it sends is looked at,
 * so a guess beyond the limit learns nothing. A missing Authorization
 * header is not a guess and is not counted.
 *
 * The counts live in this process (a fixed table, see auth_failures.c), not
 * in Redis: they cost no round trip on the hot path and keep working while
 * the state store is down. With N gateways behind a balancer an address may
 * fail up to N times the limit; that is documented in docs/SECURITY.md. */
#ifndef SS_GATEWAY_AUTH_FAILURES_H
#define SS_GATEWAY_AUTH_FAILURES_H

#include <stdbool.h>
#include <time.h>

#define AUTH_FAILURE_WINDOW_S 60

/* Whether addr is over limit failures in its current window (limit <= 0:
 * never); when it is, *retry_after_s gets the seconds until the window ends
 * (>= 1). */
bool auth_failures_blocked(const char *addr, long limit, time_t now, long *retry_after_s);

/* Counts one failed authentication from addr. */
void auth_failures_record(const char *addr, time_t now);

/* Forgets every count (tests). */
void auth_failures_reset(void);

#endif
