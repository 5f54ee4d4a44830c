/* The phase walk (see request_phases.h).
 *
 * The walk's position lives in the request (r->phases, r->next_phase), so a
 * phase that finishes on a later callback resumes the walk by calling
 * gw_phase_next(r); nothing here is global but the constant table. */
#include "gateway/request_phases.h"

#include "gateway/rate_limit.h"

static void run_handler(gw_request *r)
{
    r->handler(r);
}

static const gw_phase PHASES[] = {
    {GW_PHASE_AUTHENTICATE, "authenticate", gw_authenticate, true, false, 0},
    {GW_PHASE_AUTHORIZE, "authorize", gw_authorize, true, true, 0},
    {GW_PHASE_RATE_LIMIT, "rate_limit", gw_rate_limit, true, true, GW_ROUTE_RATE_LIMITS_ITSELF},
    {GW_PHASE_HANDLER, "handler", run_handler, false, false, 0},
};

const gw_phase *gw_phases(size_t *count)
{
    *count = sizeof PHASES / sizeof PHASES[0];
    return PHASES;
}

static bool required(const gw_request *r, const gw_phase *p)
{
    if (p->skipped_on_public_routes && r->need == NEED_NOTHING)
        return false;
    return !(p->skipped_for_operator_token && r->caller.kind == CALLER_OPERATOR_TOKEN);
}

static bool applies(const gw_request *r, const gw_phase *p)
{
    return required(r, p) && (r->route_flags & p->skipped_on_route_flags) == 0;
}

void gw_phases_start(gw_request *r, const gw_phase *phases, size_t count)
{
    r->phases = phases;
    r->nphases = count;
    r->next_phase = 0;
    gw_phase_next(r);
}

void gw_phases_restart(gw_request *r)
{
    r->next_phase = 0;
    gw_phase_next(r);
}

void gw_phase_next(gw_request *r)
{
    while (r->next_phase < r->nphases) {
        const gw_phase *p = &r->phases[r->next_phase++];
        if (applies(r, p)) {
            p->run(r);
            return;
        }
    }
    gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "no phase answered the request", NULL);
}

bool gw_phase_required(const gw_request *r, gw_phase_id id)
{
    for (size_t i = 0; i < r->nphases; i++)
        if (r->phases[i].id == id)
            return required(r, &r->phases[i]);
    return false;
}
