/* Voice records for synthesis (see voice_store.h). */
#include "gateway/voice_store.h"

#include "gateway/gateway.h"
#include "gateway/permissions.h"
#include "gateway/state_keys.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEYS: voice:{default id} voices:global platform:default_voice voices:global:index;
 * ARGV: voice json, default id, index member -> 1 (created) or 0 (existed) */
static const ss_redis_script VOICE_ENSURE_DEFAULT = {
    "voice_ensure_default",
    "local created = redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
    "redis.call('SADD', KEYS[2], ARGV[2])\n"
    "redis.call('SET', KEYS[3], ARGV[2], 'NX')\n"
    "redis.call('ZADD', KEYS[4], 0, ARGV[3])\n"
    "if created then return 1 end\n"
    "return 0\n", .durable = false};

json_t *voice_store_platform_default(void)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:[s],s:s,s:s,s:[s],s:s,s:s,s:s,s:n,s:s,s:s,s:s}",
                     "voice_id", PLATFORM_DEFAULT_VOICE_ID, "display_name", "SLT (US English)",
                     "description", "the built-in CMU ARCTIC slt voice of the scaispeak-hts-en engine",
                     "scope", "global", "tenant_id", "owner_user_id", "language_primary", "en",
                     "language_supported", "en", "gender_hint", "female", "age_hint", "adult",
                     "style_tags", "neutral", "intake_mode", "builtin", "engine", PLATFORM_ENGINE_ID,
                     "embedding_status", "ready", "embedding_status_reason", "created_at", now,
                     "updated_at", now, "_index", PLATFORM_DEFAULT_VOICE_MEMBER);
}

bool voice_visible(const json_t *voice, const char *tenant_id, const char *user_id)
{
    const char *scope = json_string_value(json_object_get(voice, "scope"));
    const char *vt = json_string_value(json_object_get(voice, "tenant_id"));
    const char *owner = json_string_value(json_object_get(voice, "owner_user_id"));
    if (!scope)
        return false;
    if (!strcmp(scope, "global"))
        return true;
    if (!strcmp(scope, "tenant"))
        return vt && tenant_id && !strcmp(vt, tenant_id);
    if (!strcmp(scope, "user"))
        return vt && owner && tenant_id && user_id && !strcmp(vt, tenant_id) && !strcmp(owner, user_id);
    return false;
}

bool voice_may_change(const json_t *voice, const gw_caller *caller)
{
    const char *scope = json_string_value(json_object_get(voice, "scope"));
    const char *owner = json_string_value(json_object_get(voice, "owner_user_id"));
    bool is_owner = owner && *caller->user_id && !strcmp(owner, caller->user_id);
    if (!scope || !strcmp(scope, "global"))
        return caller->role == ROLE_SUPER_ADMIN;
    if (!strcmp(scope, "tenant"))
        return is_owner || (caller->permissions & PERM_ADMIN);
    return is_owner;
}

const char *voice_design_prompt(const json_t *voice)
{
    const char *mode = json_string_value(json_object_get(voice, "intake_mode"));
    return mode && !strcmp(mode, "design") ? json_string_value(json_object_get(voice, "design_prompt")) : NULL;
}

static bool is_clone(const json_t *voice)
{
    const char *mode = json_string_value(json_object_get(voice, "intake_mode"));
    return mode && !strcmp(mode, "clone");
}

const char *voice_reference_sha256(const json_t *voice)
{
    return is_clone(voice) ? json_string_value(json_object_get(json_object_get(voice, "reference"), "sha256"))
                           : NULL;
}

const char *voice_reference_key(const json_t *voice)
{
    return is_clone(voice) ? json_string_value(json_object_get(voice, VOICE_REFERENCE_KEY_FIELD)) : NULL;
}

static void on_ensured(void *user, const redisReply *reply, const char *err)
{
    (void)user;
    if (err)
        ss_warn(NULL, "could not ensure the platform default voice: %s", err);
    else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
        ss_info(NULL, "platform default voice %s created", PLATFORM_DEFAULT_VOICE_ID);
}

void voice_store_ensure_defaults(void *arg)
{
    gw_server *gw = arg;
    char k_voice[GW_STATE_KEY_MAX], k_global[GW_STATE_KEY_MAX], k_default[GW_STATE_KEY_MAX], k_index[GW_STATE_KEY_MAX];
    gw_state_key(k_voice, sizeof k_voice, GW_KEY_VOICE, PLATFORM_DEFAULT_VOICE_ID, NULL);
    gw_state_key(k_global, sizeof k_global, GW_KEY_VOICES_GLOBAL, NULL, NULL);
    gw_state_key(k_default, sizeof k_default, GW_KEY_DEFAULT_VOICE, NULL, NULL);
    gw_state_key(k_index, sizeof k_index, GW_KEY_VOICES_GLOBAL_INDEX, NULL, NULL);
    json_t *v = voice_store_platform_default();
    char *j = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!j) {
        ss_warn(NULL, "could not ensure the platform default voice now: out of memory; retried on the "
                      "next connect");
        return;
    }
    const char *keys[] = {k_voice, k_global, k_default, k_index};
    const char *args[] = {j, PLATFORM_DEFAULT_VOICE_ID, PLATFORM_DEFAULT_VOICE_MEMBER};
    if (ss_redis_eval(gw->redis, &VOICE_ENSURE_DEFAULT, 4, keys, 3, args, on_ensured, NULL) != 0)
        ss_warn(NULL, "could not ensure the platform default voice now; retried on the next connect");
    free(j);
}
