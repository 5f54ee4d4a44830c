/* POST /voices in clone mode (API.md §4): a multipart upload of a reference
 * clip and a consent clip becomes a cloned voice.
 *
 * How a clone request travels:
 *   1. loop: the request's body is moved (evbuffer_add_buffer: chains, no
 *      copy) into an evbuffer of the intake, a voice id is drawn, the
 *      tenant's blocklist is read for blocked speakers' fingerprints, and
 *      the work goes to an audio thread (common/loop_pool.h);
 *   2. audio thread, in order, stopping at the first step that fails: the
 *      form is read (voice_form.h; 400 on broken framing), its fields
 *      checked (422 VALIDATION_ERROR naming every bad field), the reference
 *      decoded and put through preflight (422 SCAISPEAK_AUDIO_UNREADABLE or
 *      422 SCAISPEAK_VOICE_PREFLIGHT_FAILED with error.preflight), the
 *      reference's speaker fingerprinted and compared with the blocked ones
 *      (422 SCAISPEAK_SPEAKER_BLOCKED), the consent clip checked (unreadable: SCAISPEAK_AUDIO_UNREADABLE; under 2
 *      s of speech: VALIDATION_ERROR on `consent`), the digests taken, and
 *      only then both clips stored in the object store under the voice:
 *      voices/{voice_id}/reference.{format} and
 *      voices/{voice_id}/consent.{format} (voice-scoped, so erasing a voice
 *      deletes its clips without touching another voice cloned from the
 *      same bytes). Nothing is stored by a request
 *      that fails before that point;
 *   3. loop: the record is built and the node-side analysis runs
 *      (voice_analysis.h: "ready", or "failed" with a reason);
 *   4. loop: record and index are written in one script (voice_index.h) and
 *      the voice answered 201.
 * If the record cannot be written after the objects were stored (Redis
 * down, an id collision), the objects are deleted again on an audio thread.
 *
 * A form with voice_design_prompt and neither file is design mode sent as
 * multipart (API.md §4): after step 2's form read its fields become the
 * JSON body of the design path (gw_voice_create_designed), `*_json` fields
 * under their names without the suffix, and nothing is stored.
 *
 * ScaiDrive imports (reference_scaidrive_json, consent_scaidrive_json) are
 * not available yet: such a field is a 422 VALIDATION_ERROR on that field
 * saying so. */
#include "gateway/gateway.h"
#include "gateway/speaker_fingerprint.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"
#include "gateway/voice_analysis.h"
#include "gateway/voice_clips.h"
#include "gateway/voice_form.h"
#include "gateway/voice_index.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/audio_input.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"
#include "common/wall_clock.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONSENT_TEXT_MAX 5000
#define CONSENT_FIELD_MAX 300

typedef struct {
    gw_server *gw;
    gw_request *r; /* NULL once answered */
    char request_id[SS_REQUEST_ID_MAX + 1];
    struct evbuffer *body;
    char *content_type;
    char voice_id[32];
    ss_preflight_thresholds thresholds;
    double started; /* monotonic seconds */
    /* the audio thread's outcome */
    bool failed;
    ss_api_error error;
    char message[400];
    json_t *details;   /* for the error, or NULL */
    json_t *preflight; /* the preflight block (failure and record) */
    json_t *fields;    /* metadata, as voice_record_new takes it */
    json_t *consent;   /* {full_name, stated_purpose, text} */
    char reference_sha256[65], consent_sha256[65], consent_format[32];
    uint8_t *reference; /* the reference bytes, kept for the analysis call */
    size_t reference_len;
    double reference_duration_s;
    int reference_rate;
    /* what was stored */
    char reference_key[SS_OBJECT_KEY_MAX + 1], consent_key[SS_OBJECT_KEY_MAX + 1];
    char reference_format[32];
    json_t *blocked;     /* fingerprints of the tenant's blocked speakers (read before the thread) */
    json_t *fingerprint; /* the reference's (speaker_fingerprint.h) */
    bool reference_created; /* this request wrote the reference object */
    bool consent_stored;
    bool created; /* the record is in Redis: the objects stay */
    json_t *record;
    json_t *design;      /* a design-mode form's fields as a JSON body (no clips): not a clone */
    json_t *design_problems; /* its *_json fields that are not JSON (422 details) */
} intake;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- objects removed again (audio thread) */

static void cleanup_run(void *arg)
{
    intake *in = arg;
    char err[256];
    if (in->consent_stored && ss_object_delete(in->gw->objects, in->consent_key, err, sizeof err) > SS_OBJECT_NOT_FOUND)
        ss_error(in->request_id, "voice %s: consent object not removed: %s", in->voice_id, err);
    if (in->reference_created &&
        ss_object_delete(in->gw->objects, in->reference_key, err, sizeof err) > SS_OBJECT_NOT_FOUND)
        ss_error(in->request_id, "voice %s: reference object not removed: %s", in->voice_id, err);
}

static void intake_free_now(intake *in)
{
    if (in->body)
        evbuffer_free(in->body);
    free(in->content_type);
    json_decref(in->details);
    json_decref(in->preflight);
    json_decref(in->fields);
    json_decref(in->consent);
    json_decref(in->record);
    json_decref(in->blocked);
    json_decref(in->fingerprint);
    json_decref(in->design);
    json_decref(in->design_problems);
    free(in->reference);
    free(in);
}

static void cleanup_done(void *arg)
{
    intake_free_now(arg);
}

/* The intake's end: objects of a voice that was not created are removed. */
static void intake_free(void *p)
{
    intake *in = p;
    if (!in)
        return;
    if (!in->created && (in->consent_stored || in->reference_created)) {
        ss_warn(in->request_id, "voice %s was not created: removing its stored clips", in->voice_id);
        if (ss_loop_pool_submit(in->gw->audio_pool, cleanup_run, cleanup_done, in) == 0)
            return;
        ss_error(in->request_id, "voice %s: out of memory; clips left in the object store: %s %s", in->voice_id,
                 in->reference_key, in->consent_key);
    }
    intake_free_now(in);
}

/* --- the audio thread's steps; each returns 0 to go on, -1 having failed */

static int fail(intake *in, ss_api_error e, const char *message, json_t *details)
{
    in->failed = true;
    in->error = e;
    snprintf(in->message, sizeof in->message, "%s", message);
    json_decref(in->details);
    in->details = details;
    return -1;
}

static int fail_oom(intake *in)
{
    return fail(in, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
}

static json_t *detail(const char *field, const char *message)
{
    return json_pack("[{s:s,s:s}]", "field", field, "message", message);
}

static int add_problem(json_t *details, const char *field, const char *message)
{
    return json_array_append_new(details, ss_detail(field, message));
}

/* Metadata fields: text as is, *_json parsed into their record field. */
typedef struct {
    const char *form_name, *field;
    bool json;
} meta_rule;

static const meta_rule META[] = {
    {"display_name", "display_name", false},
    {"language_primary", "language_primary", false},
    {"description", "description", false},
    {"gender_hint", "gender_hint", false},
    {"age_hint", "age_hint", false},
    {"language_supported_json", "language_supported", true},
    {"style_tags_json", "style_tags", true},
};

/* The record field of a form name, or the form name of a record field. */
static const char *form_name_of(const char *field)
{
    for (size_t i = 0; i < sizeof META / sizeof META[0]; i++)
        if (!strcmp(META[i].field, field))
            return META[i].form_name;
    return field;
}

static int collect_metadata(intake *in, const voice_form *form, json_t *details)
{
    for (size_t i = 0; i < sizeof META / sizeof META[0]; i++) {
        const char *text = json_string_value(json_object_get(form->fields, META[i].form_name));
        if (!text)
            continue;
        json_t *v = META[i].json ? json_loads(text, JSON_DECODE_ANY, NULL) : json_string(text);
        if (!v) {
            if (add_problem(details, META[i].form_name, "must be JSON (an array of strings)") != 0)
                return -1;
            continue;
        }
        if (json_object_set_new(in->fields, META[i].field, v) != 0)
            return -1;
    }
    json_t *meta = json_array();
    if (!meta || voice_fields_check(in->fields, VOICE_FIELDS_CREATE_CLONE, meta) < 0) {
        json_decref(meta);
        return -1;
    }
    size_t i;
    json_t *d;
    json_array_foreach(meta, i, d)
    {
        const char *f = json_string_value(json_object_get(d, "field"));
        const char *msg = json_string_value(json_object_get(d, "message"));
        if (add_problem(details, form_name_of(f ? f : ""), msg ? msg : "is invalid") != 0) {
            json_decref(meta);
            return -1;
        }
    }
    json_decref(meta);
    return 0;
}

static int collect_consent(intake *in, const voice_form *form, json_t *details)
{
    static const struct {
        const char *form_name, *field;
        size_t max;
    } rules[] = {
        {"consent_user_full_name", "full_name", CONSENT_FIELD_MAX},
        {"consent_stated_purpose", "stated_purpose", CONSENT_FIELD_MAX},
        {"consent_text", "text", CONSENT_TEXT_MAX},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const char *v = json_string_value(json_object_get(form->fields, rules[i].form_name));
        size_t n = v ? strlen(v) : 0;
        int rc = 0;
        if (!v)
            rc = add_problem(details, rules[i].form_name, "is required");
        else if (n == 0 || n > rules[i].max)
            rc = add_problem(details, rules[i].form_name,
                             rules[i].max == CONSENT_TEXT_MAX ? "must be 1..5000 bytes of text"
                                                              : "must be 1..300 bytes of text");
        else
            rc = json_object_set_new(in->consent, rules[i].field, json_string(v));
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int collect_files(const voice_form *form, json_t *details)
{
    static const char drive[] = "ScaiDrive import is not available yet; upload the clip as a file part instead";
    if (json_object_get(form->fields, "reference_scaidrive_json") &&
        add_problem(details, "reference_scaidrive_json", drive) != 0)
        return -1;
    if (json_object_get(form->fields, "consent_scaidrive_json") &&
        add_problem(details, "consent_scaidrive_json", drive) != 0)
        return -1;
    if (json_object_get(form->fields, "voice_design_prompt") &&
        add_problem(details, "voice_design_prompt",
                    "a design prompt makes a designed voice, without reference and consent files") != 0)
        return -1;
    if (!form->reference.present && add_problem(details, "reference", "is required (a file part)") != 0)
        return -1;
    if (!form->consent.present && add_problem(details, "consent", "is required (a file part)") != 0)
        return -1;
    return 0;
}

static int step_fields(intake *in, voice_form *form)
{
    json_t *details = json_deep_copy(form->details);
    in->fields = json_object();
    in->consent = json_object();
    if (!details || !in->fields || !in->consent || collect_metadata(in, form, details) != 0 ||
        collect_consent(in, form, details) != 0 || collect_files(form, details) != 0) {
        json_decref(details);
        return fail_oom(in);
    }
    if (json_array_size(details))
        return fail(in, SS_ERR_VALIDATION_ERROR, "the request has invalid fields", details);
    json_decref(details);
    return 0;
}

static int unreadable(intake *in, const char *field, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "the %s clip is not audio we can read: %s", field, why);
    json_t *d = detail(field, why);
    return d ? fail(in, SS_ERR_AUDIO_UNREADABLE, msg, d) : fail_oom(in);
}

static int step_reference(intake *in, voice_form *form)
{
    ss_preflight_result pf;
    char format[32], err[256];
    voice_clip_status st = voice_reference_judge(form->reference.data, form->reference.len, &in->thresholds, &pf,
                                                 format, err, sizeof err);
    if (st == VOICE_CLIP_NO_MEMORY)
        return fail_oom(in);
    if (st != VOICE_CLIP_OK)
        return unreadable(in, "reference", err);
    in->preflight = voice_preflight_json(&pf);
    if (!in->preflight)
        return fail_oom(in);
    snprintf(in->reference_format, sizeof in->reference_format, "%s", format);
    in->reference_duration_s = pf.duration_s;
    in->reference_rate = pf.sample_rate;
    if (pf.passed)
        return 0;
    const char *names[SS_PREFLIGHT_NREASONS];
    size_t n = ss_preflight_fail_reasons(&pf, names, SS_PREFLIGHT_NREASONS);
    char msg[300] = "the reference clip failed preflight:";
    for (size_t i = 0; i < n; i++)
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s %s", i ? "," : "", names[i]);
    return fail(in, SS_ERR_VOICE_PREFLIGHT_FAILED, msg, NULL);
}

static int step_consent(intake *in, voice_form *form)
{
    double speech_s = 0;
    char err[256];
    voice_clip_status st = voice_consent_judge(form->consent.data, form->consent.len, &speech_s,
                                               in->consent_format, err, sizeof err);
    if (st == VOICE_CLIP_NO_MEMORY)
        return fail_oom(in);
    if (st != VOICE_CLIP_OK)
        return unreadable(in, "consent", err);
    if (speech_s < VOICE_CONSENT_MIN_SPEECH_S) {
        char msg[160];
        snprintf(msg, sizeof msg, "holds %.1f s of speech; at least %.0f s are needed", speech_s,
                 VOICE_CONSENT_MIN_SPEECH_S);
        json_t *d = detail("consent", msg);
        return d ? fail(in, SS_ERR_VALIDATION_ERROR, "the consent clip holds too little speech", d) : fail_oom(in);
    }
    const char *text = json_string_value(json_object_get(in->consent, "text"));
    voice_sha256_hex(text, strlen(text), form->consent.data, form->consent.len, in->consent_sha256);
    voice_sha256_hex(form->reference.data, form->reference.len, NULL, 0, in->reference_sha256);
    return in->consent_sha256[0] && in->reference_sha256[0] ? 0 : fail_oom(in);
}

/* The reference's speaker fingerprint, compared with the tenant's blocked
 * speakers (API.md §6; docs/CLONING.md): 422 SCAISPEAK_SPEAKER_BLOCKED on a
 * match. A clip whose speaker cannot be analysed is refused too, so the
 * check cannot be bypassed. */
static int step_speaker(intake *in, voice_form *form)
{
    ss_audio a;
    speaker_fingerprint fp, blocked;
    char err[256];
    if (ss_audio_decode(form->reference.data, form->reference.len, &a, NULL, err, sizeof err) != 0)
        return unreadable(in, "reference", err);
    int rc = speaker_fingerprint_of(a.samples, a.nsamples, a.sample_rate, &fp, err, sizeof err);
    ss_audio_free(&a);
    if (rc != 0) {
        json_t *d = detail("reference", err);
        return d ? fail(in, SS_ERR_VALIDATION_ERROR, "the reference's speaker cannot be analysed", d) : fail_oom(in);
    }
    size_t i;
    json_t *b;
    json_array_foreach(in->blocked, i, b)
    {
        if (speaker_fingerprint_from_json(b, &blocked) == 0 && speaker_fingerprint_matches(&blocked, &fp)) {
            ss_info(in->request_id, "voice %s: the reference matches a blocked speaker", in->voice_id);
            return fail(in, SS_ERR_SPEAKER_BLOCKED, "the reference's speaker is blocked in this tenant", NULL);
        }
    }
    in->fingerprint = speaker_fingerprint_json(&fp);
    return in->fingerprint ? 0 : fail_oom(in);
}

static int store_failed(intake *in, ss_object_status st, const char *err)
{
    char msg[400];
    snprintf(msg, sizeof msg, "the object store failed: %s", err);
    return fail(in, SS_ERR_INTERNAL_ERROR, st == SS_OBJECT_NO_MEMORY ? "out of memory" : msg, NULL);
}

static int step_store(intake *in, voice_form *form)
{
    char err[256];
    /* voice-scoped, not content-addressed: erasing one voice deletes its
     * reference without breaking another voice cloned from the same bytes */
    snprintf(in->reference_key, sizeof in->reference_key, "voices/%s/reference.%s", in->voice_id,
             in->reference_format);
    ss_object_status st = ss_object_put_bytes(in->gw->objects, in->reference_key, form->reference.data,
                                              form->reference.len, NULL, err, sizeof err);
    if (st != SS_OBJECT_OK)
        return store_failed(in, st, err);
    in->reference_created = true;
    snprintf(in->consent_key, sizeof in->consent_key, "voices/%s/consent.%s", in->voice_id, in->consent_format);
    st = ss_object_put_bytes(in->gw->objects, in->consent_key, form->consent.data, form->consent.len, NULL, err,
                             sizeof err);
    if (st != SS_OBJECT_OK) {
        if (in->reference_created)
            ss_object_delete(in->gw->objects, in->reference_key, NULL, 0);
        in->reference_created = false;
        return store_failed(in, st, err);
    }
    in->consent_stored = true;
    in->reference = form->reference.data; /* kept for the analysis call */
    in->reference_len = form->reference.len;
    form->reference.data = NULL;
    return 0;
}

static int (*const STEPS[])(intake *, voice_form *) = {step_fields, step_reference, step_speaker, step_consent,
                                                       step_store};

/* A form with a design prompt and no clips is design mode (API.md §4:
 * multipart, or JSON): its fields become the JSON body the design path
 * takes, `*_json` fields parsed under their names without the suffix. A
 * `*_json` value that is not JSON is left out of the body and named by its
 * form field in `details`, which the design path lists in its 422 with the
 * other fields' problems. NULL: out of memory. */
static json_t *design_body(const voice_form *form, json_t *details)
{
    json_t *body = json_object();
    const char *name;
    json_t *v;
    json_object_foreach(form->fields, name, v) {
        size_t n = strlen(name);
        bool js = n > 5 && !strcmp(name + n - 5, "_json");
        json_t *parsed = js ? json_loads(json_string_value(v), JSON_DECODE_ANY, NULL) : NULL;
        if (js && !parsed) {
            if (add_problem(details, name, "must be JSON (an array of strings)") != 0) {
                json_decref(body);
                return NULL;
            }
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(js ? n - 5 : n), name);
        if (!body || json_object_set_new(body, key, parsed ? parsed : json_incref(v)) != 0) {
            json_decref(body);
            return NULL;
        }
    }
    return body;
}

static void intake_run(void *arg)
{
    intake *in = arg;
    voice_form form;
    if (voice_form_read(in->body, in->content_type, &form) != 0) {
        if (form.out_of_memory)
            fail_oom(in);
        else
            fail(in, SS_ERR_MALFORMED_REQUEST, form.error, NULL);
        voice_form_free(&form);
        return;
    }
    if (json_object_get(form.fields, "voice_design_prompt") && !form.reference.present && !form.consent.present) {
        if (json_array_size(form.details))
            fail(in, SS_ERR_VALIDATION_ERROR, "the request has invalid fields", json_deep_copy(form.details));
        else if (!(in->design_problems = json_array()) ||
                 !(in->design = design_body(&form, in->design_problems)))
            fail_oom(in);
        voice_form_free(&form);
        return;
    }
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++)
        if (STEPS[i](in, &form) != 0)
            break;
    voice_form_free(&form);
}

/* --- back on the loop */

static void reply_failure(intake *in)
{
    gw_request *r = in->r;
    in->r = NULL;
    if (in->error != SS_ERR_VOICE_PREFLIGHT_FAILED) {
        gw_reply_error(r, in->error, in->message, in->details);
        in->details = NULL;
        return;
    }
    json_t *env = ss_envelope_error(in->error, in->message, NULL, r->id);
    json_t *error = json_object_get(env, "error");
    if (!error || json_object_set(error, "preflight", in->preflight) != 0) {
        json_decref(env);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ss_info(r->id, "voice intake refused: %s", in->message);
    gw_reply_json(r, ss_api_error_status(in->error), env);
}

static void on_created(gw_request *r, void *user, bool ok)
{
    intake *in = user;
    in->r = NULL;
    if (!ok) { /* a 20-character random id met an existing one */
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "voice id collision; try again", NULL);
        intake_free(in); /* removes the clips */
        return;
    }
    in->created = true;
    ss_info(r->id, "voice %s created (clone): reference %.1f s at %d Hz, embedding %s%s%s, intake %.0f ms",
            in->voice_id, in->reference_duration_s, in->reference_rate,
            json_string_value(json_object_get(in->record, "embedding_status")),
            json_is_string(json_object_get(in->record, "embedding_status_reason")) ? " " : "",
            json_is_string(json_object_get(in->record, "embedding_status_reason"))
                ? json_string_value(json_object_get(in->record, "embedding_status_reason"))
                : "",
            (mono_s() - in->started) * 1000.0);
    json_t *pub = voice_record_public(in->record);
    if (!pub)
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    else
        gw_reply_json(r, 201, ss_envelope_ok(pub, r->id));
    intake_free(in);
}

static void on_analysed(void *user, const char *status, const char *reason, const char *detail)
{
    intake *in = user;
    if (reason)
        ss_warn(in->request_id, "voice %s: analysis %s (%s): %s", in->voice_id, status, reason, detail);
    else
        ss_info(in->request_id, "voice %s: analysis %s: %s", in->voice_id, status, detail);
    free(in->reference); /* the node has had it */
    in->reference = NULL;
    if (json_object_set_new(in->record, "embedding_status", json_string(status)) != 0 ||
        json_object_set_new(in->record, "embedding_status_reason", reason ? json_string(reason) : json_null()) != 0) {
        gw_request *r = in->r;
        in->r = NULL;
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        intake_free(in);
        return;
    }
    /* on_created releases the intake; intake_free is called instead when the
     * write fails before it (the index answered the request then) */
    voice_index_create(in->r, in->record, on_created, in, intake_free);
}

/* The record of a voice whose clips passed and are stored. */
static json_t *clone_record(intake *in)
{
    int64_t now = ss_wall_ms();
    char member[VOICE_INDEX_MEMBER_MAX], at[40];
    if (voice_index_member(member, sizeof member, now, in->voice_id) != 0)
        return NULL;
    ss_iso8601_ms(now, at, sizeof at);
    json_t *v = voice_record_new(in->voice_id, in->r->caller.tenant_id, in->r->caller.user_id, "clone",
                                 PLATFORM_ENGINE_ID, in->fields, NULL, now, member);
    json_t *consent = json_deep_copy(in->consent);
    if (!v || !consent || json_object_set_new(consent, "sha256", json_string(in->consent_sha256)) != 0 ||
        json_object_set_new(consent, "recorded_at", json_string(at)) != 0 ||
        json_object_set_new(v, "consent", consent) != 0 ||
        json_object_set_new(v, "reference",
                            json_pack("{s:I,s:i,s:s}", "duration_ms",
                                      (json_int_t)llround(in->reference_duration_s * 1000.0), "sample_rate",
                                      in->reference_rate, "sha256", in->reference_sha256)) != 0 ||
        json_object_set(v, "preflight", in->preflight) != 0 ||
        json_object_set_new(v, VOICE_REFERENCE_KEY_FIELD, json_string(in->reference_key)) != 0 ||
        json_object_set_new(v, VOICE_CONSENT_KEY_FIELD, json_string(in->consent_key)) != 0 ||
        json_object_set(v, "_fingerprint", in->fingerprint) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static void intake_done(void *arg)
{
    intake *in = arg;
    if (in->failed) {
        reply_failure(in);
        intake_free(in);
        return;
    }
    if (in->design) { /* design mode sent as a form */
        gw_request *r = in->r;
        json_t *body = in->design, *problems = in->design_problems;
        in->r = NULL;
        in->design = NULL;
        in->design_problems = NULL;
        intake_free(in);
        gw_voice_create_designed(r, body, problems);
        return;
    }
    in->record = clone_record(in);
    if (!in->record || voice_analysis_start(in->gw, in->request_id, PLATFORM_ENGINE_ID, in->voice_id,
                                            in->reference_sha256, in->reference, in->reference_len, on_analysed,
                                            in) != 0) {
        gw_request *r = in->r;
        in->r = NULL;
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        intake_free(in);
    }
}

static void intake_free_void(void *p)
{
    intake_free_now(p);
}

/* The tenant's blocklist (HVALS): the blocked speakers' fingerprints go with
 * the work to the audio thread. */
static void on_blocklist(gw_request *r, void *user, const redisReply *reply)
{
    intake *in = user;
    in->blocked = json_array();
    for (size_t i = 0; in->blocked && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        json_t *e = json_loadb(reply->element[i]->str, reply->element[i]->len, 0, NULL);
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (kind && !strcmp(kind, "speaker") && json_object_get(e, "_fingerprint"))
            json_array_append(in->blocked, json_object_get(e, "_fingerprint"));
        json_decref(e);
    }
    if (!in->blocked || ss_loop_pool_submit(r->gw->audio_pool, intake_run, intake_done, in) != 0) {
        intake_free_now(in);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    }
}

void gw_handle_voices_clone(gw_request *r)
{
    gw_server *gw = r->gw;
    intake *in = calloc(1, sizeof *in);
    const char *type = gw_header(r, "Content-Type");
    if (!in || !(in->body = evbuffer_new()) || !(in->content_type = strdup(type ? type : "")) ||
        ss_id_new("vc_", 20, in->voice_id, sizeof in->voice_id) != 0 ||
        evbuffer_add_buffer(in->body, evhttp_request_get_input_buffer(r->req)) != 0) {
        if (in)
            intake_free_now(in);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    in->gw = gw;
    in->r = r;
    snprintf(in->request_id, sizeof in->request_id, "%s", r->id);
    in->started = mono_s();
    voice_preflight_thresholds(gw->settings, &in->thresholds);
    char key[GW_STATE_KEY_MAX];
    if (gw_state_key(key, sizeof key, GW_KEY_TENANT_BLOCKLIST, r->caller.tenant_id, NULL) != 0) {
        intake_free_now(in);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "the caller's tenant id is too long", NULL);
        return;
    }
    const char *argv[] = {"HVALS", key};
    gw_state_command(r, 2, argv, on_blocklist, in, intake_free_void);
}
