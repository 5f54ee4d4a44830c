/* Rate limits (API.md §1): sliding 60 s windows in Redis per API key, user and
 * tenant, with the limits of the tenant's policy (defaults 60 / 120 / 1000).
 *
 * One Lua script per request checks all three windows and, only when all have
 * room, records the request in all three (so a refused request costs nothing).
 * Every authenticated answer carries X-Scaispeak-Ratelimit-Limit, -Remaining
 * and -Reset (seconds until the tightest window frees a slot); over a limit:
 * 429 RATE_LIMITED with Retry-After and error.retry_after. Keys:
 * ss:rl:{key|user|tenant}:{id} ZSET of request stamps (expire after 60 s idle).
 * Callers with the operator token are not limited. */
#ifndef SS_GATEWAY_RATE_LIMIT_H
#define SS_GATEWAY_RATE_LIMIT_H

#include "gateway/gateway.h"

extern const char RATE_LIMIT_LUA[];

/* Checks and counts r's caller; calls next(r) when allowed, else answers 429
 * (or 503 when Redis is unreachable). */
void gw_rate_limit(gw_request *r, gw_handler_fn next);

#endif
