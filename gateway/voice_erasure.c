/* Erasure of a voice (API.md §4, §6): DELETE /voices/{id}, POST
 * /voices/{id}/evict, GET /admin/erasure/audit.
 *
 * DELETE, in order:
 *   1. the record is read (404 if invisible, 403 if the caller may not
 *      change it) and the registry's node ids are read (ZRANGE ss:nodes);
 *   2. one script (erasure_store.h ERASURE_ERASE) deletes the record, its
 *      index entries and its warm registry, writes the audit row with every
 *      known node pending and the voice's objects to delete, and queues the
 *      eviction on every node (ss:node:{id}:evict). From here on nothing is
 *      lost if this gateway dies: heartbeats carry the evictions and the
 *      worker's reconciler finishes the row;
 *   3. EvictVoice goes to every node in parallel (deadline
 *      erasure_evict_timeout_ms); the nodes that answered are acknowledged in
 *      one script (ERASURE_ACK), the others are reported in error_summary and
 *      stay pending;
 *   4. the answer: {voice_id, erased:true, evicted_nodes[], error_summary[]}.
 * The voice's stored objects (reference, consent: every "_…_key" string field
 * of the record) are listed in the row; the reconciler deletes them (it owns
 * every retry), and the row completes once nodes and objects are done.
 *
 * POST /voices/{id}/evict re-sends: for a live voice to every known node; for
 * an erased one (found through ss:voice:{id}:erasure, same tenant only) to
 * the row's pending nodes, acknowledging those that answer. */
#include "gateway/erasure_store.h"
#include "gateway/gateway.h"
#include "gateway/node_call.h"
#include "gateway/permissions.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"
#include "gateway/voice_index.h"
#include "gateway/voice_store.h"

#include "common/evict_call.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/wall_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITE_ATTEMPTS 3

/* --- the fan-out: EvictVoice to a set of nodes, then one ACK script */

typedef struct {
    char node_id[160];
    char address[256];
} evict_target;

typedef struct fanout fanout;
typedef void (*fanout_done_fn)(gw_request *r, fanout *f);

struct fanout {
    gw_request *r;
    char voice_id[96];
    char audit_id[64]; /* "" when there is no row to acknowledge in */
    evict_target *targets;
    size_t n, waiting;
    json_t *evicted;   /* node ids */
    json_t *errors;    /* [{node_id, code, message}] */
    fanout_done_fn done;
    int attempts;      /* DELETE's compare-and-delete attempts */
    json_t *record;    /* DELETE: the record read */
    char *raw;         /* DELETE: its stored string */
    bool block_speaker; /* DELETE ?block_speaker=true (admin) */
    char block_id[40]; /* its blocklist entry ("" = none) */
    char *block_json;
};

static void fanout_free(void *p)
{
    fanout *f = p;
    if (!f)
        return;
    free(f->targets);
    json_decref(f->evicted);
    json_decref(f->errors);
    json_decref(f->record);
    free(f->raw);
    free(f->block_json);
    free(f);
}

static fanout *fanout_new(gw_request *r, const char *voice_id, fanout_done_fn done)
{
    fanout *f = calloc(1, sizeof *f);
    if (!f || !(f->evicted = json_array()) || !(f->errors = json_array())) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return NULL;
    }
    f->r = r;
    f->done = done;
    snprintf(f->voice_id, sizeof f->voice_id, "%s", voice_id);
    return f;
}

static int add_target(fanout *f, const char *node_id, const char *address)
{
    evict_target *t = realloc(f->targets, (f->n + 1) * sizeof *t);
    if (!t)
        return -1;
    f->targets = t;
    snprintf(t[f->n].node_id, sizeof t[f->n].node_id, "%s", node_id);
    snprintf(t[f->n].address, sizeof t[f->n].address, "%s", address ? address : "");
    f->n++;
    return 0;
}

static void note_error(fanout *f, const char *node_id, const char *code, const char *message)
{
    json_array_append_new(f->errors, json_pack("{s:s,s:s,s:s}", "node_id", node_id, "code", code, "message", message));
}

static void on_acked(gw_request *r, void *user, const redisReply *reply)
{
    (void)reply;
    fanout *f = user;
    f->done(r, f);
}

/* Every call answered: acknowledge the evicted nodes in the row. */
static void fanout_settle(fanout *f)
{
    gw_request *r = f->r;
    size_t ne = json_array_size(f->evicted);
    if (!f->audit_id[0] || ne == 0) {
        f->done(r, f);
        return;
    }
    gw_key_list keys = {0};
    const char **args = calloc(3 + ne, sizeof *args);
    char now[40];
    ss_iso8601_ms(ss_wall_ms(), now, sizeof now);
    int bad = !args || gw_key_list_add(&keys, GW_KEY_ERASURE, f->audit_id, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_PENDING_NODES, f->audit_id, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_EVICTED_NODES, f->audit_id, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURES_OPEN, NULL, NULL);
    for (size_t i = 0; !bad && i < ne; i++)
        bad = gw_key_list_add(&keys, GW_KEY_NODE_EVICT, json_string_value(json_array_get(f->evicted, i)), NULL);
    if (bad) {
        free(args);
        gw_key_list_free(&keys);
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    args[0] = f->audit_id;
    args[1] = f->voice_id;
    args[2] = now;
    for (size_t i = 0; i < ne; i++)
        args[3 + i] = json_string_value(json_array_get(f->evicted, i));
    gw_state_eval(r, &ERASURE_ACK, (int)keys.n, (const char *const *)keys.keys, (int)(3 + ne), args, on_acked, f,
                  fanout_free);
    free(args);
    gw_key_list_free(&keys);
}

typedef struct {
    fanout *f;
    size_t i;
} evict_slot;

static void on_evicted(void *user, bool ok, bool was_cached, int code, const char *message)
{
    evict_slot *s = user;
    fanout *f = s->f;
    const evict_target *t = &f->targets[s->i];
    if (ok) {
        json_array_append_new(f->evicted, json_string(t->node_id));
        ss_info(f->r->id, "voice %s evicted on node %s (was cached: %s)", f->voice_id, t->node_id,
                was_cached ? "yes" : "no");
    } else {
        char c[32];
        snprintf(c, sizeof c, "GRPC_%d", code);
        note_error(f, t->node_id, c, message);
        ss_warn(f->r->id, "voice %s: EvictVoice on node %s failed (%d %s); left to the reconciler", f->voice_id,
                t->node_id, code, message);
    }
    free(s);
    if (--f->waiting == 0)
        fanout_settle(f);
}

static void fanout_start(fanout *f)
{
    gw_server *gw = f->r->gw;
    ss_h2_client *client = gw_node_calls_h2(gw);
    const char *auth = gw_node_calls_authorization(gw);
    f->waiting = 1; /* held until every call is started */
    for (size_t i = 0; i < f->n; i++) {
        const evict_target *t = &f->targets[i];
        char err[256] = "no address known for the node";
        evict_slot *s = t->address[0] && client ? calloc(1, sizeof *s) : NULL;
        if (s) {
            *s = (evict_slot){f, i};
            f->waiting++;
            if (ss_evict_call_start_h2(client, t->address, auth, f->r->id, f->voice_id,
                                    (int)gw->settings->erasure_evict_timeout_ms, on_evicted, s, err,
                                    sizeof err) == 0)
                continue;
            f->waiting--;
            free(s);
        }
        note_error(f, t->node_id, "UNREACHABLE", err);
    }
    if (--f->waiting == 0)
        fanout_settle(f);
}

/* --- DELETE /voices/{id} */

static void erase_answer(gw_request *r, fanout *f)
{
    ss_info(r->id, "voice %s erased (audit %s): %zu node(s) evicted, %zu pending", f->voice_id, f->audit_id,
            json_array_size(f->evicted), json_array_size(f->errors));
    gw_reply_ok(r, json_pack("{s:s,s:b,s:s,s:O,s:O,s:s?}", "voice_id", f->voice_id, "erased", 1, "audit_id",
                             f->audit_id, "evicted_nodes", f->evicted, "error_summary", f->errors,
                             "speaker_blocklist_entry", f->block_id[0] ? f->block_id : NULL));
    fanout_free(f);
}

static void erase_read(gw_request *r, fanout *f);

/* The ERASE script's answer: {0} (changed: read again) or {1, id, record, ...}. */
static void on_erased(gw_request *r, void *user, const redisReply *reply)
{
    fanout *f = user;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_INTEGER) {
        gw_state_unavailable(r, "unexpected reply to the erasure script");
        fanout_free(f);
        return;
    }
    if (reply->element[0]->integer == 0) {
        erase_read(r, f);
        return;
    }
    for (size_t i = 1; i + 1 < reply->elements; i += 2) {
        const redisReply *id = reply->element[i], *rec = reply->element[i + 1];
        json_t *node = rec->type == REDIS_REPLY_STRING ? json_loadb(rec->str, rec->len, 0, NULL) : NULL;
        if (id->type == REDIS_REPLY_STRING &&
            add_target(f, id->str, json_string_value(json_object_get(node, "address"))) != 0) {
            json_decref(node);
            fanout_free(f);
            gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        json_decref(node);
    }
    f->done = erase_answer;
    fanout_start(f);
}

/* The record's object keys: every string field named "_<something>_key". */
static json_t *object_keys(const json_t *record)
{
    json_t *keys = json_array();
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)record, name, v)
    {
        size_t n = strlen(name);
        if (keys && name[0] == '_' && n > 5 && !strcmp(name + n - 4, "_key") && json_is_string(v))
            json_array_append(keys, v);
    }
    return keys;
}

/* Builds the ERASE script's keys and arguments from the record and node ids. */
static void erase_write(gw_request *r, fanout *f, const redisReply *ids)
{
    const json_t *rec = f->record;
    const char *scope = json_string_value(json_object_get(rec, "scope"));
    const char *tid = json_string_value(json_object_get(rec, "tenant_id"));
    const char *uid = json_string_value(json_object_get(rec, "owner_user_id"));
    const char *vmember = json_string_value(json_object_get(rec, "_index"));
    char amember[96], now[40], nobj[16];
    int64_t ms = ss_wall_ms();
    ss_iso8601_ms(ss_wall_ms(), now, sizeof now);
    json_t *objects = object_keys(rec);
    char *objects_json = objects ? json_dumps(objects, JSON_COMPACT) : NULL;
    snprintf(nobj, sizeof nobj, "%zu", json_array_size(objects));
    json_decref(objects);
    gw_key_list keys = {0}, args = {0};
    int bad = !objects_json || ss_id_new("er_", 20, f->audit_id, sizeof f->audit_id) != 0;
    snprintf(amember, sizeof amember, "%016" PRId64 ":%s", ms, f->audit_id);
    gw_key_kind index_kind = scope && !strcmp(scope, "tenant")   ? GW_KEY_TENANT_VOICES
                             : scope && !strcmp(scope, "global") ? GW_KEY_VOICES_GLOBAL_INDEX
                                                                 : GW_KEY_USER_VOICES;
    bad = bad || gw_key_list_add(&keys, GW_KEY_VOICE, f->voice_id, NULL) ||
          gw_key_list_add(&keys, index_kind, index_kind == GW_KEY_VOICES_GLOBAL_INDEX ? NULL : (tid ? tid : ""),
                          index_kind == GW_KEY_USER_VOICES ? (uid ? uid : "") : NULL) ||
          gw_key_list_add(&keys, GW_KEY_VOICES_GLOBAL, NULL, NULL) ||
          gw_key_list_add(&keys, GW_KEY_VOICE_WARM, f->voice_id, NULL) ||
          gw_key_list_add(&keys, GW_KEY_ERASURE, f->audit_id, NULL) ||
          gw_key_list_add(&keys, GW_KEY_ERASURE_PENDING_NODES, f->audit_id, NULL) ||
          gw_key_list_add(&keys, GW_KEY_ERASURES, NULL, NULL) ||
          gw_key_list_add(&keys, GW_KEY_TENANT_ERASURES, tid ? tid : r->caller.tenant_id, NULL) ||
          gw_key_list_add(&keys, GW_KEY_ERASURES_OPEN, NULL, NULL) ||
          gw_key_list_add(&keys, GW_KEY_VOICE_ERASURE, f->voice_id, NULL) ||
          gw_key_list_add(&keys, GW_KEY_TENANT_BLOCKLIST, tid ? tid : r->caller.tenant_id, NULL);
    const char *fixed[] = {f->raw, f->audit_id, f->voice_id, amember, tid ? tid : "", r->caller.user_id, now,
                           objects_json ? objects_json : "[]", nobj, vmember ? vmember : "",
                           f->block_id, f->block_json ? f->block_json : ""};
    for (size_t i = 0; !bad && i < sizeof fixed / sizeof fixed[0]; i++)
        bad = gw_key_list_push(&args, fixed[i]);
    for (size_t i = 0; !bad && i < ids->elements; i++) {
        const char *id = ids->element[i]->str;
        bad = gw_key_list_add(&keys, GW_KEY_NODE_EVICT, id, NULL) || gw_key_list_add(&keys, GW_KEY_NODE, id, NULL) ||
              gw_key_list_push(&args, id);
    }
    free(objects_json);
    if (bad) {
        gw_key_list_free(&keys);
        gw_key_list_free(&args);
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory, or an id too long for a key", NULL);
        return;
    }
    gw_state_eval(r, &ERASURE_ERASE, (int)keys.n, (const char *const *)keys.keys, (int)args.n,
                  (const char *const *)args.keys, on_erased, f, fanout_free);
    gw_key_list_free(&keys);
    gw_key_list_free(&args);
}

static void on_node_ids(gw_request *r, void *user, const redisReply *reply)
{
    fanout *f = user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to ZRANGE of the node index");
        fanout_free(f);
        return;
    }
    erase_write(r, f, reply);
}

/* The blocklist entry that blocks the erased voice's speaker (its
 * reference's fingerprint, kept in the record as `_fingerprint`); false
 * after answering. */
static bool speaker_block_entry(gw_request *r, fanout *f)
{
    const json_t *fp = json_object_get(f->record, "_fingerprint");
    const char *scope = json_string_value(json_object_get(f->record, "scope"));
    const char *why = !(r->caller.permissions & PERM_ADMIN) ? NULL
                      : !fp ? "the voice has no reference clip, so no speaker to block"
                      : scope && !strcmp(scope, "global") ? "a global voice's speaker is not a tenant's to block"
                                                          : "";
    if (!why) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "blocking a speaker needs the admin permission", NULL);
        return false;
    }
    if (*why) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, why,
                       json_pack("[{s:s,s:s}]", "field", "block_speaker", "message", why));
        return false;
    }
    char now[40];
    ss_iso8601_ms(ss_wall_ms(), now, sizeof now);
    json_t *entry = ss_id_new("bl_", 16, f->block_id, sizeof f->block_id) == 0
                        ? json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "id", f->block_id, "kind", "speaker", "voice_id",
                                    f->voice_id, "note", "speaker blocked when the voice was erased", "created_at",
                                    now, "_fingerprint", fp)
                        : NULL;
    f->block_json = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
    json_decref(entry);
    if (!f->block_json) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return false;
    }
    return true;
}

static void on_erase_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    fanout *f = user;
    if (!record || !voice_visible(record, r->caller.tenant_id, r->caller.user_id)) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    if (!voice_may_change(record, &r->caller)) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller may not erase this voice", NULL);
        return;
    }
    json_decref(f->record);
    free(f->raw);
    f->record = json_incref(record);
    f->raw = strdup(raw);
    if (f->block_speaker && !speaker_block_entry(r, f))
        return;
    if (!f->raw) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    char k_nodes[GW_STATE_KEY_MAX];
    gw_state_key(k_nodes, sizeof k_nodes, GW_KEY_NODES, NULL, NULL);
    const char *argv[] = {"ZRANGE", k_nodes, "0", "-1"};
    gw_state_command(r, 4, argv, on_node_ids, f, fanout_free);
}

static void erase_read(gw_request *r, fanout *f)
{
    if (++f->attempts > WRITE_ATTEMPTS) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "the voice kept changing while it was erased; try again", NULL);
        return;
    }
    voice_index_read(r, f->voice_id, on_erase_read, f, fanout_free);
}

void gw_handle_voice_delete(gw_request *r)
{
    const char *block = gw_query(r, "block_speaker");
    if (block && strcmp(block, "true") && strcmp(block, "false")) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "block_speaker must be true or false",
                       json_pack("[{s:s,s:s}]", "field", "block_speaker", "message", "must be true or false"));
        return;
    }
    fanout *f = fanout_new(r, r->params[0], erase_answer);
    if (!f)
        return;
    f->block_speaker = block && !strcmp(block, "true");
    erase_read(r, f);
}

/* --- POST /voices/{id}/evict */

static void resend_answer(gw_request *r, fanout *f)
{
    ss_info(r->id, "voice %s: evictions re-sent, %zu node(s) evicted, %zu failed", f->voice_id,
            json_array_size(f->evicted), json_array_size(f->errors));
    gw_reply_ok(r, json_pack("{s:s,s:s?,s:O,s:O}", "voice_id", f->voice_id, "audit_id",
                             f->audit_id[0] ? f->audit_id : NULL, "evicted_nodes", f->evicted, "error_summary",
                             f->errors));
    fanout_free(f);
}

/* The MGET of node records for the ids in f->targets: addresses, then go. */
static void on_node_records(gw_request *r, void *user, const redisReply *reply)
{
    fanout *f = user;
    for (size_t i = 0; i < f->n && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        json_t *node = e->type == REDIS_REPLY_STRING ? json_loadb(e->str, e->len, 0, NULL) : NULL;
        const char *addr = json_string_value(json_object_get(node, "address"));
        snprintf(f->targets[i].address, sizeof f->targets[i].address, "%s", addr ? addr : "");
        json_decref(node);
    }
    (void)r;
    fanout_start(f);
}

/* Targets the node ids of `ids` (an array reply), then reads their records. */
static void target_ids(gw_request *r, fanout *f, const redisReply *ids)
{
    gw_key_list keys = {0};
    int bad = gw_key_list_push(&keys, "MGET");
    for (size_t i = 0; !bad && ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++)
        bad = ids->element[i]->type != REDIS_REPLY_STRING || add_target(f, ids->element[i]->str, NULL) ||
              gw_key_list_add(&keys, GW_KEY_NODE, ids->element[i]->str, NULL);
    if (bad) {
        gw_key_list_free(&keys);
        fanout_free(f);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory, or a node id too long for a key", NULL);
        return;
    }
    if (f->n == 0) {
        gw_key_list_free(&keys);
        fanout_start(f);
        return;
    }
    gw_state_command(r, (int)keys.n, (const char *const *)keys.keys, on_node_records, f, fanout_free);
    gw_key_list_free(&keys);
}

static void on_all_node_ids(gw_request *r, void *user, const redisReply *reply)
{
    target_ids(r, user, reply);
}

/* KEYS audit, audit pending -> {tenant id|false, [pending node ids]} */
static const ss_redis_script ERASURE_ROW_PENDING = {
    "erasure_row_pending",
    "return {redis.call('HGET', KEYS[1], 'tenant_id') or false, redis.call('SMEMBERS', KEYS[2])}\n", .durable = false};

static void on_row_pending(gw_request *r, void *user, const redisReply *reply)
{
    fanout *f = user;
    const redisReply *tenant = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 ? reply->element[0] : NULL;
    if (!tenant || tenant->type != REDIS_REPLY_STRING ||
        (strcmp(tenant->str, r->caller.tenant_id) && r->caller.role != ROLE_SUPER_ADMIN)) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice, and no erasure of it in this tenant", NULL);
        return;
    }
    target_ids(r, f, reply->element[1]);
}

static void on_erasure_id(gw_request *r, void *user, const redisReply *reply)
{
    fanout *f = user;
    if (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof f->audit_id) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    memcpy(f->audit_id, reply->str, reply->len);
    f->audit_id[reply->len] = '\0';
    char k_row[GW_STATE_KEY_MAX], k_pending[GW_STATE_KEY_MAX];
    gw_state_key(k_row, sizeof k_row, GW_KEY_ERASURE, f->audit_id, NULL);
    gw_state_key(k_pending, sizeof k_pending, GW_KEY_ERASURE_PENDING_NODES, f->audit_id, NULL);
    const char *keys[] = {k_row, k_pending};
    gw_state_eval(r, &ERASURE_ROW_PENDING, 2, keys, 0, NULL, on_row_pending, f, fanout_free);
}

static void on_evict_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)raw;
    fanout *f = user;
    char key[GW_STATE_KEY_MAX];
    if (!record) { /* erased (or never was): the audit trail's pending nodes */
        gw_state_key(key, sizeof key, GW_KEY_VOICE_ERASURE, f->voice_id, NULL);
        const char *argv[] = {"GET", key};
        gw_state_command(r, 2, argv, on_erasure_id, f, fanout_free);
        return;
    }
    if (!voice_visible(record, r->caller.tenant_id, r->caller.user_id)) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    if (!voice_may_change(record, &r->caller)) {
        fanout_free(f);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller may not evict this voice", NULL);
        return;
    }
    gw_state_key(key, sizeof key, GW_KEY_NODES, NULL, NULL);
    const char *argv[] = {"ZRANGE", key, "0", "-1"};
    gw_state_command(r, 4, argv, on_all_node_ids, f, fanout_free);
}

void gw_handle_voice_evict(gw_request *r)
{
    fanout *f = fanout_new(r, r->params[0], resend_answer);
    if (f)
        voice_index_read(r, f->voice_id, on_evict_read, f, fanout_free);
}
