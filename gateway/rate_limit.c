/* Rate limits (see rate_limit.h). */
#include "gateway/rate_limit.h"

#include "common/ids.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char RATE_LIMIT_LUA[] =
    /* KEYS: window keys (key, user, tenant; "" = skip); ARGV: now_ms member tenant_id
     * Returns {allowed(0/1), limit, remaining, reset_ms} of the tightest window. */
    "local defaults = {60, 120, 1000}\n"
    "local names = {'per_key', 'per_user', 'per_tenant'}\n"
    "local limits = {defaults[1], defaults[2], defaults[3]}\n"
    "local p = redis.call('GET', 'ss:tenant:' .. ARGV[3] .. ':policy')\n"
    "if p then\n"
    "  local ok, pol = pcall(cjson.decode, p)\n"
    "  if ok and type(pol.rate_limits) == 'table' then\n"
    "    for i = 1, 3 do\n"
    "      local v = tonumber(pol.rate_limits[names[i]])\n"
    "      if v then limits[i] = v end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local now = tonumber(ARGV[1])\n"
    "local best = {1, 0, math.huge, 0}\n"
    "local allowed = 1\n"
    "for i = 1, 3 do\n"
    "  if KEYS[i] ~= '' then\n"
    "    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - 60000)\n"
    "    local n = redis.call('ZCARD', KEYS[i])\n"
    "    local remaining = limits[i] - n\n"
    "    local reset = 0\n"
    "    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')\n"
    "    if oldest[2] then reset = tonumber(oldest[2]) + 60000 - now end\n"
    "    if remaining <= 0 then allowed = 0 end\n"
    "    if remaining < best[3] then best = {1, limits[i], remaining, reset} end\n"
    "  end\n"
    "end\n"
    "if allowed == 1 then\n"
    "  for i = 1, 3 do\n"
    "    if KEYS[i] ~= '' then\n"
    "      redis.call('ZADD', KEYS[i], now, ARGV[2])\n"
    "      redis.call('PEXPIRE', KEYS[i], 60000)\n"
    "    end\n"
    "  end\n"
    "  best[3] = best[3] - 1\n"
    "  if best[4] == 0 then best[4] = 60000 end\n"
    "end\n"
    "if best[3] == math.huge then return {1, 0, 0, 0} end\n"
    "return {allowed, best[2], math.max(best[3], 0), best[4]}\n";

typedef struct {
    gw_request *r;
    gw_handler_fn next;
} rl_pending;

static void on_checked(void *user, const redisReply *reply, const char *err)
{
    rl_pending *p = user;
    gw_request *r = p->r;
    gw_handler_fn next = p->next;
    free(p);
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "state store (redis) unavailable", NULL);
        return;
    }
    long long allowed = reply->element[0]->integer, limit = reply->element[1]->integer;
    long long remaining = reply->element[2]->integer, reset_ms = reply->element[3]->integer;
    long long reset_s = (reset_ms + 999) / 1000;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    char num[32];
    snprintf(num, sizeof num, "%lld", limit);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Limit", num);
    snprintf(num, sizeof num, "%lld", remaining);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Remaining", num);
    snprintf(num, sizeof num, "%lld", reset_s);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Reset", num);
    if (!allowed) {
        evhttp_add_header(h, "Retry-After", num);
        ss_info(r->id, "rate limited (limit %lld per 60 s)", limit);
        json_t *body = ss_envelope_error(SS_ERR_RATE_LIMITED, "too many requests; retry later", NULL, r->id);
        json_object_set_new(json_object_get(body, "error"), "retry_after", json_integer(reset_s));
        gw_reply_json(r, 429, body);
        return;
    }
    next(r);
}

void gw_rate_limit(gw_request *r, gw_handler_fn next)
{
    const gw_caller *c = &r->caller;
    if (c->kind == CALLER_OPERATOR_TOKEN) {
        next(r);
        return;
    }
    char k_key[160] = "", k_user[220] = "", k_tenant[160] = "", now[32], member[64];
    if (*c->key_id)
        snprintf(k_key, sizeof k_key, "ss:rl:key:%s", c->key_id);
    if (*c->user_id)
        snprintf(k_user, sizeof k_user, "ss:rl:user:%s:%s", c->tenant_id, c->user_id);
    if (*c->tenant_id)
        snprintf(k_tenant, sizeof k_tenant, "ss:rl:tenant:%s", c->tenant_id);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(now, sizeof now, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    /* Unique per request even when a client reuses its X-Request-Id (which
     * would otherwise overwrite its own entry and escape the count). */
    char rnd[13];
    if (ss_random_base62(rnd, 12) != 0)
        snprintf(rnd, sizeof rnd, "%012lld", (long long)ts.tv_nsec);
    rnd[12] = '\0';
    snprintf(member, sizeof member, "%s:%.12s", now, rnd);
    rl_pending *p = malloc(sizeof *p);
    if (!p) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    *p = (rl_pending){r, next};
    if (ss_redis_command(r->gw->redis, on_checked, p, "EVAL", RATE_LIMIT_LUA, "3", k_key, k_user,
                         k_tenant, now, member, c->tenant_id, NULL) != 0) {
        free(p);
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "state store (redis) unavailable", NULL);
    }
}
