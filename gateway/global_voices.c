/* Licensed global voices (API.md §6), super_admin only:
 *   POST   /admin/voices/global       a global voice, JSON: the metadata of
 *          POST /voices (display_name, language_primary, ...), optional
 *          voice_design_prompt (a designed voice; without it the engine's
 *          own voice), optional engine (default the platform engine), and
 *          license{licensor, license_type, expires_at (UTC time or null),
 *          character_cap (positive integer or null)}. 201 with the voice,
 *          scope global, ready, license.characters_used 0.
 *   DELETE /admin/voices/global/{id}  the erasure of DELETE /voices/{id}
 *          (voice_erasure.c), for global voices only (404 for others).
 * Any other caller gets 403 AUTHZ_PERMISSION_DENIED (the route needs an
 * operator-class caller; super_admin is checked here). */
#include "gateway/gateway.h"
#include "gateway/permissions.h"
#include "gateway/voice_index.h"
#include "gateway/voice_license.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/wall_clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool super_admin(gw_request *r)
{
    if (r->caller.role == ROLE_SUPER_ADMIN)
        return true;
    gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "global voices are managed by a super_admin", NULL);
    return false;
}

/* The fields of POST /voices plus license and engine; every problem in details. */
static int check_body(json_t *body, json_t *details)
{
    json_t *meta = json_deep_copy(body);
    if (!meta)
        return -1;
    bool designed = json_object_get(meta, "voice_design_prompt") != NULL;
    json_object_del(meta, "license");
    json_object_del(meta, "engine");
    int n = voice_fields_check(meta, designed ? VOICE_FIELDS_CREATE_DESIGN : VOICE_FIELDS_CREATE_CLONE, details);
    json_decref(meta);
    if (n < 0)
        return -1;
    int m = voice_license_check(json_object_get(body, "license"), details);
    if (m < 0)
        return -1;
    json_t *engine = json_object_get(body, "engine");
    if (engine && (!json_is_string(engine) || !json_string_length(engine) || json_string_length(engine) > 63)) {
        json_array_append_new(details, ss_detail("engine", "must be an engine id (1..63 bytes)"));
        m++;
    }
    return n + m;
}

/* The new record (NULL when out of memory). */
static json_t *global_record(json_t *body)
{
    char id[32], member[VOICE_INDEX_MEMBER_MAX];
    int64_t now = ss_wall_ms();
    if (ss_id_new("vc_", 20, id, sizeof id) != 0 || voice_index_member(member, sizeof member, now, id) != 0)
        return NULL;
    const char *prompt = json_string_value(json_object_get(body, "voice_design_prompt"));
    const char *engine = json_string_value(json_object_get(body, "engine"));
    char why[256];
    json_t *design = prompt ? voice_design_understood(prompt, why, sizeof why) : NULL;
    json_t *v = voice_record_new(id, "", "", prompt ? "design" : "builtin", engine ? engine : PLATFORM_ENGINE_ID,
                                 body, design, now, member);
    json_decref(design);
    json_t *lic = json_deep_copy(json_object_get(body, "license"));
    if (!v || !lic || json_object_set_new(lic, "characters_used", json_integer(0)) ||
        json_object_set_new(v, "license", lic) || json_object_set_new(v, "scope", json_string("global")) ||
        json_object_set_new(v, "tenant_id", json_null()) || json_object_set_new(v, "owner_user_id", json_null()) ||
        json_object_set_new(v, "embedding_status", json_string("ready"))) {
        json_decref(v);
        return NULL;
    }
    if (!json_object_get(lic, "expires_at"))
        json_object_set_new(lic, "expires_at", json_null());
    if (!json_object_get(lic, "character_cap"))
        json_object_set_new(lic, "character_cap", json_null());
    return v;
}

static void on_created(gw_request *r, void *user, bool ok)
{
    json_t *rec = user;
    if (!ok) {
        json_decref(rec);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "voice id collision; try again", NULL);
        return;
    }
    ss_info(r->id, "global voice %s created (licensor %s)", json_string_value(json_object_get(rec, "voice_id")),
            json_string_value(json_object_get(json_object_get(rec, "license"), "licensor")));
    json_t *pub = voice_record_public(rec);
    json_decref(rec);
    if (!pub) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_json(r, 201, ss_envelope_ok(pub, r->id));
}

static void record_free(void *p)
{
    json_decref(p);
}

void gw_handle_global_voice_create(gw_request *r)
{
    if (!super_admin(r))
        return;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    json_t *details = json_array();
    int problems = !body ? 1 : details ? check_body(body, details) : -1;
    if (!body && details)
        json_array_append_new(details, ss_detail("body", "a JSON object is required"));
    if (gw_reply_field_problems(r, problems, details)) {
        json_decref(body);
        return;
    }
    json_t *rec = global_record(body);
    json_decref(body);
    if (!rec) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    voice_index_create(r, rec, on_created, rec, record_free);
}

static void on_global_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)user;
    (void)raw;
    const char *scope = json_string_value(json_object_get(record, "scope"));
    if (!record || !scope || strcmp(scope, "global")) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such global voice", NULL);
        return;
    }
    gw_handle_voice_delete(r); /* the erasure, with every check again */
}

void gw_handle_global_voice_delete(gw_request *r)
{
    if (!super_admin(r))
        return;
    voice_index_read(r, r->params[0], on_global_read, NULL, NULL);
}
