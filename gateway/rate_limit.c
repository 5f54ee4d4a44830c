/* Rate limits (see rate_limit.h). */
#include "gateway/rate_limit.h"

#include "gateway/request_phases.h"
#include "gateway/state_call.h"

#include "common/ids.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ss_redis_script RATE_LIMIT = {"rate_limit", RATE_LIMIT_FN "return rate_limit(1, 1)\n", .durable = false};

/* One window of the caller: its key and the policy field naming its limit. */
static int add_window(gw_rate_limit_call *call, const char *name, int default_limit, gw_key_kind kind,
                      const char *a, const char *b, int *n)
{
    char *buf = call->key_bufs[call->nkeys];
    if (gw_state_key(buf, GW_STATE_KEY_MAX, kind, a, b) != 0)
        return -1;
    call->keys[call->nkeys++] = buf;
    call->args[5 + *n] = name;
    snprintf(call->defaults[*n], sizeof call->defaults[*n], "%d", default_limit);
    (*n)++;
    return 0;
}

int gw_rate_limit_prepare(const gw_request *r, gw_rate_limit_call *call)
{
    const gw_caller *c = &r->caller;
    memset(call, 0, sizeof *call);
    bool has_policy = *c->tenant_id != '\0';
    if (has_policy) {
        if (gw_state_key(call->key_bufs[0], GW_STATE_KEY_MAX, GW_KEY_TENANT_POLICY, c->tenant_id, NULL) != 0)
            return -1;
        call->keys[call->nkeys++] = call->key_bufs[0];
    }
    int n = 0;
    if (*c->key_id &&
        add_window(call, "per_key", GW_RATE_LIMIT_PER_KEY_DEFAULT, GW_KEY_RATE_KEY, c->key_id, NULL, &n) != 0)
        return -1;
    if (*c->user_id && add_window(call, "per_user", GW_RATE_LIMIT_PER_USER_DEFAULT, GW_KEY_RATE_USER,
                                  c->tenant_id, c->user_id, &n) != 0)
        return -1;
    if (*c->tenant_id && add_window(call, "per_tenant", GW_RATE_LIMIT_PER_TENANT_DEFAULT,
                                    GW_KEY_RATE_TENANT, c->tenant_id, NULL, &n) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        call->args[5 + n + i] = call->defaults[i];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    snprintf(call->now, sizeof call->now, "%lld", now_ms);
    /* Unique per request even when a client reuses its X-Request-Id (which
     * would otherwise overwrite its own entry and escape the count). */
    char rnd[13];
    if (ss_random_base62(rnd, 12) != 0)
        snprintf(rnd, sizeof rnd, "%012lld", (long long)ts.tv_nsec);
    rnd[12] = '\0';
    snprintf(call->member, sizeof call->member, "%s:%.12s", call->now, rnd);
    snprintf(call->window, sizeof call->window, "%d", GW_RATE_LIMIT_WINDOW_MS);
    snprintf(call->has_policy, sizeof call->has_policy, "%d", has_policy);
    snprintf(call->nwindows, sizeof call->nwindows, "%d", n);
    call->args[0] = call->now;
    call->args[1] = call->member;
    call->args[2] = call->window;
    call->args[3] = call->has_policy;
    call->args[4] = call->nwindows;
    call->nargs = 5 + 2 * n;
    return 0;
}

bool gw_rate_limit_conclude(gw_request *r, const redisReply *v)
{
    if (!v || v->type != REDIS_REPLY_ARRAY || v->elements != 4) {
        gw_state_unavailable(r, "unexpected rate-limit verdict");
        return false;
    }
    for (size_t i = 0; i < 4; i++)
        if (v->element[i]->type != REDIS_REPLY_INTEGER) {
            gw_state_unavailable(r, "unexpected rate-limit verdict");
            return false;
        }
    long long allowed = v->element[0]->integer, limit = v->element[1]->integer;
    long long remaining = v->element[2]->integer, reset_ms = v->element[3]->integer;
    long long reset_s = (reset_ms + 999) / 1000;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    char num[32];
    snprintf(num, sizeof num, "%lld", limit);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Limit", num);
    snprintf(num, sizeof num, "%lld", remaining);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Remaining", num);
    snprintf(num, sizeof num, "%lld", reset_s);
    evhttp_add_header(h, "X-Scaispeak-Ratelimit-Reset", num);
    if (allowed)
        return true;
    evhttp_add_header(h, "Retry-After", num);
    ss_info(r->id, "rate limited (limit %lld per %d s)", limit, GW_RATE_LIMIT_WINDOW_MS / 1000);
    json_t *body = ss_envelope_error(SS_ERR_RATE_LIMITED, "too many requests; retry later", NULL, r->id);
    json_object_set_new(json_object_get(body, "error"), "retry_after", json_integer(reset_s));
    gw_reply_json(r, 429, body);
    return false;
}

typedef struct {
    void (*then)(gw_request *r, void *user);
    void *user;
    void (*user_free)(void *user);
} check_ctx;

static void check_ctx_free(void *p)
{
    check_ctx *c = p;
    if (c->user_free)
        c->user_free(c->user);
    free(c);
}

static void on_verdict(gw_request *r, void *user, const redisReply *reply)
{
    check_ctx c = *(check_ctx *)user;
    free(user);
    if (gw_rate_limit_conclude(r, reply))
        c.then(r, c.user);
    else if (c.user_free)
        c.user_free(c.user);
}

void gw_rate_limit_check(gw_request *r, void (*then)(gw_request *r, void *user), void *user,
                         void (*user_free)(void *user))
{
    gw_rate_limit_call call;
    check_ctx *c = malloc(sizeof *c);
    if (!c) {
        if (user_free)
            user_free(user);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    *c = (check_ctx){then, user, user_free};
    if (gw_rate_limit_prepare(r, &call) != 0) {
        check_ctx_free(c);
        gw_reply_error(r, SS_ERR_AUTH_TOKEN_INVALID, "the caller's ids are too long", NULL);
        return;
    }
    gw_state_eval(r, &RATE_LIMIT, call.nkeys, call.keys, call.nargs, call.args, on_verdict, c,
                  check_ctx_free);
}

static void next_phase(gw_request *r, void *user)
{
    (void)user;
    gw_phase_next(r);
}

void gw_rate_limit(gw_request *r)
{
    gw_rate_limit_check(r, next_phase, NULL, NULL);
}
