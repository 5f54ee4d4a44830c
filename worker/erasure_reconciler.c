/* The erasure reconciler (see erasure_reconciler.h).
 *
 * One tick is an asynchronous chain on the worker's loop: SMEMBERS of the
 * open rows, then per row a state read (row_state), the object deletions,
 * the node states (node_state), the acknowledgements and the EvictVoice
 * calls; the next row starts when the current one's calls have all ended.
 * `busy` keeps ticks from overlapping. */
#include "worker/erasure_reconciler.h"

#include "gateway/erasure_store.h"
#include "gateway/state_keys.h"

#include "common/evict_call.h"
#include "common/log.h"
#include "common/wall_clock.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 1000

typedef struct {
    char key[256]; /* "<aid> <node id>" */
    int64_t next_ms, delay_ms;
} backoff;

struct erasure_reconciler {
    struct event_base *base;
    ss_redis *redis;
    const ss_settings *settings;
    ss_grpc_evclient *grpc;
    ss_object_store *objects;
    char *authorization;
    struct event *timer;
    bool busy;
    char **aids; /* this tick's open rows */
    size_t naids, next_aid;
    /* the row being worked on */
    char aid[64], voice_id[96];
    size_t calls_waiting;
    backoff *backoffs;
    size_t nbackoffs;
};

/* --- backoff per (row, node) */

static backoff *backoff_of(erasure_reconciler *rc, const char *node)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s", rc->aid, node);
    for (size_t i = 0; i < rc->nbackoffs; i++)
        if (!strcmp(rc->backoffs[i].key, key))
            return &rc->backoffs[i];
    backoff *b = realloc(rc->backoffs, (rc->nbackoffs + 1) * sizeof *b);
    if (!b)
        return NULL;
    rc->backoffs = b;
    b = &rc->backoffs[rc->nbackoffs++];
    snprintf(b->key, sizeof b->key, "%s", key);
    b->next_ms = 0;
    b->delay_ms = BACKOFF_FIRST_MS;
    return b;
}

static void backoff_forget(erasure_reconciler *rc, const char *node)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s", rc->aid, node);
    for (size_t i = 0; i < rc->nbackoffs; i++)
        if (!strcmp(rc->backoffs[i].key, key)) {
            rc->backoffs[i] = rc->backoffs[--rc->nbackoffs];
            return;
        }
}

/* --- the chain */

static void next_row(erasure_reconciler *rc);

static void tick_end(erasure_reconciler *rc)
{
    for (size_t i = 0; i < rc->naids; i++)
        free(rc->aids[i]);
    free(rc->aids);
    rc->aids = NULL;
    rc->naids = rc->next_aid = 0;
    rc->busy = false;
}

static void ignore_reply(void *user, const redisReply *reply, const char *err)
{
    (void)user;
    (void)reply;
    if (err)
        ss_warn(NULL, "erasure reconciler: %s", err);
}

/* ERASURE_ACK for the nodes (fire and forget: a lost ack is redone next tick). */
static void ack_nodes(erasure_reconciler *rc, const char *const *nodes, size_t n)
{
    if (n == 0)
        return;
    gw_key_list keys = {0}, args = {0};
    char now[40];
    ss_iso8601_ms(ss_wall_ms(), now, sizeof now);
    int bad = gw_key_list_add(&keys, GW_KEY_ERASURE, rc->aid, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_PENDING_NODES, rc->aid, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_EVICTED_NODES, rc->aid, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURES_OPEN, NULL, NULL) || gw_key_list_push(&args, rc->aid) ||
              gw_key_list_push(&args, rc->voice_id) || gw_key_list_push(&args, now);
    for (size_t i = 0; !bad && i < n; i++)
        bad = gw_key_list_add(&keys, GW_KEY_NODE_EVICT, nodes[i], NULL) || gw_key_list_push(&args, nodes[i]);
    if (bad || ss_redis_eval(rc->redis, &ERASURE_ACK, (int)keys.n, (const char *const *)keys.keys, (int)args.n,
                             (const char *const *)args.keys, ignore_reply, NULL) != 0)
        ss_warn(NULL, "erasure %s: could not acknowledge %zu node(s) now; next tick", rc->aid, n);
    else
        for (size_t i = 0; i < n; i++)
            ss_info(NULL, "erasure %s: node %s no longer holds voice %s", rc->aid, nodes[i], rc->voice_id);
    gw_key_list_free(&keys);
    gw_key_list_free(&args);
}

typedef struct {
    erasure_reconciler *rc;
    char node[160];
} call_ctx;

static void on_evicted(void *user, bool ok, bool was_cached, int code, const char *message)
{
    call_ctx *c = user;
    erasure_reconciler *rc = c->rc;
    if (ok) {
        ss_info(NULL, "erasure %s: EvictVoice %s on node %s done (was cached: %s)", rc->aid, rc->voice_id, c->node,
                was_cached ? "yes" : "no");
        const char *nodes[] = {c->node};
        ack_nodes(rc, nodes, 1);
        backoff_forget(rc, c->node);
    } else {
        backoff *b = backoff_of(rc, c->node);
        if (b) {
            b->next_ms = ss_wall_ms() + b->delay_ms;
            ss_warn(NULL, "erasure %s: EvictVoice on node %s failed (%d %s); again in %lld ms", rc->aid, c->node,
                    code, message, (long long)b->delay_ms);
            b->delay_ms = b->delay_ms * 2 > rc->settings->erasure_retry_max_ms ? rc->settings->erasure_retry_max_ms
                                                                                : b->delay_ms * 2;
        }
    }
    free(c);
    if (--rc->calls_waiting == 0)
        next_row(rc);
}

static void call_node(erasure_reconciler *rc, const char *node, const char *address)
{
    backoff *b = backoff_of(rc, node);
    if (b && b->next_ms > ss_wall_ms())
        return;
    call_ctx *c = calloc(1, sizeof *c);
    char err[256];
    if (!c)
        return;
    c->rc = rc;
    snprintf(c->node, sizeof c->node, "%s", node);
    rc->calls_waiting++;
    if (ss_evict_call_start(rc->grpc, address, rc->authorization, NULL, rc->voice_id,
                            (int)rc->settings->erasure_evict_timeout_ms, on_evicted, c, err, sizeof err) != 0) {
        rc->calls_waiting--;
        ss_warn(NULL, "erasure %s: cannot call node %s at %s: %s", rc->aid, node, address, err);
        free(c);
    }
}

/* node_state reply: {in evict set, alive, record|false} per pending node. */
static void on_node_state(void *user, const redisReply *reply, const char *err)
{
    erasure_reconciler *rc = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        ss_warn(NULL, "erasure %s: node state unreadable: %s", rc->aid, err ? err : "unexpected reply");
        next_row(rc);
        return;
    }
    const redisReply *ids = reply->element[0], *st = reply->element[1];
    const char **acks = calloc(ids->elements + 1, sizeof *acks);
    size_t nacks = 0;
    rc->calls_waiting = 1; /* held until every call is started */
    for (size_t i = 0; acks && i < ids->elements && i < st->elements; i++) {
        const redisReply *s = st->element[i];
        const char *node = ids->element[i]->str;
        bool owed = s->element[0]->integer == 1, alive = s->element[1]->integer == 1;
        bool known = s->element[2]->type == REDIS_REPLY_STRING;
        if (!owed || !known) {
            acks[nacks++] = node;
            continue;
        }
        if (alive) {
            json_t *rec = json_loadb(s->element[2]->str, s->element[2]->len, 0, NULL);
            const char *address = json_string_value(json_object_get(rec, "address"));
            if (address)
                call_node(rc, node, address);
            json_decref(rec);
        }
    }
    ack_nodes(rc, acks, nacks);
    free(acks);
    if (--rc->calls_waiting == 0)
        next_row(rc);
}

/* KEYS audit pending; ARGV - -> {{pending ids}, {{owed, alive, record|false}, ...}}
 * The node keys are built here from the ids of the first call: see row_nodes(). */
static const ss_redis_script NODE_STATE = {
    "erasure_node_state",
    "local ids, out = {}, {}\n"
    "for i = 1, #KEYS, 3 do\n"
    "  ids[#ids + 1] = ARGV[1 + (i - 1) / 3]\n"
    "  out[#out + 1] = {redis.call('SISMEMBER', KEYS[i], ARGV[#ARGV]), redis.call('EXISTS', KEYS[i + 1]),\n"
    "                   redis.call('GET', KEYS[i + 2]) or false}\n"
    "end\n"
    "return {ids, out}\n", .durable = false};

static void row_nodes(erasure_reconciler *rc, const redisReply *pending)
{
    if (pending->type != REDIS_REPLY_ARRAY || pending->elements == 0) {
        next_row(rc);
        return;
    }
    gw_key_list keys = {0}, args = {0};
    int bad = 0;
    for (size_t i = 0; !bad && i < pending->elements; i++) {
        const char *node = pending->element[i]->str;
        bad = gw_key_list_add(&keys, GW_KEY_NODE_EVICT, node, NULL) ||
              gw_key_list_add(&keys, GW_KEY_NODE_ALIVE, node, NULL) ||
              gw_key_list_add(&keys, GW_KEY_NODE, node, NULL) || gw_key_list_push(&args, node);
    }
    bad = bad || gw_key_list_push(&args, rc->voice_id);
    if (bad || ss_redis_eval(rc->redis, &NODE_STATE, (int)keys.n, (const char *const *)keys.keys, (int)args.n,
                             (const char *const *)args.keys, on_node_state, rc) != 0) {
        ss_warn(NULL, "erasure %s: cannot read the pending nodes now", rc->aid);
        next_row(rc);
    }
    gw_key_list_free(&keys);
    gw_key_list_free(&args);
}

/* Deletes the row's objects; returns the JSON array of the keys deleted, or
 * NULL when one could not be deleted (retried next tick). */
static char *delete_objects(erasure_reconciler *rc, const char *objects_json)
{
    json_t *keys = json_loads(objects_json, 0, NULL), *done = json_array();
    bool ok = keys && done && rc->objects;
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        char err[256];
        ss_object_status st = ok ? ss_object_delete(rc->objects, json_string_value(k), err, sizeof err) : SS_OBJECT_IO;
        if (st == SS_OBJECT_OK || st == SS_OBJECT_NOT_FOUND) {
            json_array_append(done, k);
            ss_info(NULL, "erasure %s: object %s %s", rc->aid, json_string_value(k),
                    st == SS_OBJECT_OK ? "deleted" : "was already gone");
        } else {
            ss_warn(NULL, "erasure %s: object %s not deleted: %s", rc->aid, json_string_value(k),
                    ok ? err : "no object store");
            ok = false;
        }
    }
    char *out = ok ? json_dumps(done, JSON_COMPACT) : NULL;
    json_decref(keys);
    json_decref(done);
    return out;
}

/* row_state reply: {voice_id|false, objects|false, objects_left|false, {pending}}. */
static void on_row_state(void *user, const redisReply *reply, const char *err)
{
    erasure_reconciler *rc = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        if (!err)
            ss_warn(NULL, "erasure %s: the row is gone or unreadable; skipped", rc->aid);
        next_row(rc);
        return;
    }
    snprintf(rc->voice_id, sizeof rc->voice_id, "%s", reply->element[0]->str);
    const redisReply *objs = reply->element[1], *left = reply->element[2];
    if (left->type == REDIS_REPLY_STRING && strcmp(left->str, "0") && objs->type == REDIS_REPLY_STRING) {
        char *deleted = delete_objects(rc, objs->str);
        if (deleted) {
            char k_row[GW_STATE_KEY_MAX], k_pending[GW_STATE_KEY_MAX], k_open[GW_STATE_KEY_MAX], now[40];
            ss_iso8601_ms(ss_wall_ms(), now, sizeof now);
            gw_state_key(k_row, sizeof k_row, GW_KEY_ERASURE, rc->aid, NULL);
            gw_state_key(k_pending, sizeof k_pending, GW_KEY_ERASURE_PENDING_NODES, rc->aid, NULL);
            gw_state_key(k_open, sizeof k_open, GW_KEY_ERASURES_OPEN, NULL, NULL);
            const char *keys[] = {k_row, k_pending, k_open}, *args[] = {rc->aid, deleted, now};
            ss_redis_eval(rc->redis, &ERASURE_OBJECTS_DONE, 3, keys, 3, args, ignore_reply, NULL);
            free(deleted);
        }
    }
    row_nodes(rc, reply->element[3]);
}

/* KEYS audit pending -> {voice_id, objects, objects_left, {pending}} */
static const ss_redis_script ROW_STATE = {
    "erasure_row_state",
    "return {redis.call('HGET', KEYS[1], 'voice_id') or false, redis.call('HGET', KEYS[1], 'objects') or false,\n"
    "        redis.call('HGET', KEYS[1], 'objects_left') or false, redis.call('SMEMBERS', KEYS[2])}\n", .durable = false};

static void next_row(erasure_reconciler *rc)
{
    if (rc->next_aid >= rc->naids) {
        tick_end(rc);
        return;
    }
    snprintf(rc->aid, sizeof rc->aid, "%s", rc->aids[rc->next_aid++]);
    rc->voice_id[0] = '\0';
    char k_row[GW_STATE_KEY_MAX], k_pending[GW_STATE_KEY_MAX];
    if (gw_state_key(k_row, sizeof k_row, GW_KEY_ERASURE, rc->aid, NULL) != 0 ||
        gw_state_key(k_pending, sizeof k_pending, GW_KEY_ERASURE_PENDING_NODES, rc->aid, NULL) != 0) {
        next_row(rc);
        return;
    }
    const char *keys[] = {k_row, k_pending};
    if (ss_redis_eval(rc->redis, &ROW_STATE, 2, keys, 0, NULL, on_row_state, rc) != 0)
        tick_end(rc); /* Redis is away: the next tick tries again */
}

static void on_open_rows(void *user, const redisReply *reply, const char *err)
{
    erasure_reconciler *rc = user;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        rc->busy = false;
        return;
    }
    rc->aids = calloc(reply->elements, sizeof *rc->aids);
    for (size_t i = 0; rc->aids && i < reply->elements; i++)
        if ((rc->aids[rc->naids] = strdup(reply->element[i]->str)))
            rc->naids++;
    next_row(rc);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    erasure_reconciler *rc = arg;
    if (rc->busy)
        return;
    char key[GW_STATE_KEY_MAX];
    gw_state_key(key, sizeof key, GW_KEY_ERASURES_OPEN, NULL, NULL);
    rc->busy = ss_redis_command(rc->redis, on_open_rows, rc, "SMEMBERS", key, NULL) == 0;
}

erasure_reconciler *erasure_reconciler_start(struct event_base *base, ss_redis *redis, const ss_settings *settings,
                                             ss_grpc_evclient *grpc, ss_object_store *objects,
                                             const char *authorization, char *err, size_t errlen)
{
    erasure_reconciler *rc = calloc(1, sizeof *rc);
    if (!rc || !(rc->authorization = strdup(authorization)) ||
        !(rc->timer = event_new(base, -1, EV_PERSIST, on_tick, rc))) {
        if (rc)
            free(rc->authorization);
        free(rc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rc->base = base;
    rc->redis = redis;
    rc->settings = settings;
    rc->grpc = grpc;
    rc->objects = objects;
    long ms = settings->erasure_reconcile_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(rc->timer, &tv);
    return rc;
}

void erasure_reconciler_free(erasure_reconciler *rc)
{
    if (!rc)
        return;
    event_free(rc->timer);
    tick_end(rc);
    free(rc->backoffs);
    free(rc->authorization);
    free(rc);
}
