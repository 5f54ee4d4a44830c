/* GET /admin/erasure/audit (API.md §6): the erasure audit trail, newest
 * first, `limit` 1..200 (default 50) and an opaque `cursor`.
 *
 * A tenant admin sees its tenant's rows (ss:tenant:{tid}:erasures); a
 * super_admin every tenant's (ss:erasures). Both indexes are ZSETs of
 * "<ms>:<audit id>" members (erasure_store.h), so a page is one
 * ZREVRANGEBYLEX after the cursor (the hex of the last member shown) and one
 * script reading each row's hash and node sets. Rows: {id, voice_id,
 * tenant_id, actor_user_id, requested_at, completed_at, objects_deleted[],
 * nodes_evicted[], nodes_pending[], status}. */
#include "gateway/erasure_store.h"
#include "gateway/gateway.h"
#include "gateway/permissions.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 200
#define MEMBER_MAX 96

/* KEYS: per row its hash, pending set, evicted set
 * -> {{hash fields...}, {pending...}, {evicted...}} per row */
static const ss_redis_script ERASURE_ROWS = {
    "erasure_rows",
    "local out = {}\n"
    "for i = 1, #KEYS, 3 do\n"
    "  out[#out + 1] = {redis.call('HGETALL', KEYS[i]), redis.call('SMEMBERS', KEYS[i + 1]),\n"
    "                   redis.call('SMEMBERS', KEYS[i + 2])}\n"
    "end\n"
    "return out\n", .durable = false};

static json_t *set_of(const redisReply *a)
{
    json_t *out = json_array();
    for (size_t i = 0; out && a->type == REDIS_REPLY_ARRAY && i < a->elements; i++)
        json_array_append_new(out, json_string(a->element[i]->str));
    return out;
}

/* One row from {hash, pending, evicted}. */
static json_t *row_of(const redisReply *e)
{
    const redisReply *h = e->element[0];
    json_t *row = json_object();
    for (size_t i = 0; row && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
        const char *k = h->element[i]->str, *v = h->element[i + 1]->str;
        if (!strcmp(k, "member") || !strcmp(k, "objects") || !strcmp(k, "objects_left"))
            continue;
        json_t *val = !strcmp(k, "objects_deleted") ? json_loads(v, 0, NULL) : json_string(v);
        json_object_set_new(row, k, val ? val : json_null());
    }
    if (row && !json_object_get(row, "completed_at"))
        json_object_set_new(row, "completed_at", json_null());
    if (row) {
        json_object_set_new(row, "nodes_pending", set_of(e->element[1]));
        json_object_set_new(row, "nodes_evicted", set_of(e->element[2]));
    }
    return row;
}

typedef struct {
    char next[MEMBER_MAX * 2 + 1]; /* the cursor of the next page, "" at the end */
} audit_page;

static void on_rows(gw_request *r, void *user, const redisReply *reply)
{
    audit_page *p = user;
    json_t *items = json_array();
    for (size_t i = 0; items && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        json_t *row = e->type == REDIS_REPLY_ARRAY && e->elements == 3 ? row_of(e) : NULL;
        if (row && json_object_get(row, "id"))
            json_array_append_new(items, row);
        else
            json_decref(row); /* a row whose hash is gone */
    }
    if (!items) {
        free(p);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:o,s:s?}", "items", items, "next_cursor", p->next[0] ? p->next : NULL));
    free(p);
}

static void on_members(gw_request *r, void *user, const redisReply *reply)
{
    audit_page *p = user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        free(p);
        gw_state_unavailable(r, "unexpected reply to ZREVRANGEBYLEX of the erasures");
        return;
    }
    size_t n = reply->elements;
    const char *lim = gw_query(r, "limit");
    size_t want = lim ? (size_t)strtol(lim, NULL, 10) : AUDIT_LIMIT_DEFAULT;
    if (n > want) { /* one more than asked: there is a next page, after the last shown */
        n = want;
        const char *last = reply->element[n - 1]->str;
        erasure_cursor_of(last, MEMBER_MAX, p->next);
    }
    gw_key_list keys = {0};
    int bad = 0;
    for (size_t i = 0; !bad && i < n; i++) {
        const char *colon = strchr(reply->element[i]->str, ':');
        const char *aid = colon ? colon + 1 : "";
        bad = gw_key_list_add(&keys, GW_KEY_ERASURE, aid, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_PENDING_NODES, aid, NULL) ||
              gw_key_list_add(&keys, GW_KEY_ERASURE_EVICTED_NODES, aid, NULL);
    }
    if (bad) {
        gw_key_list_free(&keys);
        free(p);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_state_eval(r, &ERASURE_ROWS, (int)keys.n, (const char *const *)keys.keys, 0, NULL, on_rows, p, free);
    gw_key_list_free(&keys);
}

void gw_handle_erasure_audit(gw_request *r)
{
    const char *lim = gw_query(r, "limit"), *cursor = gw_query(r, "cursor");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : AUDIT_LIMIT_DEFAULT;
    char member[MEMBER_MAX], key[GW_STATE_KEY_MAX];
    json_t *details = json_array();
    if (lim && (!*lim || *end || limit < 1 || limit > AUDIT_LIMIT_MAX))
        json_array_append_new(details, ss_detail("limit", "must be an integer from 1 to 200"));
    if (cursor && *cursor && erasure_cursor_member(cursor, member, sizeof member) != 0)
        json_array_append_new(details,
                              ss_detail("cursor", "is not a cursor of this list (pass next_cursor as it came)"));
    if (json_array_size(details)) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the request has invalid fields", details);
        return;
    }
    json_decref(details);
    bool all = r->caller.role == ROLE_SUPER_ADMIN || r->caller.kind == CALLER_OPERATOR_TOKEN;
    if (all)
        gw_state_key(key, sizeof key, GW_KEY_ERASURES, NULL, NULL);
    else if (!*r->caller.tenant_id || gw_state_key(key, sizeof key, GW_KEY_TENANT_ERASURES, r->caller.tenant_id, NULL))
    {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller belongs to no tenant", NULL);
        return;
    }
    audit_page *p = calloc(1, sizeof *p);
    if (!p) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    char max[MEMBER_MAX + 2], count[24];
    snprintf(max, sizeof max, "%s%s", cursor && *cursor ? "(" : "+", cursor && *cursor ? member : "");
    snprintf(count, sizeof count, "%ld", limit + 1);
    const char *argv[] = {"ZREVRANGEBYLEX", key, max, "-", "LIMIT", "0", count};
    gw_state_command(r, 7, argv, on_members, p, free);
}
