/* Redis calls made on behalf of an HTTP request, with one answer for every
 * way the state store can fail.
 *
 * A handler names the command or script, its done callback and its own
 * context. When Redis is not connected, does not answer in time, or answers
 * an error, the request is answered here — always the same 503
 * SERVICE_UNAVAILABLE "state store (redis) unavailable", with the cause in
 * one log line carrying the request id — and the context is released with
 * user_free; done is then never called. Otherwise done runs once, on the
 * loop, with a reply that is never NULL and never an error (its shape is the
 * handler's to check: gw_state_unavailable() answers a reply it cannot use).
 *
 * Scripts go through ss_redis_eval (EVALSHA, reloaded on NOSCRIPT). */
#ifndef SS_GATEWAY_STATE_CALL_H
#define SS_GATEWAY_STATE_CALL_H

#include "gateway/gateway.h"

typedef void (*gw_state_done_fn)(gw_request *r, void *user, const redisReply *reply);
typedef void (*gw_state_free_fn)(void *user);

/* Runs `script` with KEYS keys[0..nkeys) and ARGV args[0..nargs). */
void gw_state_eval(gw_request *r, const ss_redis_script *script, int nkeys, const char *const *keys,
                   int nargs, const char *const *args, gw_state_done_fn done, void *user,
                   gw_state_free_fn user_free);

/* Runs a plain command argv[0..argc). */
void gw_state_command(gw_request *r, int argc, const char *const *argv, gw_state_done_fn done,
                      void *user, gw_state_free_fn user_free);

/* The one answer for "the state store failed us": 503, logged with `cause`
 * ("not connected", "timeout", an error reply, "unexpected reply to X"). */
void gw_state_unavailable(gw_request *r, const char *cause);

/* The message of that answer (tests and other answers compare against it). */
#define GW_STATE_UNAVAILABLE_MESSAGE "state store (redis) unavailable"

#endif
