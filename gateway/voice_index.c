/* The voice library in Redis (see voice_index.h).
 *
 * The ranked list is walked from C, one index batch at a time: a
 * ZREVRANGEBYLEX of the current segment from just after the position, then
 * one MGET of those records; matching, visible records are kept until the
 * page is full and one more match proves there is a next page (the cursor
 * then names the last item returned), the segments run out (no cursor), or
 * VOICE_LIST_SCAN_MAX entries were examined (the cursor names the last one
 * examined: everything before it did not match). Records are read after
 * their index entries, so a voice deleted in between is skipped, never
 * returned half. */
#include "gateway/voice_index.h"

#include "gateway/state_call.h"
#include "gateway/state_keys.h"
#include "gateway/voice_license.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/hex_codec.h"
#include "common/log.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#define PAGE_BATCH 100

int voice_index_member(char *out, size_t cap, int64_t created_ms, const char *voice_id)
{
    if (created_ms < 0)
        created_ms = 0;
    int n = snprintf(out, cap, "%016" PRId64 ":%s", created_ms, voice_id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* --- cursor: hex of "v1|<seg>|<member>" */

int voice_cursor_encode(voice_segment seg, const char *member, char *out, size_t cap)
{
    char plain[VOICE_INDEX_MEMBER_MAX + 16];
    int n = snprintf(plain, sizeof plain, "v1|%d|%s", (int)seg, member);
    if (n < 0 || (size_t)n >= sizeof plain || (size_t)n * 2 + 1 > cap)
        return -1;
    ss_hex_encode(plain, (size_t)n, out);
    return 0;
}

/* A member as voice_index_member() writes it: 16 digits, ':', an id of
 * [A-Za-z0-9_]. */
static bool member_ok(const char *m)
{
    for (int i = 0; i < 16; i++)
        if (!isdigit((unsigned char)m[i]))
            return false;
    if (m[16] != ':' || !m[17])
        return false;
    for (const char *p = m + 17; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

int voice_cursor_decode(const char *cursor, voice_segment *seg, char *member, size_t cap)
{
    size_t len = cursor ? strlen(cursor) : 0;
    char plain[VOICE_INDEX_MEMBER_MAX + 16];
    if (len == 0 || ss_hex_decode(cursor, len, plain, sizeof plain - 1) < 0 ||
        memchr(plain, '\0', len / 2)) /* no cursor made here has one */
        return -1;
    plain[len / 2] = '\0';
    if (strncmp(plain, "v1|", 3) != 0 || plain[3] < '0' || plain[3] > '2' || plain[4] != '|')
        return -1;
    const char *m = plain + 5;
    if ((*m && !member_ok(m)) || strlen(m) >= cap)
        return -1; /* an empty member: from the top of the segment */
    *seg = (voice_segment)(plain[3] - '0');
    snprintf(member, cap, "%s", m);
    return 0;
}

/* --- filters */

int voice_segment_of_scope(const char *scope)
{
    static const char *const names[VOICE_SEG_COUNT] = {"user", "tenant", "global"};
    for (int i = 0; scope && i < VOICE_SEG_COUNT; i++)
        if (!strcmp(scope, names[i]))
            return i;
    return -1;
}

static bool contains_folded(const char *hay, const char *needle)
{
    if (!hay)
        return false;
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* "en" matches "en" and "en-GB"; "en-GB" only "en-GB". */
static bool language_matches(const char *have, const char *want)
{
    if (!have)
        return false;
    size_t n = strlen(want);
    return !strncmp(have, want, n) && (have[n] == '\0' || (have[n] == '-' && !strchr(want, '-')));
}

static bool string_field_is(const json_t *voice, const char *field, const char *want)
{
    const char *v = json_string_value(json_object_get(voice, field));
    return v && !strcmp(v, want);
}

bool voice_speaks_language(const json_t *voice, const char *want)
{
    if (language_matches(json_string_value(json_object_get(voice, "language_primary")), want))
        return true;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(voice, "language_supported"), i, l) if (language_matches(json_string_value(l),
                                                                                                 want)) return true;
    return false;
}

static bool q_ok(const json_t *voice, const char *q)
{
    if (contains_folded(json_string_value(json_object_get(voice, "display_name")), q) ||
        contains_folded(json_string_value(json_object_get(voice, "description")), q))
        return true;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(voice, "style_tags"), i, t) if (contains_folded(json_string_value(t), q)) return true;
    return false;
}

bool voice_filter_matches(const json_t *voice, const voice_filter *f)
{
    if (f->scope && !string_field_is(voice, "scope", f->scope))
        return false;
    if (f->gender && !string_field_is(voice, "gender_hint", f->gender))
        return false;
    if (f->accent) {
        const char *a = json_string_value(json_object_get(voice, "accent"));
        if (!a || strcasecmp(a, f->accent) != 0)
            return false;
    }
    if (f->embedding_status && !string_field_is(voice, "embedding_status", f->embedding_status))
        return false;
    if (f->language && !voice_speaks_language(voice, f->language))
        return false;
    return !f->q || q_ok(voice, f->q);
}

/* --- keys */

/* The index key of a record's scope. 0 or -1. */
static int index_key_of(const json_t *record, char *out, size_t cap)
{
    const char *scope = json_string_value(json_object_get(record, "scope"));
    const char *tid = json_string_value(json_object_get(record, "tenant_id"));
    const char *uid = json_string_value(json_object_get(record, "owner_user_id"));
    switch (voice_segment_of_scope(scope)) {
    case VOICE_SEG_USER:
        return gw_state_key(out, cap, GW_KEY_USER_VOICES, tid, uid);
    case VOICE_SEG_TENANT:
        return gw_state_key(out, cap, GW_KEY_TENANT_VOICES, tid, NULL);
    case VOICE_SEG_GLOBAL:
        return gw_state_key(out, cap, GW_KEY_VOICES_GLOBAL_INDEX, NULL, NULL);
    default:
        return -1;
    }
}

static int segment_key(const gw_request *r, voice_segment seg, char *out, size_t cap)
{
    const gw_caller *c = &r->caller;
    switch (seg) {
    case VOICE_SEG_USER:
        return *c->tenant_id && *c->user_id ? gw_state_key(out, cap, GW_KEY_USER_VOICES, c->tenant_id, c->user_id)
                                            : -1;
    case VOICE_SEG_TENANT:
        return *c->tenant_id ? gw_state_key(out, cap, GW_KEY_TENANT_VOICES, c->tenant_id, NULL) : -1;
    case VOICE_SEG_GLOBAL:
        return gw_state_key(out, cap, GW_KEY_VOICES_GLOBAL_INDEX, NULL, NULL);
    default:
        return -1;
    }
}

/* --- writes */

/* KEYS: voice, index[, global set]; ARGV: json, member, id -> 1 created, 0 existed */
static const ss_redis_script VOICE_CREATE = {
    "voice_create",
    "if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end\n"
    "redis.call('ZADD', KEYS[2], 0, ARGV[2])\n"
    "if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[3]) end\n"
    "return 1\n",
    .durable = true};

/* KEYS: voice, old index, new index; ARGV: old json, new json, member -> 1, or 0 (changed meanwhile) */
static const ss_redis_script VOICE_UPDATE = {
    "voice_update",
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[2])\n"
    "if KEYS[2] ~= KEYS[3] then\n"
    "  redis.call('ZREM', KEYS[2], ARGV[3])\n"
    "  redis.call('ZADD', KEYS[3], 0, ARGV[3])\n"
    "end\n"
    "return 1\n",
    .durable = true};

typedef struct {
    voice_write_done_fn done;
    void *user;
    void (*user_free)(void *);
} write_ctx;

static void write_ctx_free(void *p)
{
    write_ctx *w = p;
    if (w && w->user_free)
        w->user_free(w->user);
    free(w);
}

static void on_written(gw_request *r, void *p, const redisReply *reply)
{
    write_ctx *w = p;
    if (reply->type != REDIS_REPLY_INTEGER) {
        gw_state_unavailable(r, "unexpected reply to a voice write");
        write_ctx_free(w);
        return;
    }
    w->done(r, w->user, reply->integer == 1);
    free(w); /* the user context is done's to release */
}

static write_ctx *write_ctx_new(gw_request *r, voice_write_done_fn done, void *user, void (*user_free)(void *))
{
    write_ctx *w = calloc(1, sizeof *w);
    if (!w) {
        if (user_free)
            user_free(user);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return NULL;
    }
    *w = (write_ctx){done, user, user_free};
    return w;
}

void voice_index_create(gw_request *r, const json_t *record, voice_write_done_fn done, void *user,
                        void (*user_free)(void *))
{
    write_ctx *w = write_ctx_new(r, done, user, user_free);
    if (!w)
        return;
    const char *id = json_string_value(json_object_get(record, "voice_id"));
    const char *member = json_string_value(json_object_get(record, "_index"));
    char k_voice[GW_STATE_KEY_MAX], k_index[GW_STATE_KEY_MAX], k_global[GW_STATE_KEY_MAX];
    bool global = voice_segment_of_scope(json_string_value(json_object_get(record, "scope"))) == VOICE_SEG_GLOBAL;
    char *json = json_dumps(record, JSON_COMPACT);
    if (!id || !member || !json || gw_state_key(k_voice, sizeof k_voice, GW_KEY_VOICE, id, NULL) != 0 ||
        index_key_of(record, k_index, sizeof k_index) != 0 ||
        gw_state_key(k_global, sizeof k_global, GW_KEY_VOICES_GLOBAL, NULL, NULL) != 0) {
        free(json);
        write_ctx_free(w);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, json ? "the voice record cannot be keyed" : "out of memory", NULL);
        return;
    }
    const char *keys[] = {k_voice, k_index, k_global}, *args[] = {json, member, id};
    gw_state_eval(r, &VOICE_CREATE, global ? 3 : 2, keys, 3, args, on_written, w, write_ctx_free);
    free(json);
}

void voice_index_update(gw_request *r, const char *old_json, const json_t *old_record, const json_t *record,
                        voice_write_done_fn done, void *user, void (*user_free)(void *))
{
    write_ctx *w = write_ctx_new(r, done, user, user_free);
    if (!w)
        return;
    const char *id = json_string_value(json_object_get(record, "voice_id"));
    const char *member = json_string_value(json_object_get(record, "_index"));
    char k_voice[GW_STATE_KEY_MAX], k_old[GW_STATE_KEY_MAX], k_new[GW_STATE_KEY_MAX];
    char *json = json_dumps(record, JSON_COMPACT);
    if (!id || !member || !json || gw_state_key(k_voice, sizeof k_voice, GW_KEY_VOICE, id, NULL) != 0 ||
        index_key_of(old_record, k_old, sizeof k_old) != 0 || index_key_of(record, k_new, sizeof k_new) != 0) {
        free(json);
        write_ctx_free(w);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, json ? "the voice record cannot be keyed" : "out of memory", NULL);
        return;
    }
    const char *keys[] = {k_voice, k_old, k_new}, *args[] = {old_json, json, member};
    gw_state_eval(r, &VOICE_UPDATE, 3, keys, 3, args, on_written, w, write_ctx_free);
    free(json);
}

/* --- one record */

typedef struct {
    voice_read_done_fn done;
    void *user;
    void (*user_free)(void *);
} read_ctx;

static void read_ctx_free(void *p)
{
    read_ctx *c = p;
    if (c && c->user_free)
        c->user_free(c->user);
    free(c);
}

/* KEYS voice, license counter -> {record|false, counter|false} */
static const ss_redis_script VOICE_READ = {
    "voice_read", "return {redis.call('GET', KEYS[1]) or false, redis.call('GET', KEYS[2]) or false}\n", .durable = false};

static void on_read(gw_request *r, void *p, const redisReply *pair)
{
    read_ctx *c = p;
    json_t *record = NULL;
    char *raw = NULL;
    if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2) {
        gw_state_unavailable(r, "unexpected reply to voice_read");
        read_ctx_free(c);
        return;
    }
    const redisReply *reply = pair->element[0];
    if (reply->type == REDIS_REPLY_STRING) {
        record = json_loadb(reply->str, reply->len, 0, NULL);
        raw = record ? strndup(reply->str, reply->len) : NULL;
        if (!record || !raw) {
            ss_error(r->id, "voice record is not JSON, or out of memory reading it");
            json_decref(record);
            free(raw);
            read_ctx_free(c);
            gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "the voice record cannot be read", NULL);
            return;
        }
        voice_license_show_used(record, pair->element[1]);
    }
    c->done(r, c->user, record, raw);
    json_decref(record);
    free(raw);
    free(c);
}

void voice_index_read(gw_request *r, const char *voice_id, voice_read_done_fn done, void *user,
                      void (*user_free)(void *))
{
    read_ctx *c = calloc(1, sizeof *c);
    char key[GW_STATE_KEY_MAX], counter[GW_STATE_KEY_MAX];
    if (!c || gw_state_key(key, sizeof key, GW_KEY_VOICE, voice_id, NULL) != 0 ||
        gw_state_key(counter, sizeof counter, GW_KEY_VOICE_LICENSE_USED, voice_id, NULL) != 0) {
        free(c);
        if (user_free)
            user_free(user);
        gw_reply_error(r, c ? SS_ERR_VOICE_NOT_FOUND : SS_ERR_INTERNAL_ERROR, c ? "no such voice" : "out of memory",
                       NULL);
        return;
    }
    *c = (read_ctx){done, user, user_free};
    const char *keys[] = {key, counter};
    gw_state_eval(r, &VOICE_READ, 2, keys, 0, NULL, on_read, c, read_ctx_free);
}

/* --- the ranked list */

typedef struct {
    voice_page_query q;
    voice_page_done_fn done;
    void *user;
    voice_segment seg;
    char after[VOICE_INDEX_MEMBER_MAX];
    voice_segment ret_seg; /* position of the last item returned */
    char ret_member[VOICE_INDEX_MEMBER_MAX];
    json_t *items;
    int examined;
    char **members; /* the current batch */
    size_t nmembers;
    bool batch_full; /* the batch had PAGE_BATCH entries: the segment may go on */
} page_walk;

static void members_free(page_walk *w)
{
    for (size_t i = 0; i < w->nmembers; i++)
        free(w->members[i]);
    free(w->members);
    w->members = NULL;
    w->nmembers = 0;
}

static void walk_free(void *p)
{
    page_walk *w = p;
    if (!w)
        return;
    members_free(w);
    json_decref(w->items);
    free(w);
}

static void walk_step(gw_request *r, page_walk *w);

static void walk_finish(gw_request *r, page_walk *w, voice_segment seg, const char *member)
{
    char cursor[VOICE_CURSOR_MAX];
    bool has_next = member && voice_cursor_encode(seg, member, cursor, sizeof cursor) == 0;
    w->done(r, w->user, w->items, has_next ? cursor : NULL);
    w->items = NULL;
    walk_free(w);
}

static bool segment_selected(const page_walk *w, voice_segment seg)
{
    int only = voice_segment_of_scope(w->q.filter.scope);
    return only < 0 || only == (int)seg;
}

static void next_segment(page_walk *w)
{
    w->seg++;
    w->after[0] = '\0';
}

/* Adds the batch's records (reply to MGET); false when the page is complete
 * (walk_finish was called). */
static bool take_records(gw_request *r, page_walk *w, const redisReply *reply)
{
    for (size_t i = 0; i < w->nmembers && 2 * i + 1 < reply->elements; i++) {
        const redisReply *e = reply->element[2 * i];
        w->examined++;
        snprintf(w->after, sizeof w->after, "%s", w->members[i]);
        json_t *v = e->type == REDIS_REPLY_STRING ? json_loadb(e->str, e->len, 0, NULL) : NULL;
        if (v)
            voice_license_show_used(v, reply->element[2 * i + 1]);
        bool take = v && voice_visible(v, r->caller.tenant_id, r->caller.user_id) &&
                    voice_filter_matches(v, &w->q.filter);
        if (take && json_array_size(w->items) == (size_t)w->q.limit) {
            json_decref(v);
            walk_finish(r, w, w->ret_seg, w->ret_member);
            return false;
        }
        if (take) {
            json_t *pub = voice_record_public(v);
            if (!pub || json_array_append_new(w->items, pub) != 0) {
                json_decref(v);
                walk_free(w);
                gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
                return false;
            }
            w->ret_seg = w->seg;
            snprintf(w->ret_member, sizeof w->ret_member, "%s", w->members[i]);
        }
        json_decref(v);
    }
    return true;
}

static void on_records(gw_request *r, void *p, const redisReply *reply)
{
    page_walk *w = p;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to MGET of voices");
        walk_free(w);
        return;
    }
    if (!take_records(r, w, reply))
        return;
    members_free(w);
    if (!w->batch_full)
        next_segment(w);
    if (w->examined >= VOICE_LIST_SCAN_MAX && w->seg < VOICE_SEG_COUNT) {
        walk_finish(r, w, w->seg, w->after); /* "" = the top of the next segment */
        return;
    }
    walk_step(r, w);
}

/* Builds and sends MGET ss:voice:{id} ss:voice:{id}:license_used ... for the batch. */
static void read_batch(gw_request *r, page_walk *w)
{
    size_t n = w->nmembers;
    const char **argv = calloc(2 * n + 1, sizeof *argv);
    char *keys = calloc(2 * n, GW_STATE_KEY_MAX);
    if (!argv || !keys) {
        free(argv);
        free(keys);
        walk_free(w);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        char *k = keys + 2 * i * GW_STATE_KEY_MAX, *u = k + GW_STATE_KEY_MAX;
        const char *colon = strchr(w->members[i], ':');
        if (gw_state_key(k, GW_STATE_KEY_MAX, GW_KEY_VOICE, colon ? colon + 1 : "", NULL) != 0 ||
            gw_state_key(u, GW_STATE_KEY_MAX, GW_KEY_VOICE_LICENSE_USED, colon ? colon + 1 : "", NULL) != 0) {
            snprintf(k, GW_STATE_KEY_MAX, "ss:voice:");
            snprintf(u, GW_STATE_KEY_MAX, "ss:voice:");
        }
        argv[2 * i + 1] = k;
        argv[2 * i + 2] = u;
    }
    gw_state_command(r, (int)(2 * n) + 1, argv, on_records, w, walk_free);
    free(argv);
    free(keys);
}

static void on_members(gw_request *r, void *p, const redisReply *reply)
{
    page_walk *w = p;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to ZREVRANGEBYLEX");
        walk_free(w);
        return;
    }
    if (reply->elements == 0) {
        next_segment(w);
        walk_step(r, w);
        return;
    }
    w->members = calloc(reply->elements, sizeof *w->members);
    for (size_t i = 0; w->members && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        w->members[i] = e->type == REDIS_REPLY_STRING ? strndup(e->str, e->len) : strdup("");
        if (!w->members[i])
            break;
        w->nmembers++;
    }
    if (w->nmembers != reply->elements) {
        walk_free(w);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    w->batch_full = reply->elements == PAGE_BATCH;
    read_batch(r, w);
}

static void walk_step(gw_request *r, page_walk *w)
{
    char key[GW_STATE_KEY_MAX];
    while (w->seg < VOICE_SEG_COUNT &&
           (!segment_selected(w, w->seg) || segment_key(r, w->seg, key, sizeof key) != 0))
        next_segment(w);
    if (w->seg >= VOICE_SEG_COUNT) {
        walk_finish(r, w, VOICE_SEG_USER, NULL);
        return;
    }
    char max[VOICE_INDEX_MEMBER_MAX + 2], count[16];
    snprintf(max, sizeof max, "%s%s", w->after[0] ? "(" : "+", w->after);
    snprintf(count, sizeof count, "%d", PAGE_BATCH);
    const char *argv[] = {"ZREVRANGEBYLEX", key, max, "-", "LIMIT", "0", count};
    gw_state_command(r, 7, argv, on_members, w, walk_free);
}

void voice_index_page(gw_request *r, const voice_page_query *q, voice_page_done_fn done, void *user)
{
    page_walk *w = calloc(1, sizeof *w);
    json_t *items = json_array();
    if (!w || !items) {
        free(w);
        json_decref(items);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    w->q = *q;
    w->done = done;
    w->user = user;
    w->items = items;
    w->seg = q->start_seg;
    snprintf(w->after, sizeof w->after, "%s", q->after);
    walk_step(r, w);
}
