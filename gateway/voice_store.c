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

/* KEYS: voice:{id} of each engine voice; ARGV: their JSON -> how many were
 * created (SET NX: an operator's edit of a record is kept). */
static const ss_redis_script VOICE_ENSURE_ENGINE_VOICES = {
    "voice_ensure_engine_voices",
    "local n = 0\n"
    "for i, k in ipairs(KEYS) do\n"
    "  if redis.call('SET', k, ARGV[i], 'NX') then n = n + 1 end\n"
    "end\n"
    "return n\n", .durable = false};

/* The engine voices: a node engine each (node/cg_node_engine.c), the voice
 * id being the engine id. */
static const struct {
    const char *id, *name, *description, *gender;
} ENGINE_VOICES[] = {
    {"rms", "RMS (US English, male)", "flite's clustergen rms voice, the rms engine", "male"},
    {"awb", "AWB (Scottish English, male)", "flite's clustergen awb voice, the awb engine", "male"},
    {"slt_cg", "SLT CG (US English, female)", "flite's clustergen slt voice, the slt_cg engine", "female"},
};
#define N_ENGINE_VOICES (sizeof ENGINE_VOICES / sizeof ENGINE_VOICES[0])

static json_t *engine_voice(size_t i, const char *now)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:[s],s:s,s:s,s:[s],s:s,s:s,s:s,s:n,s:s,s:s}", "voice_id",
                     ENGINE_VOICES[i].id, "display_name", ENGINE_VOICES[i].name, "description",
                     ENGINE_VOICES[i].description, "scope", "global", "tenant_id", "owner_user_id",
                     "language_primary", "en", "language_supported", "en", "gender_hint",
                     ENGINE_VOICES[i].gender, "age_hint", "adult", "style_tags", "neutral", "intake_mode",
                     "builtin", "engine", ENGINE_VOICES[i].id, "embedding_status", "ready",
                     "embedding_status_reason", "created_at", now, "updated_at", now);
}

static void on_engine_voices(void *user, const redisReply *reply, const char *err)
{
    (void)user;
    if (err)
        ss_warn(NULL, "could not ensure the engine voices: %s", err);
    else if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
        ss_info(NULL, "%lld engine voice(s) created (rms, awb, slt_cg)", reply->integer);
}

/* Creates the engine voices' records when absent. They are not in the
 * voice library's lists (no index member) until the library issue makes
 * them platform global voices; /speak finds them by id. */
static void ensure_engine_voices(gw_server *gw)
{
    char now[32], keys[N_ENGINE_VOICES][GW_STATE_KEY_MAX];
    const char *kp[N_ENGINE_VOICES];
    char *args[N_ENGINE_VOICES] = {0};
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bool ok = true;
    for (size_t i = 0; i < N_ENGINE_VOICES; i++) {
        gw_state_key(keys[i], sizeof keys[i], GW_KEY_VOICE, ENGINE_VOICES[i].id, NULL);
        kp[i] = keys[i];
        json_t *v = engine_voice(i, now);
        args[i] = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        ok = ok && args[i];
    }
    if (!ok)
        ss_warn(NULL, "could not ensure the engine voices now: out of memory; retried on the next connect");
    else if (ss_redis_eval(gw->redis, &VOICE_ENSURE_ENGINE_VOICES, (int)N_ENGINE_VOICES, kp, (int)N_ENGINE_VOICES,
                           (const char *const *)args, on_engine_voices, NULL) != 0)
        ss_warn(NULL, "could not ensure the engine voices now; retried on the next connect");
    for (size_t i = 0; i < N_ENGINE_VOICES; i++)
        free(args[i]);
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
    free(j);    ensure_engine_voices(gw);
}
