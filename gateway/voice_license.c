/* Licensed voices: expiry, the character cap, the counter (see
 * voice_license.h). */
#include "gateway/voice_license.h"

#include "gateway/state_keys.h"

#include "common/api_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t voice_license_time_ms(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return -1;
    int ms = 0;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*rest - '0');
        for (; digits > 0 && digits < 3; digits++)
            ms *= 10;
    }
    if (strcmp(rest, "Z") && strcmp(rest, "+00:00"))
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int detail(json_t *details, const char *field, const char *message)
{
    return json_array_append_new(details, ss_detail(field, message)) ? -1 : 1;
}

int voice_license_check(const json_t *license, json_t *details)
{
    if (!json_is_object(license))
        return detail(details, "license", "must be an object {licensor, license_type, expires_at, character_cap}");
    int n = 0;
    const char *licensor = json_string_value(json_object_get(license, "licensor"));
    const char *type = json_string_value(json_object_get(license, "license_type"));
    json_t *exp = json_object_get(license, "expires_at"), *cap = json_object_get(license, "character_cap");
    if (!licensor || !*licensor || strlen(licensor) > 200)
        n += detail(details, "license.licensor", "must be a string of 1..200 bytes");
    if (!type || !*type || strlen(type) > 100)
        n += detail(details, "license.license_type", "must be a string of 1..100 bytes");
    if (exp && !json_is_null(exp) && voice_license_time_ms(json_string_value(exp)) < 0)
        n += detail(details, "license.expires_at", "must be null or a UTC time like 2027-01-31T00:00:00Z");
    if (cap && !json_is_null(cap) && (!json_is_integer(cap) || json_integer_value(cap) < 1))
        n += detail(details, "license.character_cap", "must be null or a positive integer");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)license, k, v)
    {
        if (strcmp(k, "licensor") && strcmp(k, "license_type") && strcmp(k, "expires_at") &&
            strcmp(k, "character_cap"))
            n += detail(details, "license", "has a field that is not licensor, license_type, expires_at or "
                                            "character_cap (characters_used is counted, not set)");
    }
    return n;
}

bool voice_license_expired(const json_t *voice, int64_t now_ms)
{
    const char *exp = json_string_value(json_object_get(json_object_get(voice, "license"), "expires_at"));
    int64_t at = exp ? voice_license_time_ms(exp) : -1;
    return exp && (at < 0 || at <= now_ms); /* an unreadable date counts as expired: fail closed */
}

void voice_license_show_used(json_t *voice, const redisReply *counter)
{
    json_t *lic = json_object_get(voice, "license");
    if (!json_is_object(lic))
        return;
    long long used = counter && counter->type == REDIS_REPLY_STRING ? strtoll(counter->str, NULL, 10) : 0;
    json_object_set_new(lic, "characters_used", json_integer(used));
}

/* KEYS counter; ARGV chars, cap ("" = none) -> {1, used after} or {0, used} */
static const ss_redis_script LICENSE_CHARGE = {
    "voice_license_charge",
    "local used = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local n = tonumber(ARGV[1])\n"
    "if ARGV[2] ~= '' then\n"
    "  local cap = tonumber(ARGV[2])\n"
    "  if used >= cap or used + n > cap then return {0, used} end\n"
    "end\n"
    "return {1, redis.call('INCRBY', KEYS[1], n)}\n", .durable = false};

typedef struct {
    voice_license_done_fn done;
    void *user;
    gw_state_free_fn user_free;
} charge_ctx;

static void charge_free(void *p)
{
    charge_ctx *c = p;
    if (c && c->user_free)
        c->user_free(c->user);
    free(c);
}

static void on_charged(gw_request *r, void *p, const redisReply *reply)
{
    charge_ctx *c = p;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_INTEGER) {
        gw_state_unavailable(r, "unexpected reply to voice_license_charge");
        charge_free(c);
        return;
    }
    c->done(r, c->user, reply->element[0]->integer == 1);
    free(c);
}

/* The counter key and the script's two arguments for a voice. 0 or -1. */
static int charge_args(const json_t *voice, size_t chars, char *key, char *n, char *cap)
{
    const char *id = json_string_value(json_object_get(voice, "voice_id"));
    json_t *capv = json_object_get(json_object_get(voice, "license"), "character_cap");
    if (!id || gw_state_key(key, GW_STATE_KEY_MAX, GW_KEY_VOICE_LICENSE_USED, id, NULL) != 0)
        return -1;
    snprintf(n, 32, "%zu", chars);
    cap[0] = '\0';
    if (json_is_integer(capv))
        snprintf(cap, 32, "%lld", (long long)json_integer_value(capv));
    return 0;
}

int voice_license_charge_async(ss_redis *redis, const json_t *voice, size_t chars, ss_redis_reply_fn fn, void *user)
{
    char key[GW_STATE_KEY_MAX], n[32], cap[32];
    if (charge_args(voice, chars, key, n, cap) != 0)
        return -1;
    const char *keys[] = {key}, *args[] = {n, cap};
    return ss_redis_eval(redis, &LICENSE_CHARGE, 1, keys, 2, args, fn, user);
}

void voice_license_charge(gw_request *r, const json_t *voice, size_t chars, voice_license_done_fn done, void *user,
                          gw_state_free_fn user_free)
{
    charge_ctx *c = calloc(1, sizeof *c);
    char key[GW_STATE_KEY_MAX], n[32], cap[32];
    if (!c || charge_args(voice, chars, key, n, cap) != 0) {
        free(c);
        if (user_free)
            user_free(user);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, c ? "the voice cannot be keyed" : "out of memory", NULL);
        return;
    }
    *c = (charge_ctx){done, user, user_free};
    const char *keys[] = {key}, *args[] = {n, cap};
    gw_state_eval(r, &LICENSE_CHARGE, 1, keys, 2, args, on_charged, c, charge_free);
}
