/* The voice object: field checks, construction, the public view (see
 * voice_record.h). */
#include "gateway/voice_record.h"

#include "node/engine/voice/voice_design.h"
#include "common/api_error.h"
#include "common/utf8.h"
#include "common/wall_clock.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Characters of a UTF-8 string (jansson guarantees valid UTF-8). */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return true;
    return false;
}

/* Each check returns NULL when v is fine, else the message. */
typedef const char *(*field_check_fn)(const json_t *v);

static const char *text_of(const json_t *v, size_t min, size_t max, const char *msg)
{
    if (!json_is_string(v))
        return msg;
    size_t n = ss_utf8_chars(json_string_value(v));
    return n < min || n > max ? msg : NULL;
}

static const char *check_display_name(const json_t *v)
{
    const char *m = text_of(v, 1, 100, "must be a string of 1..100 characters");
    return m ? m : has_control(json_string_value(v)) ? "must not hold control characters" : NULL;
}

static const char *check_description(const json_t *v)
{
    return text_of(v, 0, 1000, "must be a string of at most 1000 characters");
}

static const char *check_prompt(const json_t *v)
{
    return text_of(v, 1, 1000, "must be a string of 1..1000 characters");
}

bool voice_language_code_ok(const char *s)
{
    if (!s || !islower((unsigned char)s[0]) || !islower((unsigned char)s[1]))
        return false;
    if (s[2] == '\0')
        return true;
    return s[2] == '-' && isupper((unsigned char)s[3]) && isupper((unsigned char)s[4]) && s[5] == '\0';
}

/* The languages the engines behind this gateway speak: every voice is made
 * on one of them (the HTS and clustergen English voices), so a voice
 * declared in another language would be read with English rules — what
 * language_hint's 422 exists to prevent (API.md §2). A new engine's
 * language goes here. */
static const char *const ENGINE_LANGUAGES[] = {"en", NULL};
#define ENGINE_LANGUAGES_TEXT "en (also regional: en-GB, en-US, ...)"

static bool spoken(const char *code)
{
    for (size_t i = 0; code && ENGINE_LANGUAGES[i]; i++)
        if (!strncmp(code, ENGINE_LANGUAGES[i], 2))
            return true;
    return false;
}

static const char *check_language(const json_t *v)
{
    if (!voice_language_code_ok(json_string_value(v)))
        return "must be an ISO 639-1 code (\"en\", or \"en-GB\")";
    return spoken(json_string_value(v)) ? NULL : "must be a language the engines speak: " ENGINE_LANGUAGES_TEXT;
}

static const char *check_one_of(const json_t *v, const char *const *allowed, const char *msg)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && allowed[i]; i++)
        if (!strcmp(s, allowed[i]))
            return NULL;
    return msg;
}

static const char *check_gender(const json_t *v)
{
    static const char *const allowed[] = {"female", "male", "neutral", NULL};
    return check_one_of(v, allowed, "must be female, male or neutral");
}

static const char *check_age(const json_t *v)
{
    static const char *const allowed[] = {"child", "young", "adult", "middle_aged", "elderly", NULL};
    return check_one_of(v, allowed, "must be child, young, adult, middle_aged or elderly");
}

static const char *check_languages(const json_t *v)
{
    static const char msg[] = "must be an array of at most 20 ISO 639-1 codes";
    if (!json_is_array(v) || json_array_size(v) > 20)
        return msg;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) if (!voice_language_code_ok(json_string_value(e))) return msg;
    json_array_foreach(v, i, e) if (!spoken(json_string_value(e))) return "must hold only languages the engines "
                                                                          "speak: " ENGINE_LANGUAGES_TEXT;
    return NULL;
}

static const char *check_style_tags(const json_t *v)
{
    static const char msg[] = "must be an array of at most 20 strings of 1..40 characters";
    if (!json_is_array(v) || json_array_size(v) > 20)
        return msg;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) if (text_of(e, 1, 40, msg) || has_control(json_string_value(e))) return msg;
    return NULL;
}

typedef struct {
    const char *name;
    field_check_fn check;
    bool patchable;
    bool required_for_create; /* both modes */
    bool design_only;         /* create in design mode only (and required there) */
} field_rule;

static const field_rule FIELDS[] = {
    {"display_name", check_display_name, true, true, false},
    {"description", check_description, true, false, false},
    {"language_primary", check_language, false, true, false},
    {"language_supported", check_languages, true, false, false},
    {"gender_hint", check_gender, true, false, false},
    {"age_hint", check_age, true, false, false},
    {"style_tags", check_style_tags, true, false, false},
    {"voice_design_prompt", check_prompt, false, false, true},
};

static int add_detail(json_t *details, const char *field, const char *message)
{
    return json_array_append_new(details, ss_detail(field, message)) ? -1 : 0;
}

static const field_rule *rule_of(const char *name)
{
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if (!strcmp(FIELDS[i].name, name))
            return &FIELDS[i];
    return NULL;
}

/* Fields that are not metadata but belong to a create request. */
static bool create_only_field(const char *name)
{
    static const char *const names[] = {"consent_user_full_name", "consent_stated_purpose", "consent_text",
                                        "reference_scaidrive_json", "consent_scaidrive_json", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

static int check_present(const json_t *body, voice_fields_use use, json_t *details)
{
    int problems = 0;
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        const field_rule *f = &FIELDS[i];
        const json_t *v = json_object_get(body, f->name);
        bool required = use != VOICE_FIELDS_PATCH &&
                        (f->required_for_create || (f->design_only && use == VOICE_FIELDS_CREATE_DESIGN));
        const char *msg = NULL;
        if (!v)
            msg = required ? "is required" : NULL;
        else if (use == VOICE_FIELDS_PATCH && !f->patchable)
            msg = "cannot be changed (PATCH changes display_name, description, style_tags, gender_hint, "
                  "age_hint, language_supported)";
        else if (use == VOICE_FIELDS_CREATE_CLONE && f->design_only)
            msg = "belongs to design mode (a clone has a reference instead)";
        else
            msg = f->check(v);
        if (msg) {
            if (add_detail(details, f->name, msg) != 0)
                return -1;
            problems++;
        }
    }
    return problems;
}

int voice_fields_check(const json_t *body, voice_fields_use use, json_t *details)
{
    if (!json_is_object(body))
        return add_detail(details, "body", "must be a JSON object") ? -1 : 1;
    int problems = check_present(body, use, details);
    if (problems < 0)
        return -1;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)body, name, v)
    {
        if (rule_of(name) || (use != VOICE_FIELDS_PATCH && create_only_field(name)))
            continue;
        if (add_detail(details, name, "is not a field of this request") != 0)
            return -1;
        problems++;
    }
    if (use == VOICE_FIELDS_PATCH && problems == 0 && json_object_size(body) == 0) {
        if (add_detail(details, "body", "names no field to change") != 0)
            return -1;
        problems++;
    }
    return problems;
}

/* body's field, or a default (new reference) when absent. */
static json_t *field_or(const json_t *body, const char *name, json_t *dflt)
{
    json_t *v = json_object_get(body, name);
    if (v) {
        json_decref(dflt);
        return json_deep_copy(v);
    }
    return dflt;
}

json_t *voice_record_new(const char *voice_id, const char *tenant_id, const char *owner_user_id,
                         const char *intake_mode, const char *engine, const json_t *body, const json_t *design,
                         int64_t created_ms, const char *index_member)
{
    char now[40];
    ss_iso8601_ms(created_ms, now, sizeof now);
    const char *lang = json_string_value(json_object_get(body, "language_primary"));
    json_t *v = json_pack("{s:s,s:o,s:o,s:s,s:s,s:s,s:s?,s:o,s:o,s:o,s:o,s:s,s:s,s:s,s:n,s:s,s:s,s:s}",
                          "voice_id", voice_id, "display_name", field_or(body, "display_name", json_string("")),
                          "description", field_or(body, "description", json_string("")), "scope", "user",
                          "tenant_id", tenant_id, "owner_user_id", owner_user_id, "language_primary", lang,
                          "language_supported", field_or(body, "language_supported", json_pack("[s?]", lang)),
                          "gender_hint", field_or(body, "gender_hint", json_null()), "age_hint",
                          field_or(body, "age_hint", json_null()), "style_tags",
                          field_or(body, "style_tags", json_array()), "intake_mode", intake_mode, "engine",
                          engine, "embedding_status", "pending", "embedding_status_reason", "created_at", now,
                          "updated_at", now, "_index", index_member);
    if (!v)
        return NULL;
    const char *prompt = json_string_value(json_object_get(body, "voice_design_prompt"));
    if (prompt && json_object_set_new(v, "design_prompt", json_string(prompt)) != 0) {
        json_decref(v);
        return NULL;
    }
    if (design && json_object_set_new(v, "design", json_deep_copy(design)) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *voice_record_patched(const json_t *record, const json_t *patch, int64_t now_ms)
{
    json_t *v = json_deep_copy(record);
    if (!v)
        return NULL;
    const char *name;
    json_t *val;
    json_object_foreach((json_t *)patch, name, val)
    {
        if (json_object_set_new(v, name, json_deep_copy(val)) != 0) {
            json_decref(v);
            return NULL;
        }
    }
    char now[40];
    ss_iso8601_ms(now_ms, now, sizeof now);
    if (json_object_set_new(v, "updated_at", json_string(now)) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *voice_record_public(const json_t *record)
{
    json_t *out = json_object();
    if (!out)
        return NULL;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)record, name, v)
    {
        if (name[0] == '_')
            continue;
        if (json_object_set(out, name, v) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *word_or_null(const char *w)
{
    return *w ? json_string(w) : json_null();
}

/* The words of a space-separated list as a JSON array. */
static json_t *words_of(const char *list)
{
    json_t *a = json_array();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); a && w; w = strtok_r(NULL, " ", &save))
        json_array_append_new(a, json_string(w));
    return a;
}

json_t *voice_design_understood(const char *prompt, char *why, size_t cap)
{
    ss_conditioning k;
    ss_design_understood u;
    /* any model: the words understood do not depend on it */
    if (ss_voice_design_parse(prompt, log(170.0), 0.42, &k, &u, why, cap) != 0)
        return NULL;
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "gender", word_or_null(u.gender), "age",
                     word_or_null(u.age), "pitch", word_or_null(u.pitch), "pace", word_or_null(u.pace), "timbre",
                     word_or_null(u.timbre), "energy", word_or_null(u.energy), "words_used", words_of(u.used),
                     "words_ignored", words_of(u.ignored));
}

