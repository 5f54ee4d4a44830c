/* Rate limits (API.md §1): sliding windows (GW_RATE_LIMIT_WINDOW_MS) in Redis
 * per API key, user and tenant, with the limits of the tenant's policy
 * (defaults in state_keys.h).
 *
 * One Lua function checks all the caller's windows and, only when all have
 * room, records the request in all of them (so a refused request costs
 * nothing). Every rate-limited answer carries X-Scaispeak-Ratelimit-Limit,
 * -Remaining and -Reset (seconds until the tightest window frees a slot); over
 * a limit: 429 RATE_LIMITED with Retry-After and error.retry_after. Keys: the
 * GW_KEY_RATE_* ZSETs of request stamps (expire after one idle window).
 *
 * The check runs as the rate-limit phase (gw_rate_limit), or inside a
 * handler's own first script (GW_ROUTE_RATE_LIMITS_ITSELF): such a script
 * starts with RATE_LIMIT_FN, calls rate_limit(k, a) with the KEYS and ARGV
 * offsets where gw_rate_limit_prepare()'s keys and args were placed, and hands
 * the verdict to gw_rate_limit_conclude(). Whether a caller is rate limited at
 * all is request_phases.c's decision, not this file's. */
#ifndef SS_GATEWAY_RATE_LIMIT_H
#define SS_GATEWAY_RATE_LIMIT_H

#include "gateway/gateway.h"
#include "gateway/state_keys.h"

/* rate_limit(k, a): KEYS[k] the policy key when ARGV[a+3] == '1', then one key
 * per window; ARGV[a..]: now_ms member window_ms has_policy nwindows,
 * nwindows policy field names, nwindows default limits.
 * -> {allowed 0/1, limit, remaining, reset_ms} of the tightest window. */
#define RATE_LIMIT_FN                                                                      \
    "local function rate_limit(k, a)\n"                                                    \
    "  local now, member, win = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])\n"  \
    "  local n = tonumber(ARGV[a + 4])\n"                                                  \
    "  local limits = {}\n"                                                                \
    "  for i = 1, n do limits[i] = tonumber(ARGV[a + 4 + n + i]) end\n"                    \
    "  local kw = k\n"                                                                     \
    "  if ARGV[a + 3] == '1' then\n"                                                       \
    "    kw = k + 1\n"                                                                     \
    "    local p = redis.call('GET', KEYS[k])\n"                                           \
    "    if p then\n"                                                                      \
    "      local ok, pol = pcall(cjson.decode, p)\n"                                       \
    "      if ok and type(pol) == 'table' and type(pol.rate_limits) == 'table' then\n"     \
    "        for i = 1, n do\n"                                                            \
    "          local v = tonumber(pol.rate_limits[ARGV[a + 4 + i]])\n"                     \
    "          if v then limits[i] = v end\n"                                              \
    "        end\n"                                                                        \
    "      end\n"                                                                          \
    "    end\n"                                                                            \
    "  end\n"                                                                              \
    "  local best = {1, 0, math.huge, 0}\n"                                                \
    "  local allowed = 1\n"                                                                \
    "  for i = 1, n do\n"                                                                  \
    "    local key = KEYS[kw + i - 1]\n"                                                   \
    "    redis.call('ZREMRANGEBYSCORE', key, 0, now - win)\n"                              \
    "    local remaining = limits[i] - redis.call('ZCARD', key)\n"                         \
    "    local reset = 0\n"                                                                \
    "    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')\n"                   \
    "    if oldest[2] then reset = tonumber(oldest[2]) + win - now end\n"                  \
    "    if remaining <= 0 then allowed = 0 end\n"                                         \
    "    if remaining < best[3] then best = {1, limits[i], remaining, reset} end\n"        \
    "  end\n"                                                                              \
    "  if allowed == 1 then\n"                                                             \
    "    for i = 1, n do\n"                                                                \
    "      redis.call('ZADD', KEYS[kw + i - 1], now, member)\n"                            \
    "      redis.call('PEXPIRE', KEYS[kw + i - 1], win)\n"                                 \
    "    end\n"                                                                            \
    "    best[3] = best[3] - 1\n"                                                          \
    "    if best[4] == 0 then best[4] = win end\n"                                         \
    "  end\n"                                                                              \
    "  if best[3] == math.huge then return {1, 0, 0, 0} end\n"                             \
    "  return {allowed, best[2], math.max(best[3], 0), best[4]}\n"                         \
    "end\n"

/* The keys and args of one check, owned by the struct. */
typedef struct {
    char key_bufs[4][GW_STATE_KEY_MAX];
    char now[32], member[64], window[16], has_policy[2], nwindows[4];
    char defaults[3][16];
    const char *keys[4];
    const char *args[5 + 3 + 3];
    int nkeys, nargs;
} gw_rate_limit_call;

/* Fills call for r's caller. Returns 0, or -1 when a key cannot be built
 * (ids longer than any key allows). */
int gw_rate_limit_prepare(const gw_request *r, gw_rate_limit_call *call);

/* Applies a verdict ({allowed, limit, remaining, reset_ms}): adds the
 * headers and returns true when the request may go on; else answers it (429,
 * or 503 for a verdict it cannot read) and returns false. */
bool gw_rate_limit_conclude(gw_request *r, const redisReply *verdict);

/* Checks and counts r's caller on its own script; then(r, user) when the
 * request may go on, else the request is answered (429/503) and user freed
 * with user_free. */
void gw_rate_limit_check(gw_request *r, void (*then)(gw_request *r, void *user), void *user,
                         void (*user_free)(void *user));

/* The rate-limit phase: gw_rate_limit_check, then gw_phase_next(r). */
void gw_rate_limit(gw_request *r);

#endif
