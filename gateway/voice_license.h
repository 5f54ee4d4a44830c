/* Licensed global voices (API.md §6): a global voice may carry
 * license{licensor, license_type, expires_at, character_cap,
 * characters_used}. Past expires_at, or when a synthesis would take the
 * characters used over character_cap, synthesis is refused with 403
 * SCAISPEAK_VOICE_LICENSE_EXPIRED.
 *
 * The characters used live in their own counter (ss:voice:{id}:license_used,
 * INCRBY), not in the record, so counting never races with record writes;
 * readers of the record fill license.characters_used from it. A synthesis
 * is charged its text's characters when it is admitted (before any audio),
 * by one script that checks the cap and counts in the same step, so two
 * gateways can never both take the last characters. A refused or failed
 * synthesis after admission is not refunded (documented). */
#ifndef SS_GATEWAY_VOICE_LICENSE_H
#define SS_GATEWAY_VOICE_LICENSE_H

#include "gateway/gateway.h"
#include "gateway/state_call.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* "2027-01-31T00:00:00Z" (fractions and "+00:00" accepted) -> ms; -1 if not such a time. */
int64_t voice_license_time_ms(const char *iso);

/* Appends {field, message} for each problem of a license object to details;
 * returns the number of problems (-1 out of memory). */
int voice_license_check(const json_t *license, json_t *details);

/* Whether the voice has a license whose expires_at is at or before now. */
bool voice_license_expired(const json_t *voice, int64_t now_ms);

/* Sets license.characters_used from a counter reply (nil = 0); no-op for
 * voices without a license. */
void voice_license_show_used(json_t *voice, const redisReply *counter);

/* Charges `chars` to a licensed voice. done(r, user, ok): ok false = over the
 * cap (answered by the caller). Redis failures answer 503 (state_call.h). */
typedef void (*voice_license_done_fn)(gw_request *r, void *user, bool ok);
void voice_license_charge(gw_request *r, const json_t *voice, size_t chars, voice_license_done_fn done, void *user,
                          gw_state_free_fn user_free);

/* The same charge outside an HTTP request (a WebSocket session's
 * sentences): fn gets {1, used} or {0, used}, or err. 0, or -1 when it was
 * not sent (no connection, out of memory). */
int voice_license_charge_async(ss_redis *redis, const json_t *voice, size_t chars, ss_redis_reply_fn fn, void *user);

#endif
