/* HeartbeatService implementation (see heartbeat_service.h).
 *
 * Trust (docs/SECURITY.md): a heartbeat is accepted only with
 * `authorization: Bearer HMAC-SHA256(node_auth_key, node_id)` for the node_id
 * it carries, so a credential registers exactly one id; then its size and
 * every field are bounded (heartbeat_check.c). Times in the record are the
 * gateway's own clock; the node's started_at is only range-checked. */
#include "gateway/heartbeat_service.h"

#include "gateway/heartbeat_check.h"

#include "gateway/node_registry.h"
#include "gateway/state_keys.h"

#include "common/grpc_server.h"
#include "common/heartbeat_limits.h"
#include "common/log.h"
#include "common/node_credentials.h"
#include "common/metrics.h"
#include "proto/heartbeat.pb-c.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define METHOD "/scaiinfer.v1.HeartbeatService/Heartbeat"

struct heartbeat_service {
    ss_grpc_server *grpc;
    char *node_auth_key; /* each node's secret is HMAC-SHA256(key, node_id) */
    ss_redis_target redis_target; /* one address, or the primary Sentinel names */
    long default_interval_ms;
    long retention_s;
    pthread_mutex_t lock; /* guards redis (one handler thread today; kept for safety) */
    redisContext *redis;
    char heartbeat_sha[41]; /* of NODE_REGISTRY_HEARTBEAT */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso8601(long long unix_ms, char *out, size_t cap)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

/* True when the call presents the secret of `node_id`. */
static bool credential_ok(const heartbeat_service *hs, const char *authorization,
                          const char *node_id)
{
    char secret[SS_NODE_SECRET_LEN], err[128];
    if (ss_node_secret_derive(hs->node_auth_key, node_id, secret, err, sizeof err) != 0)
        return false;
    return ss_bearer_matches(authorization, secret);
}

static grpc_status_code refuse_unauthenticated(const ss_grpc_call_info *info, const char *why,
                                               char *status_msg, size_t msglen)
{
    ss_metrics_counter_add("scaispeak_heartbeats_total", "heartbeats by result",
                           "result=\"unauthenticated\"", 1);
    ss_warn(info->request_id, "heartbeat from %s rejected: %s", info->peer, why);
    snprintf(status_msg, msglen, "%s", why);
    return GRPC_STATUS_UNAUTHENTICATED;
}

static grpc_status_code refuse_invalid(const ss_grpc_call_info *info, const char *why,
                                       char *status_msg, size_t msglen)
{
    ss_metrics_counter_add("scaispeak_heartbeats_total", "heartbeats by result",
                           "result=\"invalid\"", 1);
    ss_warn(info->request_id, "heartbeat from %s refused: %s", info->peer, why);
    snprintf(status_msg, msglen, "%s", why);
    return GRPC_STATUS_INVALID_ARGUMENT;
}

/* The stored record: the node object of API.md §6 minus the computed status. */
static json_t *record_from_request(const Scaiinfer__V1__HeartbeatRequest *hb, long interval_ms,
                                   long long now)
{
    char ts[64], started[64];
    iso8601(now, ts, sizeof ts);
    iso8601((long long)hb->started_at * 1000, started, sizeof started);
    json_t *engines = json_array();
    for (size_t i = 0; i < hb->n_engines; i++) {
        const Scaiinfer__V1__HeartbeatEngine *e = hb->engines[i];
        json_array_append_new(engines, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "engine_id", e->engine_id,
                                                 "kind", e->kind, "version", e->version,
                                                 "sample_rate", (json_int_t)e->sample_rate, "gender",
                                                 e->gender, "accent", e->accent, "language", e->language));
    }
    json_t *voices = json_array();
    for (size_t i = 0; i < hb->n_voices_cached; i++)
        json_array_append_new(voices, json_string(hb->voices_cached[i]));
    json_t *labels = json_object();
    for (size_t i = 0; i < hb->n_labels; i++)
        if (hb->labels[i]->key && hb->labels[i]->value)
            json_object_set_new(labels, hb->labels[i]->key, json_string(hb->labels[i]->value));
    json_t *gpu = json_null();
    if (hb->gpu && hb->gpu->name && *hb->gpu->name)
        gpu = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "name", hb->gpu->name, "memory_total_mb",
                        (json_int_t)hb->gpu->memory_total_mb, "memory_used_mb",
                        (json_int_t)hb->gpu->memory_used_mb, "pool_limit_mb",
                        (json_int_t)hb->gpu->pool_limit_mb, "pool_used_mb",
                        (json_int_t)hb->gpu->pool_used_mb, "pinned_mb",
                        (json_int_t)hb->gpu->pinned_mb, "lanes", (json_int_t)hb->gpu->lanes);
    return json_pack("{s:s,s:s,s:s,s:I,s:o,s:{s:I,s:I},s:o,s:o,s:s,s:s,s:s,s:o,s:b,s:I}",
                     "node_id", hb->node_id, "address", hb->address, "last_heartbeat_at", ts,
                     "last_heartbeat_ms", (json_int_t)now, "engines", engines, "capacity", "slots",
                     (json_int_t)hb->slots, "in_flight", (json_int_t)hb->in_flight,
                     "voices_cached", voices, "gpu", gpu, "kernels",
                     (hb->kernels && *hb->kernels) ? hb->kernels : "cpu", "version", hb->version,
                     "started_at", started, "labels", labels, "self_draining", (int)hb->draining,
                     "heartbeat_interval_ms", (json_int_t)interval_ms);
}

/* Runs the heartbeat script; reconnects once when the connection is broken.
 * Returns the reply (caller frees) or NULL with err set. */
/* The heartbeat script's arguments: EVALSHA sha numkeys, the node's five
 * keys, two keys per cached voice (record, warm registry), then id json
 * retention ttl now n and the voice ids. Strings live in `keys` (one
 * allocation); NULL when out of memory or a key does not fit (err says). */
typedef struct {
    const char **argv;
    int argc;
    char *keys;
    char numkeys[16], retention[32], ttl[32], now[32], nvoices[16];
} heartbeat_args;

static void heartbeat_args_free(heartbeat_args *a)
{
    free(a->argv);
    free(a->keys);
}

static int heartbeat_args_build(heartbeat_args *a, const heartbeat_service *hs, const char *id, const char *json,
                                char *const *voices, size_t nvoices, long interval_ms, long long now, char *err,
                                size_t errlen)
{
    memset(a, 0, sizeof *a);
    size_t nkeys = 5 + 2 * nvoices;
    a->keys = calloc(nkeys, GW_STATE_KEY_MAX);
    a->argv = calloc(3 + nkeys + 6 + nvoices, sizeof *a->argv);
    if (!a->keys || !a->argv) {
        heartbeat_args_free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const gw_key_kind node_keys[] = {GW_KEY_NODE, GW_KEY_NODE_ALIVE, GW_KEY_NODES, GW_KEY_NODE_DRAIN,
                                            GW_KEY_NODE_EVICT};
    int bad = 0;
    for (size_t i = 0; i < 5; i++)
        bad |= gw_state_key(a->keys + i * GW_STATE_KEY_MAX, GW_STATE_KEY_MAX, node_keys[i],
                            node_keys[i] == GW_KEY_NODES ? NULL : id, NULL);
    for (size_t i = 0; i < nvoices; i++) {
        bad |= gw_state_key(a->keys + (5 + 2 * i) * GW_STATE_KEY_MAX, GW_STATE_KEY_MAX, GW_KEY_VOICE, voices[i], NULL);
        bad |= gw_state_key(a->keys + (6 + 2 * i) * GW_STATE_KEY_MAX, GW_STATE_KEY_MAX, GW_KEY_VOICE_WARM, voices[i],
                            NULL);
    }
    if (bad) {
        heartbeat_args_free(a);
        snprintf(err, errlen, "node or voice id too long for a key");
        return -1;
    }
    snprintf(a->numkeys, sizeof a->numkeys, "%zu", nkeys);
    snprintf(a->retention, sizeof a->retention, "%ld", hs->retention_s);
    snprintf(a->ttl, sizeof a->ttl, "%ld", interval_ms * 3);
    snprintf(a->now, sizeof a->now, "%lld", now);
    snprintf(a->nvoices, sizeof a->nvoices, "%zu", nvoices);
    int n = 0;
    a->argv[n++] = "EVALSHA";
    a->argv[n++] = hs->heartbeat_sha;
    a->argv[n++] = a->numkeys;
    for (size_t i = 0; i < nkeys; i++)
        a->argv[n++] = a->keys + i * GW_STATE_KEY_MAX;
    const char *tail[] = {id, json, a->retention, a->ttl, a->now, a->nvoices};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        a->argv[n++] = tail[i];
    for (size_t i = 0; i < nvoices; i++)
        a->argv[n++] = voices[i];
    a->argc = n;
    return 0;
}

static redisReply *record_heartbeat(heartbeat_service *hs, const char *id, const char *json, char *const *voices,
                                    size_t nvoices, long interval_ms, long long now, char *err, size_t errlen)
{
    heartbeat_args a;
    if (heartbeat_args_build(&a, hs, id, json, voices, nvoices, interval_ms, now, err, errlen) != 0)
        return NULL;
    /* EVALSHA; on NOSCRIPT (Redis restarted) the same call as EVAL reloads it. */
    const char **argv = a.argv;
    int argc = a.argc;

    pthread_mutex_lock(&hs->lock);
    redisReply *reply = NULL;
    for (int attempt = 0; attempt < 2 && !reply; attempt++) {
        if (!hs->redis || hs->redis->err) {
            if (hs->redis)
                redisFree(hs->redis);
            char why[200];
            /* the gRPC handler thread, never the loop nor a queue thread:
             * blocking here is allowed */
            hs->redis = ss_redis_target_connect_sync(&hs->redis_target, 1000, why, sizeof why);
            if (!hs->redis) {
                snprintf(err, errlen, "redis: %s", why);
                continue;
            }
        }
        reply = redisCommandArgv(hs->redis, argc, argv, NULL);
        if (reply && reply->type == REDIS_REPLY_ERROR && !strncmp(reply->str, "NOSCRIPT", 8)) {
            freeReplyObject(reply);
            argv[0] = "EVAL";
            argv[1] = NODE_REGISTRY_HEARTBEAT.body;
            reply = redisCommandArgv(hs->redis, argc, argv, NULL);
            argv[0] = "EVALSHA";
            argv[1] = hs->heartbeat_sha;
        }
        if (!reply)
            snprintf(err, errlen, "redis: %s", hs->redis->errstr);
        else if (reply->type == REDIS_REPLY_ERROR && hs->redis_target.nsentinels &&
                 ss_redis_error_wants_new_primary(reply->str)) {
            /* after a failover this server is a replica: find the primary again */
            snprintf(err, errlen, "redis: %s", reply->str);
            freeReplyObject(reply);
            reply = NULL;
            redisFree(hs->redis);
            hs->redis = NULL;
        }
    }
    pthread_mutex_unlock(&hs->lock);
    heartbeat_args_free(&a);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "redis: %s", reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

/* The checks a heartbeat passes before it is recorded: its node id and
 * address, the node's own credential, and heartbeat_check's limits.
 * GRPC_STATUS_OK, or the refusal (status_msg filled). */
static grpc_status_code check_heartbeat(heartbeat_service *hs, const ss_grpc_call_info *info,
                                        const Scaiinfer__V1__HeartbeatRequest *hb,
                                        char *status_msg, size_t msglen)
{
    if (!node_id_valid(hb->node_id) || !hb->address || !*hb->address)
        return refuse_invalid(info, "node_id (1..128 of [A-Za-z0-9_.:-]) and address are required",
                              status_msg, msglen);
    char why[256];
    if (!credential_ok(hs, info->authorization, hb->node_id)) {
        snprintf(why, sizeof why, "the node credential is not the one of node id %s",
                 hb->node_id);
        return refuse_unauthenticated(info, why, status_msg, msglen);
    }
    if (!heartbeat_check(hb, now_ms() / 1000, why, sizeof why))
        return refuse_invalid(info, why, status_msg, msglen);
    return GRPC_STATUS_OK;
}

/* The node's announced interval, or the default, clamped to 100 ms..60 s. */
static long heartbeat_interval(const heartbeat_service *hs, const Scaiinfer__V1__HeartbeatRequest *hb)
{
    long interval = hb->heartbeat_interval_ms ? (long)hb->heartbeat_interval_ms : hs->default_interval_ms;
    if (interval < 100)
        return 100;
    return interval > 60000 ? 60000 : interval;
}

/* Records the heartbeat in Redis; the script's reply (drain flag, voice
 * ids to evict), or NULL with status_msg and *code set. */
static redisReply *store_heartbeat(heartbeat_service *hs, const ss_grpc_call_info *info,
                                   const Scaiinfer__V1__HeartbeatRequest *hb,
                                   grpc_status_code *code, char *status_msg, size_t msglen)
{
    long interval = heartbeat_interval(hs, hb);
    long long now = now_ms();
    json_t *rec = record_from_request(hb, interval, now);
    char *json = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (!json) {
        snprintf(status_msg, msglen, "out of memory");
        *code = GRPC_STATUS_RESOURCE_EXHAUSTED;
        return NULL;
    }
    char err[256] = "";
    redisReply *reply = record_heartbeat(hs, hb->node_id, json, hb->voices_cached, hb->n_voices_cached,
                                         interval, now, err, sizeof err);
    free(json);
    if (!reply) {
        ss_warn(info->request_id, "heartbeat from node %s not recorded: %s", hb->node_id, err);
        ss_metrics_counter_add("scaispeak_heartbeats_total", "heartbeats by result",
                               "result=\"unavailable\"", 1);
        snprintf(status_msg, msglen, "state store unavailable: %s", err);
        *code = GRPC_STATUS_UNAVAILABLE;
    }
    return reply;
}

/* The HeartbeatResponse from the script's reply, packed into *resp. */
static grpc_status_code answer_heartbeat(const redisReply *reply, uint8_t **resp, size_t *resp_len,
                                         char *status_msg, size_t msglen)
{
    Scaiinfer__V1__HeartbeatResponse out = SCAIINFER__V1__HEARTBEAT_RESPONSE__INIT;
    char **evict = NULL;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        out.drain_requested = reply->element[0]->integer == 1;
        const redisReply *ids = reply->element[1];
        if (ids->type == REDIS_REPLY_ARRAY && ids->elements > 0) {
            evict = calloc(ids->elements, sizeof *evict);
            if (!evict) {
                snprintf(status_msg, msglen, "out of memory");
                return GRPC_STATUS_RESOURCE_EXHAUSTED;
            }
            for (size_t i = 0; i < ids->elements; i++)
                evict[out.n_evict_voice_ids++] = ids->element[i]->str;
            out.evict_voice_ids = evict;
        }
    }
    *resp_len = scaiinfer__v1__heartbeat_response__get_packed_size(&out);
    *resp = malloc(*resp_len ? *resp_len : 1);
    if (*resp)
        scaiinfer__v1__heartbeat_response__pack(&out, *resp);
    free(evict);
    if (!*resp) {
        snprintf(status_msg, msglen, "out of memory");
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    }
    return GRPC_STATUS_OK;
}

static grpc_status_code on_heartbeat(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                                     size_t req_len, uint8_t **resp, size_t *resp_len,
                                     char *status_msg, size_t msglen)
{
    heartbeat_service *hs = user;
    if (!info->authorization || strncasecmp(info->authorization, "Bearer ", 7) != 0)
        return refuse_unauthenticated(info, "no node credential (authorization: Bearer <secret>)",
                                      status_msg, msglen);
    if (req_len > SS_HB_MAX_BYTES) {
        char why[128];
        snprintf(why, sizeof why, "HeartbeatRequest of %zu bytes; at most %d", req_len,
                 SS_HB_MAX_BYTES);
        return refuse_invalid(info, why, status_msg, msglen);
    }
    Scaiinfer__V1__HeartbeatRequest *hb = scaiinfer__v1__heartbeat_request__unpack(NULL, req_len, req);
    if (!hb)
        return refuse_invalid(info, "malformed HeartbeatRequest", status_msg, msglen);
    grpc_status_code code = check_heartbeat(hs, info, hb, status_msg, msglen);
    redisReply *reply = code == GRPC_STATUS_OK
                            ? store_heartbeat(hs, info, hb, &code, status_msg, msglen)
                            : NULL;
    if (reply) {
        code = answer_heartbeat(reply, resp, resp_len, status_msg, msglen);
        freeReplyObject(reply);
        if (code == GRPC_STATUS_OK) {
            ss_metrics_counter_add("scaispeak_heartbeats_total", "heartbeats by result", "result=\"ok\"", 1);
            ss_debug(info->request_id, "heartbeat from node %s recorded", hb->node_id);
        }
    }
    scaiinfer__v1__heartbeat_request__free_unpacked(hb, NULL);
    return code;
}

heartbeat_service *heartbeat_service_start(const ss_settings *settings, char *err,
                                           size_t errlen)
{
    heartbeat_service *hs = calloc(1, sizeof *hs);
    if (!hs) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *key = ss_credential_resolve(settings, "node_auth_key", settings->node_auth_key,
                                            SS_DEV_NODE_AUTH_KEY, err, errlen);
    hs->node_auth_key = key ? strdup(key) : NULL;
    if (!hs->node_auth_key) {
        if (key)
            snprintf(err, errlen, "out of memory");
        free(hs);
        return NULL;
    }
    if (ss_redis_target_from_settings(&hs->redis_target, settings, err, errlen) != 0) {
        free(hs->node_auth_key);
        free(hs);
        return NULL;
    }
    hs->default_interval_ms = settings->heartbeat_interval_ms;
    hs->retention_s = settings->offline_retention_s;
    pthread_mutex_init(&hs->lock, NULL);
    ss_redis_script_sha1(&NODE_REGISTRY_HEARTBEAT, hs->heartbeat_sha);

    char addr[300];
    snprintf(addr, sizeof addr, "%s:%ld", settings->grpc_bind, settings->grpc_port);
    hs->grpc = ss_grpc_server_new(addr, err, errlen);
    /* The record write blocks (synchronous Redis, up to its timeout), so it
     * runs on the server's handler thread; the one queue thread is then never
     * held (heartbeat_service.h). */
    if (!hs->grpc || ss_grpc_server_add_unary_blocking(hs->grpc, METHOD, on_heartbeat, hs) != 0 ||
        ss_grpc_server_start(hs->grpc, 1, err, errlen) != 0) {
        if (hs->grpc && !*err)
            snprintf(err, errlen, "cannot register %s", METHOD);
        ss_grpc_server_free(hs->grpc);
        pthread_mutex_destroy(&hs->lock);
        free(hs->node_auth_key);
        free(hs);
        return NULL;
    }
    return hs;
}

void heartbeat_service_stop(heartbeat_service *hs, int grace_ms)
{
    if (!hs)
        return;
    ss_grpc_server_shutdown(hs->grpc, grace_ms);
    ss_grpc_server_free(hs->grpc);
    if (hs->redis)
        redisFree(hs->redis);
    pthread_mutex_destroy(&hs->lock);
    free(hs->node_auth_key);
    free(hs);
}
