/* The shared synthesis limits' checks; see synth_limits.h. */
#include "common/synth_limits.h"

#include <math.h>
#include <stdio.h>

static bool in_range(double v, double lo, double hi, char *msg, size_t msglen)
{
    if (isfinite(v) && v >= lo && v <= hi)
        return true;
    snprintf(msg, msglen, "must be a number from %g to %g", lo, hi);
    return false;
}

bool ss_speed_ok(double v, char *msg, size_t msglen)
{
    return in_range(v, SS_SPEED_MIN, SS_SPEED_MAX, msg, msglen);
}

bool ss_openai_speed_ok(double v, char *msg, size_t msglen)
{
    return in_range(v, SS_OPENAI_SPEED_MIN, SS_OPENAI_SPEED_MAX, msg, msglen);
}

bool ss_engine_speed_ok(double v, char *msg, size_t msglen)
{
    return in_range(v, SS_ENGINE_SPEED_MIN, SS_ENGINE_SPEED_MAX, msg, msglen);
}

bool ss_pitch_ok(double v, char *msg, size_t msglen)
{
    return in_range(v, SS_PITCH_MIN, SS_PITCH_MAX, msg, msglen);
}
