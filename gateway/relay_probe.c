/* Backend B readiness probe (see relay_probe.h).
 *
 * A libevent timer fires at once and then every relay_probe_interval_ms; each
 * tick starts one relay_get_models() call unless the previous one is still in
 * flight. The answer overwrites the status; only changes of reachability are
 * logged (a relay that stays down does not flood the log). */
#include "gateway/relay_probe.h"

#include "common/log.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct relay_probe {
    relay_client *client;
    struct event *timer;
    long interval_ms;
    relay_call *in_flight;
    relay_probe_status status;
};

static void arm(relay_probe *p, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(p->timer, &tv);
}

static void on_probe_done(void *user, const relay_result *res)
{
    relay_probe *p = user;
    p->in_flight = NULL;
    bool was = p->status.reachable;
    p->status.reachable = res->error_class == RELAY_OK;
    p->status.probes_done++;
    if (p->status.reachable)
        p->status.reason[0] = '\0';
    else
        snprintf(p->status.reason, sizeof p->status.reason, "%s", res->message);
    if (p->status.reachable && (!was || p->status.probes_done == 1))
        ss_info(NULL, "backend B relay reachable (GET /v1/models: HTTP %d in %.0f ms)",
                res->http_status, res->elapsed_ms);
    else if (!p->status.reachable && (was || p->status.probes_done == 1))
        ss_warn(NULL, "backend B relay unreachable: %s", p->status.reason);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    relay_probe *p = arg;
    arm(p, p->interval_ms);
    if (p->in_flight)
        return;
    char err[256] = "";
    p->in_flight = relay_get_models(p->client, NULL, on_probe_done, p, err, sizeof err);
    if (!p->in_flight) {
        p->status.reachable = false;
        snprintf(p->status.reason, sizeof p->status.reason, "probe cannot start: %s", err);
    }
}

relay_probe *relay_probe_new(struct event_base *base, relay_client *client,
                             const ss_settings *settings, char *err, size_t errlen)
{
    relay_probe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->client = client;
    p->interval_ms = settings->relay_probe_interval_ms; /* >= 100, checked at load */
    const char *why = NULL;
    p->status.configured = relay_client_configured(client, &why);
    if (!p->status.configured) {
        snprintf(p->status.reason, sizeof p->status.reason, "%s", why);
        return p; /* nothing to probe */
    }
    snprintf(p->status.reason, sizeof p->status.reason, "first probe in flight");
    p->timer = evtimer_new(base, on_tick, p);
    if (!p->timer) {
        snprintf(err, errlen, "cannot create the relay probe timer");
        free(p);
        return NULL;
    }
    arm(p, 0);
    return p;
}

void relay_probe_free(relay_probe *p)
{
    if (!p)
        return;
    relay_cancel(p->in_flight);
    if (p->timer)
        event_free(p->timer);
    free(p);
}

void relay_probe_get(const relay_probe *p, relay_probe_status *out)
{
    if (!p) {
        memset(out, 0, sizeof *out);
        snprintf(out->reason, sizeof out->reason, "relay probe is not running");
        return;
    }
    *out = p->status;
}
