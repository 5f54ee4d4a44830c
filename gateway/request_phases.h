/* The phases every routed request goes through, as a list (nginx's phase
 * idea): authenticate -> authorize -> rate-limit -> handler.
 *
 * A phase gets the request and either answers it (which ends the walk) or
 * calls gw_phase_next(r), at once or later from a callback. No phase knows
 * which one follows it. Whether a phase runs for a request is decided here
 * and only here, from the phase's row of the table:
 *   - public routes (need NEED_NOTHING) skip everything but the handler;
 *   - the operator token skips authorization and rate limiting (the one
 *     place where that bypass is written);
 *   - a route whose handler rate-limits inside its own first Redis script
 *     (GW_ROUTE_RATE_LIMITS_ITSELF: /speak, to save a round trip) skips the
 *     rate-limit phase; the handler asks gw_phase_required() whether to count;
 *   - a walk may start again from the first phase (gw_phases_restart) when
 *     an identity taken from the cache turns out stale (auth.c).
 * The table is data, so tests run the walk with tables of their own. */
#ifndef SS_GATEWAY_REQUEST_PHASES_H
#define SS_GATEWAY_REQUEST_PHASES_H

#include "gateway/gateway.h"

typedef enum {
    GW_PHASE_AUTHENTICATE,
    GW_PHASE_AUTHORIZE,
    GW_PHASE_RATE_LIMIT,
    GW_PHASE_HANDLER,
} gw_phase_id;

struct gw_phase {
    gw_phase_id id;
    const char *name;
    void (*run)(gw_request *r);
    bool skipped_on_public_routes;
    bool skipped_for_operator_token;
    unsigned skipped_on_route_flags; /* GW_ROUTE_* bits that skip it */
};

/* The gateway's phases, in order (the handler phase calls r->handler). */
const gw_phase *gw_phases(size_t *count);

/* Starts the walk of `phases` for r (r->need, r->route_flags and r->handler
 * set by the caller). */
void gw_phases_start(gw_request *r, const gw_phase *phases, size_t count);

/* Walks r's phases again from the first (auth.c's gw_authenticate_again:
 * a cached identity that must be read afresh). */
void gw_phases_restart(gw_request *r);

/* Runs the next phase that applies to r. */
void gw_phase_next(gw_request *r);

/* Whether r must go through the phase `id` of its walk, whoever runs it: the
 * public-route and operator-token rules, not the route flags (a handler that
 * runs a phase itself asks this). False when the walk has no such phase. */
bool gw_phase_required(const gw_request *r, gw_phase_id id);

#endif
