/* Redis calls for requests (see state_call.h).
 *
 * Each call carries a small record (request, done, context) through the
 * async client; the record is the only thing allocated here. */
#include "gateway/state_call.h"

#include "common/log.h"

#include <stdlib.h>

typedef struct {
    gw_request *r;
    gw_state_done_fn done;
    void *user;
    gw_state_free_fn user_free;
} state_call;

void gw_state_unavailable(gw_request *r, const char *cause)
{
    ss_warn(r->id, "%s: %s (%s %s)", GW_STATE_UNAVAILABLE_MESSAGE, cause ? cause : "unknown cause",
            r->method, r->route);
    gw_reply_json(r, ss_api_error_status(SS_ERR_SERVICE_UNAVAILABLE),
                  ss_envelope_error(SS_ERR_SERVICE_UNAVAILABLE, GW_STATE_UNAVAILABLE_MESSAGE, NULL, r->id));
}

static void fail(gw_request *r, void *user, gw_state_free_fn user_free, const char *cause)
{
    if (user_free)
        user_free(user);
    gw_state_unavailable(r, cause);
}

/* The call could not be sent: no connection (503), or no memory for it. */
static void not_sent(gw_request *r, void *user, gw_state_free_fn user_free, bool out_of_memory)
{
    if (out_of_memory || ss_redis_connected(r->gw->redis)) {
        if (user_free)
            user_free(user);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    fail(r, user, user_free, "not connected");
}

static void on_reply(void *arg, const redisReply *reply, const char *err)
{
    state_call c = *(state_call *)arg;
    free(arg);
    if (err) {
        fail(c.r, c.user, c.user_free, err);
        return;
    }
    c.done(c.r, c.user, reply);
}

static state_call *call_new(gw_request *r, gw_state_done_fn done, void *user, gw_state_free_fn user_free)
{
    state_call *c = malloc(sizeof *c);
    if (c)
        *c = (state_call){r, done, user, user_free};
    return c;
}

void gw_state_eval(gw_request *r, const ss_redis_script *script, int nkeys, const char *const *keys,
                   int nargs, const char *const *args, gw_state_done_fn done, void *user,
                   gw_state_free_fn user_free)
{
    state_call *c = call_new(r, done, user, user_free);
    if (!c) {
        not_sent(r, user, user_free, true);
        return;
    }
    if (ss_redis_eval(r->gw->redis, script, nkeys, keys, nargs, args, on_reply, c) != 0) {
        free(c);
        not_sent(r, user, user_free, false);
    }
}

void gw_state_command(gw_request *r, int argc, const char *const *argv, gw_state_done_fn done,
                      void *user, gw_state_free_fn user_free)
{
    state_call *c = call_new(r, done, user, user_free);
    if (!c) {
        not_sent(r, user, user_free, true);
        return;
    }
    if (ss_redis_command_argv(r->gw->redis, on_reply, c, argc, (const char **)argv, NULL) != 0) {
        free(c);
        not_sent(r, user, user_free, false);
    }
}
