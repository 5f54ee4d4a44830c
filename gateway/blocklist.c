/* Tenant blocklist (see blocklist.h). */
#include "gateway/blocklist.h"

#include "gateway/gateway.h"

#include "common/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lower-cases ASCII and folds white-space runs to one space. */
static char *fold(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    bool space = false;
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) {
            space = true;
            continue;
        }
        if (space && o != out)
            *o++ = ' ';
        space = false;
        *o++ = (char)tolower((unsigned char)*s);
    }
    *o = '\0';
    return out;
}

const char *blocklist_match(const json_t *entries, const char *text)
{
    char *t = fold(text);
    const char *hit = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *pat = json_string_value(json_object_get(e, "pattern"));
        if (!t || !kind || strcmp(kind, "text") != 0 || !pat || !*pat)
            continue;
        char *p = fold(pat);
        bool found = p && *p && strstr(t, p) != NULL;
        free(p);
        if (found) {
            hit = json_string_value(json_object_get(e, "id"));
            break;
        }
    }
    free(t);
    return hit;
}

static void reply_down(gw_request *r)
{
    gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "state store (redis) unavailable", NULL);
}

static void on_list(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err || reply->type != REDIS_REPLY_ARRAY) {
        reply_down(r);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *e = json_loadb(reply->element[i]->str, reply->element[i]->len, 0, NULL);
        if (e)
            json_array_append_new(items, e);
    }
    gw_reply_ok(r, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

static bool tenant_of(gw_request *r, char *key, size_t cap)
{
    if (!*r->caller.tenant_id) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller belongs to no tenant", NULL);
        return false;
    }
    snprintf(key, cap, "ss:tenant:%s:blocklist", r->caller.tenant_id);
    return true;
}

void gw_handle_blocklist_list(gw_request *r)
{
    char key[128];
    if (!tenant_of(r, key, sizeof key))
        return;
    if (ss_redis_command(r->gw->redis, on_list, r, "HVALS", key, NULL) != 0)
        reply_down(r);
}

typedef struct {
    gw_request *r;
    json_t *entry;
} add_ctx;

static void on_added(void *user, const redisReply *reply, const char *err)
{
    add_ctx *a = user;
    (void)reply;
    if (err) {
        reply_down(a->r);
        json_decref(a->entry);
    } else {
        ss_info(a->r->id, "blocklist entry %s added", json_string_value(json_object_get(a->entry, "id")));
        gw_reply_json(a->r, 201, ss_envelope_ok(a->entry, a->r->id));
    }
    free(a);
}

void gw_handle_blocklist_add(gw_request *r)
{
    char key[128];
    if (!tenant_of(r, key, sizeof key))
        return;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    json_t *details = json_array();
    const char *kind = json_string_value(json_object_get(body, "kind"));
    json_t *pattern = json_object_get(body, "pattern"), *voice = json_object_get(body, "voice_id");
    json_t *note = json_object_get(body, "note");
    if (!json_is_object(body))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", "body", "message", "must be an object"));
    else if (!kind || (strcmp(kind, "text") && strcmp(kind, "speaker")))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", "kind", "message", "must be text or speaker"));
    else if (!strcmp(kind, "text") && (!json_is_string(pattern) || json_string_length(pattern) == 0 ||
                                       json_string_length(pattern) > 500))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", "pattern", "message",
                                                 "a text entry needs a pattern of 1..500 characters"));
    else if (!strcmp(kind, "speaker") && (!json_is_string(voice) || json_string_length(voice) == 0))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", "voice_id", "message",
                                                 "a speaker entry needs a voice_id"));
    if (note && (!json_is_string(note) || json_string_length(note) > 500))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", "note", "message",
                                                 "must be a string of at most 500 characters"));
    if (json_array_size(details)) {
        json_decref(body);
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "invalid blocklist entry", details);
        return;
    }
    json_decref(details);
    char id[40], at[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ss_id_new("bl_", 16, id, sizeof id);
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kind", kind, "note",
                              note ? json_string_value(note) : "", "created_at", at);
    json_object_set(entry, !strcmp(kind, "text") ? "pattern" : "voice_id", !strcmp(kind, "text") ? pattern : voice);
    json_decref(body);
    char *ej = json_dumps(entry, JSON_COMPACT);
    add_ctx *a = malloc(sizeof *a);
    if (!ej || !a) {
        free(ej);
        free(a);
        json_decref(entry);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    *a = (add_ctx){r, entry};
    int rc = ss_redis_command(r->gw->redis, on_added, a, "HSET", key, id, ej, NULL);
    free(ej);
    if (rc != 0) {
        json_decref(entry);
        free(a);
        reply_down(r);
    }
}

static void on_deleted(void *user, const redisReply *reply, const char *err)
{
    gw_request *r = user;
    if (err) {
        reply_down(r);
        return;
    }
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        gw_reply_error(r, SS_ERR_BLOCKLIST_ENTRY_NOT_FOUND, "no such blocklist entry", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:s,s:b}", "id", r->params[0], "deleted", 1));
}

void gw_handle_blocklist_delete(gw_request *r)
{
    char key[128];
    if (!tenant_of(r, key, sizeof key))
        return;
    if (ss_redis_command(r->gw->redis, on_deleted, r, "HDEL", key, r->params[0], NULL) != 0)
        reply_down(r);
}
