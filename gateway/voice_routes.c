/* The voice library's routes (API.md §4): GET /voices, GET /voices/{id},
 * POST /voices (design mode, JSON; multipart — clone mode — is handed to
 * voice_intake.c), PATCH /voices/{id}, POST /voices/{id}/share.
 *
 * Visibility first, permission second: a voice the caller cannot see is 404
 * SCAISPEAK_VOICE_NOT_FOUND on every route, whatever the method, so ids of
 * other tenants' and users' voices cannot be probed. A visible voice the
 * caller may not change answers 403: user voices are changed by their owner;
 * tenant voices by their owner or a tenant admin (the admin permission);
 * global voices only by a super_admin (through the global-voice routes).
 *
 * Writes read the record, change a copy and store it only if the stored
 * string is still the one read (voice_index_update); a concurrent change
 * makes the handler read again, up to WRITE_ATTEMPTS times. */
#include "gateway/gateway.h"
#include "gateway/http_router.h"
#include "gateway/permissions.h"
#include "gateway/voice_index.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/wall_clock.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WRITE_ATTEMPTS 3
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200
#define QUERY_TEXT_MAX 100

static void reply_voice(gw_request *r, int status, const json_t *record)
{
    json_t *pub = voice_record_public(record);
    if (!pub) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_json(r, status, ss_envelope_ok(pub, r->id));
}

static void reply_details(gw_request *r, json_t *details)
{
    gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the request has invalid fields", details);
}

/* --- GET /voices */

/* A query value checked by one small function: NULL when fine, else why. */
typedef const char *(*query_check_fn)(const char *v);

static const char *check_scope(const char *v)
{
    return voice_segment_of_scope(v) >= 0 ? NULL : "must be user, tenant or global";
}

static const char *check_status(const char *v)
{
    static const char *const ok[] = {"pending", "processing", "ready", "failed", "evicted", NULL};
    for (size_t i = 0; ok[i]; i++)
        if (!strcmp(v, ok[i]))
            return NULL;
    return "must be pending, processing, ready, failed or evicted";
}

static const char *check_gender(const char *v)
{
    return !strcmp(v, "female") || !strcmp(v, "male") || !strcmp(v, "neutral") ? NULL
                                                                               : "must be female, male or neutral";
}

static const char *check_language(const char *v)
{
    return voice_language_code_ok(v) ? NULL : "must be an ISO 639-1 code (\"en\", or \"en-GB\")";
}

/* An accent is a word as engines report it ("us", "scottish"), matched
 * ignoring ASCII case. */
static const char *check_accent(const char *v)
{
    size_t n = strlen(v);
    bool ok = n >= 1 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || v[i] == '-';
    return ok ? NULL : "must be 1 to 32 letters or hyphens (\"us\", \"scottish\")";
}

static const char *check_q(const char *v)
{
    return strlen(v) <= QUERY_TEXT_MAX ? NULL : "must be at most 100 bytes";
}

typedef struct {
    const char *name;
    query_check_fn check;
    size_t offset; /* of the field in voice_filter */
} query_rule;

static const query_rule FILTERS[] = {
    {"scope", check_scope, offsetof(voice_filter, scope)},
    {"embedding_status", check_status, offsetof(voice_filter, embedding_status)},
    {"gender", check_gender, offsetof(voice_filter, gender)},
    {"accent", check_accent, offsetof(voice_filter, accent)},
    {"language", check_language, offsetof(voice_filter, language)},
    {"q", check_q, offsetof(voice_filter, q)},
};

static int parse_limit(const char *v, int *out)
{
    if (!v) {
        *out = LIST_LIMIT_DEFAULT;
        return 0;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > LIST_LIMIT_MAX)
        return -1;
    *out = (int)n;
    return 0;
}

/* Fills q from the query string; answers 422 and returns -1 on a bad value. */
static int page_query_of(gw_request *r, voice_page_query *q)
{
    memset(q, 0, sizeof *q);
    json_t *details = json_array();
    if (!details) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++) {
        const char *v = gw_query(r, FILTERS[i].name);
        const char *why = v ? FILTERS[i].check(v) : NULL;
        if (why)
            json_array_append_new(details, ss_detail(FILTERS[i].name, why));
        else
            *(const char **)((char *)&q->filter + FILTERS[i].offset) = v && *v ? v : NULL;
    }
    if (parse_limit(gw_query(r, "limit"), &q->limit) != 0)
        json_array_append_new(details, ss_detail("limit", "must be an integer from 1 to 200"));
    const char *cursor = gw_query(r, "cursor");
    q->start_seg = VOICE_SEG_USER;
    if (cursor && *cursor && voice_cursor_decode(cursor, &q->start_seg, q->after, sizeof q->after) != 0)
        json_array_append_new(details,
                              ss_detail("cursor", "is not a cursor of this list (pass next_cursor as it came)"));
    if (json_array_size(details)) {
        reply_details(r, details);
        return -1;
    }
    json_decref(details);
    return 0;
}

static void on_page(gw_request *r, void *user, json_t *items, const char *next_cursor)
{
    (void)user;
    gw_reply_ok(r, json_pack("{s:o,s:s?}", "items", items, "next_cursor", next_cursor));
}

void gw_handle_voices_list(gw_request *r)
{
    voice_page_query q;
    if (page_query_of(r, &q) != 0)
        return;
    voice_index_page(r, &q, on_page, NULL);
}

/* --- GET /voices/{id} */

static bool visible(const gw_request *r, const json_t *record)
{
    return record && voice_visible(record, r->caller.tenant_id, r->caller.user_id);
}

static void on_voice_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)user;
    (void)raw;
    if (!visible(r, record)) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    reply_voice(r, 200, record);
}

void gw_handle_voice_get(gw_request *r)
{
    voice_index_read(r, r->params[0], on_voice_read, NULL, NULL);
}

/* --- writes on one voice: PATCH and share */

typedef struct write_op write_op;
/* Makes the new record from the stored one: NULL and *status/why when the
 * change is refused (the handler answers), or the record to store. */
typedef json_t *(*change_fn)(write_op *op, gw_request *r, const json_t *record);

struct write_op {
    change_fn change;
    bool admin_reach;     /* share: a tenant admin reaches the tenant's user voices (API.md §4) */
    json_t *patch; /* PATCH's body (owned) */
    int attempts;
    bool unchanged;       /* change() found nothing to do: the record is the answer */
    ss_api_error refusal; /* else why change() returned NULL */
    const char *refusal_message;
};

static void write_op_free(void *p)
{
    write_op *op = p;
    if (op)
        json_decref(op->patch);
    free(op);
}

static void on_write_read(gw_request *r, void *user, json_t *record, const char *raw);

static void start_write(gw_request *r, write_op *op)
{
    op->attempts++;
    voice_index_read(r, r->params[0], on_write_read, op, write_op_free);
}

typedef struct {
    write_op *op;
    json_t *record; /* the record stored, for the answer */
} written_ctx;

static void written_free(void *p)
{
    written_ctx *w = p;
    if (!w)
        return;
    write_op_free(w->op);
    json_decref(w->record);
    free(w);
}

static void on_written(gw_request *r, void *user, bool ok)
{
    written_ctx *w = user;
    if (ok) {
        ss_info(r->id, "voice %s changed (%s)", r->params[0], r->method);
        reply_voice(r, 200, w->record);
        written_free(w);
        return;
    }
    write_op *op = w->op;
    w->op = NULL;
    written_free(w);
    if (op->attempts >= WRITE_ATTEMPTS) {
        write_op_free(op);
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "the voice kept changing while it was written; try again",
                       NULL);
        return;
    }
    start_write(r, op);
}

/* Whether the caller administers the tenant the voice belongs to. */
static bool tenant_admin_of(const gw_request *r, const json_t *record)
{
    const char *vt = json_string_value(json_object_get(record, "tenant_id"));
    return (r->caller.permissions & PERM_ADMIN) && vt && r->caller.tenant_id[0] && !strcmp(vt, r->caller.tenant_id);
}

static void on_write_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    write_op *op = user;
    if (!visible(r, record) && !(record && op->admin_reach && tenant_admin_of(r, record))) {
        write_op_free(op);
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    if (!op->admin_reach && !voice_may_change(record, &r->caller)) {
        write_op_free(op);
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller may not change this voice", NULL);
        return;
    }
    json_t *next = op->change(op, r, record);
    if (!next) {
        ss_api_error e = op->refusal;
        const char *msg = op->refusal_message;
        bool unchanged = op->unchanged;
        write_op_free(op);
        if (unchanged)
            reply_voice(r, 200, record);
        else
            gw_reply_error(r, e, msg, NULL);
        return;
    }
    written_ctx *w = calloc(1, sizeof *w);
    if (!w) {
        json_decref(next);
        write_op_free(op);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    w->op = op;
    w->record = next;
    voice_index_update(r, raw, record, next, on_written, w, written_free);
}

static json_t *refuse(write_op *op, ss_api_error e, const char *message)
{
    op->refusal = e;
    op->refusal_message = message;
    return NULL;
}

static json_t *apply_patch(write_op *op, gw_request *r, const json_t *record)
{
    (void)r;
    json_t *next = voice_record_patched(record, op->patch, ss_wall_ms());
    return next ? next : refuse(op, SS_ERR_INTERNAL_ERROR, "out of memory");
}

static json_t *apply_share(write_op *op, gw_request *r, const json_t *record)
{
    const char *scope = json_string_value(json_object_get(record, "scope"));
    if (scope && !strcmp(scope, "tenant")) { /* already shared: answered as it is */
        op->unchanged = true;
        return NULL;
    }
    if (!scope || strcmp(scope, "user"))
        return refuse(op, SS_ERR_VALIDATION_ERROR, "only a user-scope voice can be shared with its tenant");
    const char *owner = json_string_value(json_object_get(record, "owner_user_id"));
    if ((!owner || strcmp(owner, r->caller.user_id)) && !tenant_admin_of(r, record))
        return refuse(op, SS_ERR_AUTHZ_PERMISSION_DENIED, "only the voice's owner or a tenant admin can share it");
    json_t *patch = json_pack("{s:s}", "scope", "tenant");
    json_t *next = patch ? voice_record_patched(record, patch, ss_wall_ms()) : NULL;
    json_decref(patch);
    return next ? next : refuse(op, SS_ERR_INTERNAL_ERROR, "out of memory");
}

static write_op *write_op_new(gw_request *r, change_fn change, json_t *patch)
{
    write_op *op = calloc(1, sizeof *op);
    if (!op) {
        json_decref(patch);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return NULL;
    }
    op->change = change;
    op->patch = patch;
    return op;
}

void gw_handle_voice_patch(gw_request *r)
{
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    json_t *details = json_array();
    int problems = details ? voice_fields_check(body, VOICE_FIELDS_PATCH, details) : -1;
    if (gw_reply_field_problems(r, problems, details)) {
        json_decref(body);
        return;
    }
    write_op *op = write_op_new(r, apply_patch, body);
    if (op)
        start_write(r, op);
}

void gw_handle_voice_share(gw_request *r)
{
    write_op *op = write_op_new(r, apply_share, NULL);
    if (!op)
        return;
    op->admin_reach = true;
    start_write(r, op);
}

/* --- POST /voices, design mode */

typedef struct {
    json_t *record;
} create_ctx;

static void create_ctx_free(void *p)
{
    create_ctx *c = p;
    if (c)
        json_decref(c->record);
    free(c);
}

static void on_created(gw_request *r, void *user, bool ok)
{
    create_ctx *c = user;
    if (!ok) { /* a 20-character random id met an existing one */
        create_ctx_free(c);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "voice id collision; try again", NULL);
        return;
    }
    ss_info(r->id, "voice %s created (%s)", json_string_value(json_object_get(c->record, "voice_id")),
            json_string_value(json_object_get(c->record, "intake_mode")));
    reply_voice(r, 201, c->record);
    create_ctx_free(c);
}

void gw_voice_create_designed(gw_request *r, json_t *body, json_t *form_problems)
{
    json_t *details = form_problems ? form_problems : json_array();
    int problems = details ? voice_fields_check(body, VOICE_FIELDS_CREATE_DESIGN, details) : -1;
    if (problems >= 0)
        problems = (int)json_array_size(details);
    char why[256] = "";
    json_t *design = NULL;
    if (problems == 0) {
        design = voice_design_understood(json_string_value(json_object_get(body, "voice_design_prompt")), why,
                                         sizeof why);
        if (!design)
            problems = json_array_append_new(details, ss_detail("voice_design_prompt", why))
                           ? -1
                           : 1;
    }
    if (gw_reply_field_problems(r, problems, details)) {
        json_decref(body);
        return;
    }
    char id[32], member[VOICE_INDEX_MEMBER_MAX];
    int64_t now = ss_wall_ms();
    create_ctx *c = calloc(1, sizeof *c);
    if (c && ss_id_new("vc_", 20, id, sizeof id) == 0 && voice_index_member(member, sizeof member, now, id) == 0)
        c->record = voice_record_new(id, r->caller.tenant_id, r->caller.user_id, "design", PLATFORM_ENGINE_ID, body,
                                     design, now, member);
    json_decref(design);
    json_decref(body);
    if (!c || !c->record || json_object_set_new(c->record, "embedding_status", json_string("ready")) != 0) {
        create_ctx_free(c);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    voice_index_create(r, c->record, on_created, c, create_ctx_free);
}

void gw_handle_voices_create(gw_request *r)
{
    if (!*r->caller.tenant_id || !*r->caller.user_id) {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "voices belong to a user of a tenant", NULL);
        return;
    }
    const char *type = gw_header(r, "Content-Type");
    if (type && !strncasecmp(type, "multipart/form-data", 19)) {
        gw_handle_voices_clone(r); /* voice_intake.c */
        return;
    }
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    gw_voice_create_designed(r, body, NULL);
}
