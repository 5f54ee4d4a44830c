/* Voice records for synthesis (see voice_store.h). */
#include "gateway/voice_store.h"

#include "gateway/gateway.h"
#include "gateway/permissions.h"
#include "gateway/state_keys.h"
#include "gateway/voice_index.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEYS: voice:{default}, the global id set, the default-voice key, the
 * global index; ARGV: the record, its id, its index member, its accent ->
 * 1 when the record was created. A record that exists is kept byte for
 * byte, except that one an earlier gateway wrote without an accent gets it
 * appended (an operator's explicit null stays). */
static const ss_redis_script VOICE_ENSURE_DEFAULT = {
    "voice_ensure_default",
    "local created = redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
    "if not created then\n"
    "  local raw = redis.call('GET', KEYS[1])\n"
    "  local ok, old = pcall(cjson.decode, raw)\n"
    "  if ok and type(old) == 'table' and old.accent == nil then\n"
    "    redis.call('SET', KEYS[1], (string.gsub(raw, '}%s*$', '')) .. ',\"accent\":' .. cjson.encode(ARGV[4]) .. '}')\n"
    "  end\n"
    "end\n"
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
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:[s],s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:n,s:s,s:s,s:s}",
                     "voice_id", PLATFORM_DEFAULT_VOICE_ID, "display_name", "SLT (US English)",
                     "description", "the built-in CMU ARCTIC slt voice of the scaispeak-hts-en engine",
                     "scope", "global", "tenant_id", "owner_user_id", "language_primary", "en",
                     "language_supported", "en", "gender_hint", "female", "accent", PLATFORM_DEFAULT_ACCENT,
                     "age_hint", "adult",
                     "style_tags", "neutral", "intake_mode", "builtin", "engine", PLATFORM_ENGINE_ID,
                     "embedding_status", "ready", "embedding_status_reason", "created_at", now,
                     "updated_at", now, "_index", PLATFORM_DEFAULT_VOICE_MEMBER);
}

/* KEYS: voice:{id} of each of the n engine voices, the global index, the
 * global id set; ARGV: their JSON, their index members, their ids -> how many
 * records were created. A record that exists is kept (an operator's edit
 * stays); one the previous gateway version made (no "_index": created before
 * these voices were in the library) gets the fields it lacks appended
 * (the index member, accent) and that version's language "en" replaced by
 * the voice's own, byte for byte elsewhere. A global record is then in the
 * index and the id set; ZADD/SADD make that idempotent. */
static const ss_redis_script VOICE_ENSURE_ENGINE_VOICES = {
    "voice_ensure_engine_voices",
    "local n = #KEYS - 2\n"
    "local created = 0\n"
    "local function splice(raw, old, new)\n"
    "  local s, e = string.find(raw, old, 1, true)\n"
    "  if not s then return raw end\n"
    "  return string.sub(raw, 1, s - 1) .. new .. string.sub(raw, e + 1)\n"
    "end\n"
    "for i = 1, n do\n"
    "  local member = ARGV[n + i]\n"
    "  if redis.call('SET', KEYS[i], ARGV[i], 'NX') then\n"
    "    created = created + 1\n"
    "  else\n"
    "    local raw = redis.call('GET', KEYS[i])\n"
    "    local ok, old = pcall(cjson.decode, raw)\n"
    "    if not ok or type(old) ~= 'table' or old.scope ~= 'global' then\n"
    "      member = nil\n"
    "    elseif old._index then\n"
    "      member = old._index\n"
    "    else\n"
    "      local new = cjson.decode(ARGV[i])\n"
    "      raw = splice(raw, '\"language_primary\":\"en\"',\n"
    "                   '\"language_primary\":' .. cjson.encode(new.language_primary))\n"
    "      raw = splice(raw, '\"language_supported\":[\"en\"]',\n"
    "                   '\"language_supported\":' .. cjson.encode(new.language_supported))\n"
    "      local tail = ''\n"
    "      for k, v in pairs(new) do\n"
    "        if old[k] == nil then tail = tail .. ',' .. cjson.encode(k) .. ':' .. cjson.encode(v) end\n"
    "      end\n"
    "      raw = (string.gsub(raw, '}%s*$', '')) .. tail .. '}'\n"
    "      redis.call('SET', KEYS[i], raw)\n"
    "    end\n"
    "  end\n"
    "  if member then\n"
    "    redis.call('ZADD', KEYS[n + 1], 0, member)\n"
    "    redis.call('SADD', KEYS[n + 2], ARGV[2 * n + i])\n"
    "  end\n"
    "end\n"
    "return created\n", .durable = false};

/* The engine voices: a node engine each (node/cg_node_engine.c), the voice
 * id being the engine id; gender, accent and language as the engine reports
 * them (ListEngines). */
static const struct {
    const char *id, *name, *description, *gender, *accent, *language;
} ENGINE_VOICES[] = {
    {"rms", "RMS (US English, male)", "flite's clustergen rms voice, the rms engine", "male", "us", "en-US"},
    {"awb", "AWB (Scottish English, male)", "flite's clustergen awb voice, the awb engine", "male", "scottish",
     "en-GB"},
    {"slt_cg", "SLT CG (US English, female)", "flite's clustergen slt voice, the slt_cg engine", "female", "us",
     "en-US"},
};
#define N_ENGINE_VOICES (sizeof ENGINE_VOICES / sizeof ENGINE_VOICES[0])

/* Index members of time 0, like the platform default's: they sort after
 * every global voice added later. */
static int engine_voice_member(size_t i, char *out, size_t cap)
{
    return voice_index_member(out, cap, 0, ENGINE_VOICES[i].id);
}

static json_t *engine_voice(size_t i, const char *now, const char *member)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:[s],s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:n,s:s,s:s,s:s}",
                     "voice_id", ENGINE_VOICES[i].id, "display_name", ENGINE_VOICES[i].name, "description",
                     ENGINE_VOICES[i].description, "scope", "global", "tenant_id", "owner_user_id",
                     "language_primary", ENGINE_VOICES[i].language, "language_supported",
                     ENGINE_VOICES[i].language, "gender_hint", ENGINE_VOICES[i].gender, "accent",
                     ENGINE_VOICES[i].accent, "age_hint", "adult", "style_tags", "neutral", "intake_mode",
                     "builtin", "engine", ENGINE_VOICES[i].id, "embedding_status", "ready",
                     "embedding_status_reason", "created_at", now, "updated_at", now, "_index", member);
}

static void on_engine_voices(void *user, const redisReply *reply, const char *err)
{
    (void)user;
    if (err)
        ss_warn(NULL, "could not ensure the engine voices: %s", err);
    else if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
        ss_info(NULL, "%lld engine voice(s) created (rms, awb, slt_cg)", reply->integer);
}

/* Creates the engine voices' records when absent and makes sure each global
 * one is in the voice library's global index (platform global voices, like
 * the platform default). */
static void ensure_engine_voices(gw_server *gw)
{
    enum { N = N_ENGINE_VOICES };
    char now[32], keys[N + 2][GW_STATE_KEY_MAX], members[N][VOICE_INDEX_MEMBER_MAX];
    const char *kp[N + 2], *ap[3 * N];
    char *json[N] = {0};
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bool ok = gw_state_key(keys[N], sizeof keys[N], GW_KEY_VOICES_GLOBAL_INDEX, NULL, NULL) == 0 &&
              gw_state_key(keys[N + 1], sizeof keys[N + 1], GW_KEY_VOICES_GLOBAL, NULL, NULL) == 0;
    for (size_t i = 0; ok && i < N; i++) {
        ok = gw_state_key(keys[i], sizeof keys[i], GW_KEY_VOICE, ENGINE_VOICES[i].id, NULL) == 0 &&
             engine_voice_member(i, members[i], sizeof members[i]) == 0;
        json_t *v = ok ? engine_voice(i, now, members[i]) : NULL;
        json[i] = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        ok = ok && json[i];
        ap[i] = json[i];
        ap[N + i] = members[i];
        ap[2 * N + i] = ENGINE_VOICES[i].id;
    }
    for (size_t i = 0; i < N + 2; i++)
        kp[i] = keys[i];
    if (!ok)
        ss_warn(NULL, "could not ensure the engine voices now: out of memory; retried on the next connect");
    else if (ss_redis_eval(gw->redis, &VOICE_ENSURE_ENGINE_VOICES, N + 2, kp, 3 * N, ap, on_engine_voices,
                           NULL) != 0)
        ss_warn(NULL, "could not ensure the engine voices now; retried on the next connect");
    for (size_t i = 0; i < N; i++)
        free(json[i]);
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
    const char *args[] = {j, PLATFORM_DEFAULT_VOICE_ID, PLATFORM_DEFAULT_VOICE_MEMBER, PLATFORM_DEFAULT_ACCENT};
    if (ss_redis_eval(gw->redis, &VOICE_ENSURE_DEFAULT, 4, keys, 4, args, on_ensured, NULL) != 0)
        ss_warn(NULL, "could not ensure the platform default voice now; retried on the next connect");
    free(j);
    ensure_engine_voices(gw);
}
