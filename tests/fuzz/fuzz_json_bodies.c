/* libFuzzer target: the gateway's checks of the JSON bodies an API caller
 * sends besides /speak's (fuzz_speak_request): a voice's fields for POST
 * /voices (design and clone modes) and PATCH /voices/{id}
 * (gateway/voice_record.c), a global voice's license
 * (gateway/voice_license.c) and a tenant's policy (gateway/tenant_policy.c).
 * The first byte picks the check, the rest is the body (parsed by jansson as
 * the gateway does, duplicates refused). What each check promises: its
 * count of problems equals the {field, message} strings it appended (or -1,
 * only for no memory); a voice body with no problem becomes a record
 * (voice_record_new / voice_record_patched succeed); a policy it accepts
 * allows a non-empty set of "A"/"B" with the default among them and
 * numbers in range, and one it refuses says why. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/tenant_policy.h"
#include "gateway/voice_license.h"
#include "gateway/voice_record.h"

static void details_or_trap(const json_t *details, size_t before, int problems)
{
    if (problems < 0)
        return;
    if (json_array_size(details) - before != (size_t)problems)
        __builtin_trap();
    size_t i;
    const json_t *d;
    json_array_foreach(details, i, d) {
        if (!json_is_string(json_object_get(d, "field")) || !json_is_string(json_object_get(d, "message")))
            __builtin_trap();
    }
}

static void voice_fields(const json_t *body, voice_fields_use use)
{
    json_t *details = json_array();
    int problems = voice_fields_check(body, use, details);
    details_or_trap(details, 0, problems);
    if (problems == 0) {
        json_t *old = json_object();
        json_t *rec = use == VOICE_FIELDS_PATCH
                          ? voice_record_patched(old, body, 1796000000000LL)
                          : voice_record_new("vc_fuzz", "t_fuzz", "u_fuzz", "design", "scaispeak-hts-en", body,
                                             NULL, 1796000000000LL, "idx");
        if (!rec)
            __builtin_trap(); /* an accepted body must make a record */
        json_decref(rec);
        json_decref(old);
    }
    json_decref(details);
}

static void license(const json_t *body)
{
    json_t *details = json_array();
    details_or_trap(details, 0, voice_license_check(body, details));
    json_decref(details);
    const char *s = json_string_value(json_object_get(body, "expires_at"));
    if (s)
        (void)voice_license_time_ms(s);
}

static bool backend(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && (!strcmp(s, "A") || !strcmp(s, "B"));
}

static void policy(const json_t *body)
{
    json_t *details = NULL;
    json_t *p = tenant_policy_validate(body, &details);
    if (!p) {
        if (json_array_size(details) == 0)
            __builtin_trap(); /* refused without a reason */
        details_or_trap(details, 0, (int)json_array_size(details));
        json_decref(details);
        return;
    }
    if (details)
        __builtin_trap();
    const json_t *allowed = json_object_get(p, "allowed_backends"), *dflt = json_object_get(p, "default_backend");
    bool dflt_allowed = false;
    size_t i;
    const json_t *e;
    if (json_array_size(allowed) == 0 || json_array_size(allowed) > 2 || !backend(dflt))
        __builtin_trap();
    json_array_foreach(allowed, i, e) {
        if (!backend(e))
            __builtin_trap();
        dflt_allowed = dflt_allowed || json_equal(e, dflt);
    }
    json_int_t chars = json_integer_value(json_object_get(p, "async_threshold_chars"));
    if (!dflt_allowed || chars < 1 || chars > 100000)
        __builtin_trap();
    json_decref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!body)
        return 0;
    switch (data[0] % 5) {
    case 0: voice_fields(body, VOICE_FIELDS_CREATE_DESIGN); break;
    case 1: voice_fields(body, VOICE_FIELDS_CREATE_CLONE); break;
    case 2: voice_fields(body, VOICE_FIELDS_PATCH); break;
    case 3: license(body); break;
    default: policy(body); break;
    }
    json_decref(body);
    return 0;
}
