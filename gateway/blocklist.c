/* Tenant blocklist (see blocklist.h). */
#include "gateway/blocklist.h"

#include "gateway/gateway.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/log.h"

#include <jansson.h>

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

/* Why entry e cannot be used, or NULL when it is a valid entry. */
static const char *entry_defect(const json_t *e)
{
    if (!json_is_object(e))
        return "is not a JSON object";
    const char *kind = json_string_value(json_object_get(e, "kind"));
    if (!kind)
        return "has no kind";
    if (!strcmp(kind, "speaker"))
        return NULL;
    if (strcmp(kind, "text") != 0)
        return "has an unknown kind";
    const char *pat = json_string_value(json_object_get(e, "pattern"));
    if (!pat || !*pat)
        return "is a text entry without a pattern";
    return NULL;
}

blocklist_verdict blocklist_check(const char *const *ids, const char *const *entries, const size_t *lens,
                                  size_t n, const char *text, char *id, size_t idcap, char *why,
                                  size_t whycap)
{
    snprintf(id, idcap, "%s", "");
    snprintf(why, whycap, "%s", "");
    char *t = fold(text);
    if (!t)
        return BLOCKLIST_NO_MEMORY;
    blocklist_verdict v = BLOCKLIST_PASS;
    for (size_t i = 0; i < n && v == BLOCKLIST_PASS; i++) {
        json_error_t jerr;
        json_t *e = json_loadb(entries[i], lens[i], 0, &jerr);
        const char *defect = e ? entry_defect(e) : "is not JSON";
        const char *eid = ids[i];
        if (defect) {
            snprintf(why, whycap, "blocklist entry %s %s", eid, defect);
            v = BLOCKLIST_BROKEN;
        } else if (!strcmp(json_string_value(json_object_get(e, "kind")), "text")) {
            char *p = fold(json_string_value(json_object_get(e, "pattern")));
            if (!p) {
                v = BLOCKLIST_NO_MEMORY;
            } else if (*p && strstr(t, p)) {
                snprintf(id, idcap, "%s", eid);
                v = BLOCKLIST_HIT;
            }
            free(p);
        }
        json_decref(e);
    }
    free(t);
    return v;
}

static void on_list(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to HVALS");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *e = json_loadb(reply->element[i]->str, reply->element[i]->len, 0, NULL);
        if (e)
            json_array_append_new(items, e);
        else
            ss_warn(r->id, "blocklist entry %zu of the tenant is not JSON; not listed", i);
    }
    gw_reply_ok(r, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

static bool tenant_of(gw_request *r, char *key, size_t cap)
{
    if (!*r->caller.tenant_id) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller belongs to no tenant", NULL);
        return false;
    }
    if (gw_state_key(key, cap, GW_KEY_TENANT_BLOCKLIST, r->caller.tenant_id, NULL) != 0) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller's tenant id is too long", NULL);
        return false;
    }
    return true;
}

void gw_handle_blocklist_list(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key))
        return;
    const char *argv[] = {"HVALS", key};
    gw_state_command(r, 2, argv, on_list, NULL, NULL);
}

static void entry_free(void *entry)
{
    json_decref(entry);
}

static void on_added(gw_request *r, void *user, const redisReply *reply)
{
    json_t *entry = user;
    (void)reply;
    ss_info(r->id, "blocklist entry %s added", json_string_value(json_object_get(entry, "id")));
    gw_reply_json(r, 201, ss_envelope_ok(entry, r->id));
}

void gw_handle_blocklist_add(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
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
    if (ss_id_new("bl_", 16, id, sizeof id) != 0) {
        json_decref(body);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "cannot generate an entry id (no randomness)", NULL);
        return;
    }
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kind", kind, "note",
                              note ? json_string_value(note) : "", "created_at", at);
    json_object_set(entry, !strcmp(kind, "text") ? "pattern" : "voice_id", !strcmp(kind, "text") ? pattern : voice);
    json_decref(body);
    char *ej = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
    if (!ej) {
        json_decref(entry);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    const char *argv[] = {"HSET", key, id, ej};
    gw_state_command(r, 4, argv, on_added, entry, entry_free);
    free(ej);
}

static void on_deleted(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        gw_reply_error(r, SS_ERR_BLOCKLIST_ENTRY_NOT_FOUND, "no such blocklist entry", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:s,s:b}", "id", r->params[0], "deleted", 1));
}

void gw_handle_blocklist_delete(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key))
        return;
    const char *argv[] = {"HDEL", key, r->params[0]};
    gw_state_command(r, 3, argv, on_deleted, NULL, NULL);
}
