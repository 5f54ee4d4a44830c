/* HeartbeatRequest bounds (see heartbeat_check.h): one small function per
 * part of the message, run in order from a table; the first that fails
 * names the field. Strings are bounded in bytes and must be UTF-8
 * (protobuf-c does not check; the record is JSON, and jansson refuses a
 * string that is not, which used to surface as "out of memory"); numbers
 * are checked before
 * any arithmetic on them (started_at used to be multiplied by 1000 as it
 * came: INT64_MIN overflowed). */
#include "gateway/heartbeat_check.h"

#include "common/heartbeat_limits.h"
#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

typedef bool (*part_check)(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                           size_t msglen);

static bool string_ok(const char *s, size_t max, const char *field, char *msg, size_t msglen)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    if (n > max) {
        snprintf(msg, msglen, "%s is longer than %zu bytes", field, max);
        return false;
    }
    if (!ss_utf8_valid(s, n)) {
        snprintf(msg, msglen, "%s is not valid UTF-8", field);
        return false;
    }
    return true;
}

static bool count_ok(size_t n, size_t max, const char *field, char *msg, size_t msglen)
{
    if (n <= max)
        return true;
    snprintf(msg, msglen, "%s has %zu entries; at most %zu", field, n, max);
    return false;
}

static bool number_ok(unsigned long long v, unsigned long long max, const char *field, char *msg,
                      size_t msglen)
{
    if (v <= max)
        return true;
    snprintf(msg, msglen, "%s (%llu) is more than %llu", field, v, max);
    return false;
}

static bool check_identity(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                           size_t msglen)
{
    (void)now_s;
    return string_ok(hb->address, SS_HB_MAX_ADDRESS, "address", msg, msglen) &&
           string_ok(hb->version, SS_HB_MAX_SHORT_STRING, "version", msg, msglen) &&
           string_ok(hb->kernels, SS_HB_MAX_SHORT_STRING, "kernels", msg, msglen);
}

static bool check_engines(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                          size_t msglen)
{
    (void)now_s;
    if (!count_ok(hb->n_engines, SS_HB_MAX_ENGINES, "engines", msg, msglen))
        return false;
    for (size_t i = 0; i < hb->n_engines; i++) {
        const Scaiinfer__V1__HeartbeatEngine *e = hb->engines[i];
        if (!string_ok(e->engine_id, SS_HB_MAX_SHORT_STRING, "engines.engine_id", msg, msglen) ||
            !string_ok(e->kind, SS_HB_MAX_SHORT_STRING, "engines.kind", msg, msglen) ||
            !string_ok(e->version, SS_HB_MAX_SHORT_STRING, "engines.version", msg, msglen) ||
            !string_ok(e->gender, SS_HB_MAX_SHORT_STRING, "engines.gender", msg, msglen) ||
            !string_ok(e->accent, SS_HB_MAX_SHORT_STRING, "engines.accent", msg, msglen) ||
            !string_ok(e->language, SS_HB_MAX_SHORT_STRING, "engines.language", msg, msglen) ||
            !number_ok(e->sample_rate, SS_HB_MAX_SAMPLE_RATE, "engines.sample_rate", msg, msglen))
            return false;
    }
    return true;
}

static bool check_voices(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                         size_t msglen)
{
    (void)now_s;
    if (!count_ok(hb->n_voices_cached, SS_HB_MAX_VOICES, "voices_cached", msg, msglen))
        return false;
    for (size_t i = 0; i < hb->n_voices_cached; i++)
        if (!string_ok(hb->voices_cached[i], SS_HB_MAX_SHORT_STRING, "voices_cached entry", msg,
                       msglen))
            return false;
    return true;
}

static bool check_labels(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                         size_t msglen)
{
    (void)now_s;
    if (!count_ok(hb->n_labels, SS_HB_MAX_LABELS, "labels", msg, msglen))
        return false;
    for (size_t i = 0; i < hb->n_labels; i++)
        if (!string_ok(hb->labels[i]->key, SS_HB_MAX_LABEL_KEY, "label key", msg, msglen) ||
            !string_ok(hb->labels[i]->value, SS_HB_MAX_LABEL_VALUE, "label value", msg, msglen))
            return false;
    return true;
}

static bool check_capacity(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                           size_t msglen)
{
    (void)now_s;
    return number_ok(hb->slots, SS_HB_MAX_SLOTS, "slots", msg, msglen) &&
           number_ok(hb->in_flight, SS_HB_MAX_IN_FLIGHT, "in_flight", msg, msglen);
}

static bool check_gpu(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                      size_t msglen)
{
    (void)now_s;
    const Scaiinfer__V1__GpuFacts *g = hb->gpu;
    if (!g)
        return true;
    return string_ok(g->name, SS_HB_MAX_SHORT_STRING, "gpu.name", msg, msglen) &&
           number_ok(g->memory_total_mb, SS_HB_MAX_GPU_MB, "gpu.memory_total_mb", msg, msglen) &&
           number_ok(g->memory_used_mb, SS_HB_MAX_GPU_MB, "gpu.memory_used_mb", msg, msglen) &&
           number_ok(g->pool_limit_mb, SS_HB_MAX_GPU_MB, "gpu.pool_limit_mb", msg, msglen) &&
           number_ok(g->pool_used_mb, SS_HB_MAX_GPU_MB, "gpu.pool_used_mb", msg, msglen) &&
           number_ok(g->pinned_mb, SS_HB_MAX_GPU_MB, "gpu.pinned_mb", msg, msglen) &&
           number_ok(g->lanes, SS_HB_MAX_GPU_LANES, "gpu.lanes", msg, msglen);
}

/* started_at is the node's own clock: 0 (unknown) .. a day past the
 * gateway's clock. The record's last-heartbeat time is the gateway's. */
static bool check_started_at(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                             size_t msglen)
{
    if (hb->started_at >= 0 && hb->started_at <= now_s + SS_HB_MAX_CLOCK_AHEAD_S)
        return true;
    snprintf(msg, msglen, "started_at (%lld) must be unix seconds between 0 and %d s after the "
             "gateway's clock", (long long)hb->started_at, SS_HB_MAX_CLOCK_AHEAD_S);
    return false;
}

static const part_check CHECKS[] = {
    check_identity, check_engines, check_voices, check_labels,
    check_capacity, check_gpu,     check_started_at,
};

bool heartbeat_check(const Scaiinfer__V1__HeartbeatRequest *hb, long long now_s, char *msg,
                     size_t msglen)
{
    for (size_t i = 0; i < sizeof CHECKS / sizeof CHECKS[0]; i++)
        if (!CHECKS[i](hb, now_s, msg, msglen))
            return false;
    return true;
}
