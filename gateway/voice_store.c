/* Voice records for synthesis (see voice_store.h). */
#include "gateway/voice_store.h"

#include "gateway/gateway.h"

#include "common/log.h"

#include <stdlib.h>

#include <string.h>
#include <time.h>

const char VOICE_ENSURE_DEFAULT_LUA[] =
    "local created = redis.call('SET', 'ss:voice:" PLATFORM_DEFAULT_VOICE_ID "', ARGV[1], 'NX')\n"
    "redis.call('SADD', 'ss:voices:global', '" PLATFORM_DEFAULT_VOICE_ID "')\n"
    "redis.call('SET', 'ss:platform:default_voice', '" PLATFORM_DEFAULT_VOICE_ID "', 'NX')\n"
    "if created then return 1 end\n"
    "return 0\n";

const char SPEAK_CONTEXT_LUA[] =
    "local pk = 'ss:tenant:' .. ARGV[1] .. ':policy'\n"
    "if ARGV[1] ~= '' then redis.call('SET', pk, ARGV[2], 'NX') end\n"
    "local policy = redis.call('GET', pk) or ARGV[2]\n"
    "local id = ARGV[3]\n"
    "if id == '' and ARGV[4] ~= '' then\n"
    "  if redis.call('EXISTS', 'ss:voice:' .. ARGV[4]) == 1 then id = ARGV[4] else\n"
    "    for _, gid in ipairs(redis.call('SMEMBERS', 'ss:voices:global')) do\n"
    "      local v = redis.call('GET', 'ss:voice:' .. gid)\n"
    "      if v and cjson.decode(v)['display_name'] == ARGV[4] then id = gid break end\n"
    "    end\n"
    "    if id == '' then return {policy, false, {}} end\n"
    "  end\n"
    "end\n"
    "if id == '' then id = redis.call('GET', 'ss:platform:default_voice') or '' end\n"
    "return {policy, redis.call('GET', 'ss:voice:' .. id),\n"
    "        redis.call('HVALS', 'ss:tenant:' .. ARGV[1] .. ':blocklist')}\n";

json_t *voice_store_platform_default(void)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:[s],s:s,s:s,s:[s],s:s,s:s,s:s,s:n,s:s,s:s}",
                     "voice_id", PLATFORM_DEFAULT_VOICE_ID, "display_name", "SLT (US English)",
                     "description", "the built-in CMU ARCTIC slt voice of the scaispeak-hts-en engine",
                     "scope", "global", "tenant_id", "owner_user_id", "language_primary", "en",
                     "language_supported", "en", "gender_hint", "female", "age_hint", "adult",
                     "style_tags", "neutral", "intake_mode", "builtin", "engine", PLATFORM_ENGINE_ID,
                     "embedding_status", "ready", "embedding_status_reason", "created_at", now,
                     "updated_at", now);
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
    json_t *v = voice_store_platform_default();
    char *j = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!j || ss_redis_command(gw->redis, on_ensured, NULL, "EVAL", VOICE_ENSURE_DEFAULT_LUA, "0", j,
                               NULL) != 0)
        ss_warn(NULL, "could not ensure the platform default voice now; retried on the next connect");
    free(j);
}
