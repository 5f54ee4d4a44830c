/* Backend B readiness: is the relay configured, and did it answer lately?
 *
 * Every relay_probe_interval_ms (the first one right at start) the probe sends
 * `GET {relay_url}/v1/models` with the bearer key through the relay client; a
 * 2xx within relay_timeout_ms makes the relay reachable, anything else makes it
 * unreachable with a reason ("connection refused ...", "HTTP 401: bad relay
 * key ...", "timeout after N ms ..."). At most one probe is in flight; a tick
 * that finds one still running is skipped. Nothing is probed when the relay is
 * not configured (relay_url or relay_key empty). readyz and backend selection
 * read the last result with relay_probe_get(). Loop thread only. */
#ifndef SS_GATEWAY_RELAY_PROBE_H
#define SS_GATEWAY_RELAY_PROBE_H

#include "common/settings.h"
#include "gateway/relay_client.h"

#include <stdbool.h>
#include <stddef.h>

struct event_base;
typedef struct relay_probe relay_probe;

typedef struct {
    bool configured;      /* relay_url and relay_key both set */
    bool reachable;       /* the last probe got a 2xx */
    char reason[320];     /* why not configured / not reachable; "" when reachable */
    int probes_done;      /* probes that finished since start */
} relay_probe_status;

/* Starts probing `client` (not owned; must outlive the probe). NULL with err
 * filled when the timer cannot be created. */
relay_probe *relay_probe_new(struct event_base *base, relay_client *client,
                             const ss_settings *settings, char *err, size_t errlen);
void relay_probe_free(relay_probe *p);

/* The last result. A NULL probe reads as not configured. */
void relay_probe_get(const relay_probe *p, relay_probe_status *out);

#endif
