/* The warm registry's routes (API.md §4): which nodes hold a voice's
 * conditioning, and the legacy "warm" call.
 *
 * The registry itself is written by heartbeats (node_registry.h: each
 * heartbeat records, for every voice the node lists as cached and that still
 * exists, the node and the time in ss:voice:{id}:warm) and cleared by
 * erasure. A node counts as holding the voice while its last heartbeat that
 * listed it is younger than three heartbeat intervals (the same rule as
 * "online"); older entries are shown nowhere and pruned when read.
 *
 *   GET  /voices/{id}/warm  -> {voice_id, nodes:[{node_id, last_seen_at}]}
 *   POST /voices/{id}/warm  -> legacy no-op on the zero-shot engine: 200
 *        {voice_id, embedding_status:"ready", warm:"on demand"} for a ready
 *        voice (nodes condition on the reference at the first synthesis),
 *        409 SCAISPEAK_VOICE_NOT_READY_FOR_WARMING otherwise. */
#include "gateway/gateway.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"
#include "gateway/voice_index.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/log.h"
#include "common/wall_clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool visible(const gw_request *r, const json_t *record)
{
    return record && voice_visible(record, r->caller.tenant_id, r->caller.user_id);
}

static void pruned(void *user, const redisReply *reply, const char *err)
{
    (void)user;
    (void)reply;
    if (err)
        ss_debug(NULL, "warm registry prune: %s", err);
}

/* HGETALL reply -> the fresh entries as [{node_id, last_seen_at}], pruning the stale. */
static void on_warm(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    json_t *nodes = json_array();
    int64_t now = ss_wall_ms(), fresh_ms = 3 * r->gw->settings->heartbeat_interval_ms;
    char key[GW_STATE_KEY_MAX];
    gw_state_key(key, sizeof key, GW_KEY_VOICE_WARM, r->params[0], NULL);
    for (size_t i = 0; nodes && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2) {
        const char *node = reply->element[i]->str, *seen = reply->element[i + 1]->str;
        int64_t at = seen ? strtoll(seen, NULL, 10) : 0;
        if (now - at > fresh_ms) {
            const char *argv[] = {"HDEL", key, node};
            ss_redis_command_argv(r->gw->redis, pruned, NULL, 3, argv, NULL); /* best effort */
            continue;
        }
        char iso[40];
        ss_iso8601_ms(at, iso, sizeof iso);
        json_array_append_new(nodes, json_pack("{s:s,s:s}", "node_id", node, "last_seen_at", iso));
    }
    if (!nodes) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:s,s:o}", "voice_id", r->params[0], "nodes", nodes));
}

static void on_warm_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)user;
    (void)raw;
    if (!visible(r, record)) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    char key[GW_STATE_KEY_MAX];
    gw_state_key(key, sizeof key, GW_KEY_VOICE_WARM, r->params[0], NULL);
    const char *argv[] = {"HGETALL", key};
    gw_state_command(r, 2, argv, on_warm, NULL, NULL);
}

void gw_handle_voice_warm_get(gw_request *r)
{
    voice_index_read(r, r->params[0], on_warm_read, NULL, NULL);
}

static void on_warm_post_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)user;
    (void)raw;
    if (!visible(r, record)) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    const char *status = json_string_value(json_object_get(record, "embedding_status"));
    if (!status || strcmp(status, "ready")) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_READY_FOR_WARMING,
                       "the voice is not ready (embedding_status is not ready); repromote it first", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:s,s:s,s:s}", "voice_id", r->params[0], "embedding_status", "ready", "warm",
                             "on demand: nodes condition on the reference at its first synthesis"));
}

void gw_handle_voice_warm_post(gw_request *r)
{
    voice_index_read(r, r->params[0], on_warm_post_read, NULL, NULL);
}
