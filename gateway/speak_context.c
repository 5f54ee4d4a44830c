/* /speak's reads (see speak_context.h).
 *
 * One read_ctx per request carries what step 1 found to step 2 and to the
 * checks; it is freed by whichever of them ends the read. */
#include "gateway/speak_context.h"

#include "gateway/blocklist.h"
#include "gateway/identity_store.h"
#include "gateway/node_registry.h"
#include "gateway/rate_limit.h"
#include "gateway/state_keys.h"
#include "gateway/tenant_policy.h"
#include "gateway/voice_index.h"
#include "gateway/voice_license.h"
#include "gateway/voice_store.h"

#include "common/log.h"
#include "common/wall_clock.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEYS: [rate-limit keys] policy blocklist node-index voice|default-pointer
 *       [global voices, own index, tenant index] [apikey user tenant]
 * ARGV: n-rate-limit-keys n-rate-limit-args [rate-limit args] has_tenant default-policy mode
 *       has-own/tenant-indexes voice-key-prefix node-key-prefix alive-suffix drain-suffix
 *       identity-fingerprint
 * A non-empty identity-fingerprint (the caller came from the identity
 * cache) is checked first, against the last three KEYS (identity_store.h's
 * identity_fp), before anything is counted: {"identity changed"} when it
 * differs.
 * mode: "id" (KEYS names the voice), "name" (the voice, else look the name up
 * among the caller's own voices (newest first), the tenant's, then the
 * global ones: at most NAME_CANDIDATES of each index), "default" (KEYS names
 * the default-voice pointer; the voice it names is read from the prefix).
 * Once the voice is read, so are the records of the index's nodes (keys
 * built from the prefixes, as read_nodes reads them; an id without a record
 * leaves the index), so that a known voice costs one round trip.
 * -> {"identity changed"}, {verdict} when refused, else
 *    {verdict|nil, policy, voice|nil, [blocklist id, entry, ...], [voice ids to read], [node ids],
 *     [{record, alive, drain|nil}, ...] (empty unless the voice was read)} */
static const ss_redis_script SPEAK_ADMIT = {
    "speak_admit",
    RATE_LIMIT_FN
    IDENTITY_FP_FN
    "local nrk, nra = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local fp, nk = ARGV[3 + nra + 8], #KEYS\n"
    "if fp ~= '' then\n"
    "  local now = identity_fp({redis.call('HGETALL', KEYS[nk - 2]), redis.call('HGETALL', KEYS[nk - 1]),\n"
    "                           redis.call('HGETALL', KEYS[nk])})\n"
    "  if now ~= fp then return {'identity changed'} end\n"
    "end\n"
    "local rl = false\n"
    "if nra > 0 then\n"
    "  rl = rate_limit(1, 3)\n"
    "  if rl[1] == 0 then return {rl} end\n"
    "end\n"
    "local c, b = nrk + 1, 3 + nra\n"
    "if ARGV[b] == '1' then redis.call('SET', KEYS[c], ARGV[b + 1], 'NX') end\n"
    "local policy = redis.call('GET', KEYS[c]) or ARGV[b + 1]\n"
    "local blocklist = redis.call('HGETALL', KEYS[c + 1])\n"
    "local node_ids = redis.call('ZRANGE', KEYS[c + 2], 0, -1)\n"
    "local mode = ARGV[b + 2]\n"
    "local voice, names = false, {}\n"
    "if mode == 'default' then\n"
    "  local id = redis.call('GET', KEYS[c + 3])\n"
    "  if id then names = {id} end\n"
    "else\n"
    "  voice = redis.call('GET', KEYS[c + 3]) or false\n"
    "  if not voice and mode == 'name' then\n"
    "    if ARGV[b + 3] == '1' then\n"
    "      for k = c + 5, c + 6 do\n"
    "        for _, m in ipairs(redis.call('ZREVRANGE', KEYS[k], 0, 499)) do names[#names + 1] = m end\n"
    "      end\n"
    "    end\n"
    "    for _, id in ipairs(redis.call('SMEMBERS', KEYS[c + 4])) do names[#names + 1] = id end\n"
    "  end\n"
    "end\n"
    "local vp, np, asuf, dsuf = ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7]\n"
    "if mode == 'default' and names[1] then\n"
    "  voice = redis.call('GET', vp .. names[1]) or false\n"
    "  names = {}\n"
    "end\n"
    "local nodes = {}\n"
    "if voice then\n"
    "  for _, id in ipairs(node_ids) do\n"
    "    if #id <= 128 and not string.find(id, '[^A-Za-z0-9_.:%-]') then\n"
    "      local rec = redis.call('GET', np .. id)\n"
    "      if rec then\n"
    "        nodes[#nodes + 1] = {rec, redis.call('EXISTS', np .. id .. asuf), redis.call('GET', np .. id .. dsuf)}\n"
    "      else\n"
    "        redis.call('ZREM', KEYS[c + 2], id)\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {rl, policy, voice, blocklist, names, node_ids, nodes}\n", .durable = false};

/* KEYS: the voices to read, the node index, record alive drain per node
 * ARGV: n-voices, the node ids -> {{voice|nil, ...}, {{record, alive, drain|nil}, ...}} */
static const ss_redis_script SPEAK_TARGETS = {
    "speak_targets",
    NODE_REGISTRY_READ_FN
    "local nv = tonumber(ARGV[1])\n"
    "local voices = {}\n"
    "for i = 1, nv do voices[i] = redis.call('GET', KEYS[i]) or false end\n"
    "local ids = {}\n"
    "for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end\n"
    "return {voices, read_nodes(nv + 1, ids)}\n", .durable = false};

typedef struct {
    speak_context_fn done;
    void *user;
    gw_state_free_fn user_free;
    char *text;
    char voice_name[128];
    char language_hint[8];
    bool by_name;        /* names are voices (own, tenant, global, in that order) to match on display_name */
    json_t *policy;
    json_t *voice;
    json_t *blocklist;   /* [id, entry JSON text, id, ...] as JSON strings (HGETALL) */
    json_t *nodes;       /* held while a licensed voice is charged */
} read_ctx;

static void read_ctx_free(void *p)
{
    read_ctx *c = p;
    if (c->user_free)
        c->user_free(c->user);
    json_decref(c->policy);
    json_decref(c->voice);
    json_decref(c->blocklist);
    json_decref(c->nodes);
    free(c->text);
    free(c);
}

/* Ends the read with an answer. */
static void refuse(gw_request *r, read_ctx *c, ss_api_error e, const char *msg)
{
    read_ctx_free(c);
    gw_reply_error(r, e, msg, NULL);
}

/* The blocklist check; false after answering. */
static bool passes_blocklist(gw_request *r, read_ctx *c)
{
    size_t n = json_array_size(c->blocklist) / 2;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    const char **texts = calloc(n ? n : 1, sizeof *texts);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    if (!ids || !texts || !lens) {
        free(ids);
        free(texts);
        free(lens);
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(c->blocklist, 2 * i));
        texts[i] = json_string_value(json_array_get(c->blocklist, 2 * i + 1));
        lens[i] = json_string_length(json_array_get(c->blocklist, 2 * i + 1));
    }
    char id[80], why[200], msg[320];
    blocklist_verdict v = blocklist_check(ids, texts, lens, n, c->text, id, sizeof id, why, sizeof why);
    free(ids);
    free(texts);
    free(lens);
    switch (v) {
    case BLOCKLIST_PASS:
        return true;
    case BLOCKLIST_HIT:
        snprintf(msg, sizeof msg, "the text matches the tenant's blocklist (entry %s)", id);
        ss_info(r->id, "%s", msg);
        refuse(r, c, SS_ERR_CONTENT_BLOCKED, msg);
        return false;
    case BLOCKLIST_BROKEN:
        snprintf(msg, sizeof msg, "%s; synthesis is refused until the entry is fixed or deleted", why);
        ss_error(r->id, "tenant %s: %s", r->caller.tenant_id, msg);
        refuse(r, c, SS_ERR_INTERNAL_ERROR, msg);
        return false;
    case BLOCKLIST_NO_MEMORY:
        break;
    }
    refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
    return false;
}

/* A language_hint the voice does not speak: 422 naming the languages it
 * does. false after answering. */
static bool speaks_the_hint(gw_request *r, read_ctx *c)
{
    if (!c->language_hint[0] || voice_speaks_language(c->voice, c->language_hint))
        return true;
    json_t *langs = json_array();
    const char *primary = json_string_value(json_object_get(c->voice, "language_primary"));
    if (langs && primary)
        json_array_append_new(langs, json_string(primary));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(c->voice, "language_supported"), i, l)
        if (json_is_string(l) && (!primary || strcmp(json_string_value(l), primary)))
            json_array_append(langs, l);
    char *list = langs ? json_dumps(langs, JSON_COMPACT) : NULL;
    char msg[300];
    snprintf(msg, sizeof msg, "this voice speaks %s; language_hint \"%s\" is not one of them",
             list ? list : "[]", c->language_hint);
    json_t *details = json_pack("[{s:s, s:s}]", "field", "language_hint", "message", msg);
    json_decref(langs);
    free(list);
    read_ctx_free(c);
    gw_reply_error(r, SS_ERR_VALIDATION_ERROR, msg, details);
    return false;
}

/* The checks of speak_context.h, in their order; false after answering. */
static bool admitted(gw_request *r, read_ctx *c)
{
    if (!c->policy) {
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "stored policy is not JSON");
        return false;
    }
    if (!c->voice || !voice_visible(c->voice, r->caller.tenant_id, r->caller.user_id)) {
        refuse(r, c, SS_ERR_VOICE_NOT_FOUND, "no such voice");
        return false;
    }
    if (!passes_blocklist(r, c))
        return false;
    const char *status = json_string_value(json_object_get(c->voice, "embedding_status"));
    if (!status || strcmp(status, "ready") != 0) {
        refuse(r, c, SS_ERR_VOICE_NOT_READY, "the voice is not ready");
        return false;
    }
    return speaks_the_hint(r, c);
}

/* Hands the context to the caller; nodes is owned. */
static void hand_over(gw_request *r, read_ctx *c, json_t *nodes)
{
    speak_context ctx = {c->policy, c->voice, nodes, c->blocklist};
    c->policy = c->voice = NULL;
    c->user_free = NULL; /* the caller keeps its context */
    c->done(r, c->user, &ctx);
    read_ctx_free(c);
}

static void on_license_charged(gw_request *r, void *user, bool ok)
{
    read_ctx *c = user;
    if (!ok) {
        ss_info(r->id, "voice %s: license character cap reached",
                json_string_value(json_object_get(c->voice, "voice_id")));
        refuse(r, c, SS_ERR_VOICE_LICENSE_EXPIRED,
               "the voice's license character cap is reached (or this text would pass it)");
        return;
    }
    json_t *nodes = c->nodes;
    c->nodes = NULL;
    hand_over(r, c, nodes);
}

/* A licensed voice (voice_license.h) is checked for expiry and charged the
 * text's characters before the context is handed over; nodes is owned. */
static void finish(gw_request *r, read_ctx *c, json_t *nodes)
{
    if (!json_is_object(json_object_get(c->voice, "license"))) {
        hand_over(r, c, nodes);
        return;
    }
    if (voice_license_expired(c->voice, ss_wall_ms())) {
        json_decref(nodes);
        refuse(r, c, SS_ERR_VOICE_LICENSE_EXPIRED, "the voice's license has expired");
        return;
    }
    c->nodes = nodes;
    voice_license_charge(r, c->voice, ss_utf8_chars(c->text), on_license_charged, c, read_ctx_free);
}

/* The voice among step 2's: the one asked by name, or the only one read. */
static json_t *pick_voice(const read_ctx *c, const redisReply *voices)
{
    for (size_t i = 0; voices->type == REDIS_REPLY_ARRAY && i < voices->elements; i++) {
        const redisReply *v = voices->element[i];
        if (v->type != REDIS_REPLY_STRING)
            continue;
        json_t *j = json_loadb(v->str, v->len, 0, NULL);
        const char *name = json_string_value(json_object_get(j, "display_name"));
        if (j && (!c->by_name || (name && !strcmp(name, c->voice_name))))
            return j;
        json_decref(j);
    }
    return NULL;
}

static void on_targets(gw_request *r, void *user, const redisReply *reply)
{
    read_ctx *c = user;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        read_ctx_free(c);
        gw_state_unavailable(r, "unexpected reply to speak_targets");
        return;
    }
    bool voice_was_pending = !c->voice;
    if (voice_was_pending)
        c->voice = pick_voice(c, reply->element[0]);
    if (voice_was_pending && !admitted(r, c))
        return;
    json_t *nodes = node_registry_objects(reply->element[1], r->id);
    if (!nodes) {
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
        return;
    }
    finish(r, c, nodes);
}

/* Step 2 over the voices named in `names` (none when the voice is known)
 * and the nodes of the index. */
static void read_targets(gw_request *r, read_ctx *c, const redisReply *names, const redisReply *node_ids)
{
    gw_key_list keys = {0}, args = {0};
    int rc = 0;
    size_t nv = 0;
    for (size_t i = 0; rc != GW_KEY_LIST_NO_MEMORY && names && i < names->elements; i++) {
        if (names->element[i]->type != REDIS_REPLY_STRING)
            continue;
        const char *colon = strchr(names->element[i]->str, ':'); /* an index member: "<ms>:<id>" */
        rc = gw_key_list_add(&keys, GW_KEY_VOICE, colon ? colon + 1 : names->element[i]->str, NULL);
        nv += rc == 0;
    }
    char nvs[24];
    snprintf(nvs, sizeof nvs, "%zu", nv);
    if (rc != GW_KEY_LIST_NO_MEMORY)
        rc = gw_key_list_push(&args, nvs);
    if (rc != GW_KEY_LIST_NO_MEMORY)
        rc = node_registry_read_keys(node_ids, &keys, &args);
    if (rc == GW_KEY_LIST_NO_MEMORY) {
        gw_key_list_free(&keys);
        gw_key_list_free(&args);
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
        return;
    }
    gw_state_eval(r, &SPEAK_TARGETS, (int)keys.n, (const char *const *)keys.keys, (int)args.n,
                  (const char *const *)args.keys, on_targets, c, read_ctx_free);
    gw_key_list_free(&keys);
    gw_key_list_free(&args);
}

/* SPEAK_ADMIT's answer when a cached caller's identity changed. */
#define IDENTITY_CHANGED "identity changed"

static void on_admit(gw_request *r, void *user, const redisReply *reply)
{
    read_ctx *c = user;
    if (reply->type != REDIS_REPLY_ARRAY || (reply->elements != 1 && reply->elements != 7)) {
        read_ctx_free(c);
        gw_state_unavailable(r, "unexpected reply to speak_admit");
        return;
    }
    const redisReply *verdict = reply->element[0];
    if (reply->elements == 1 && verdict->type == REDIS_REPLY_STRING &&
        !strcmp(verdict->str, IDENTITY_CHANGED)) {
        read_ctx_free(c); /* the handler's state too: the request runs again */
        gw_authenticate_again(r, "changed in Redis");
        return;
    }
    if (verdict->type != REDIS_REPLY_NIL && !gw_rate_limit_conclude(r, verdict)) {
        read_ctx_free(c);
        return;
    }
    if (reply->elements != 7) { /* a refusal the verdict did not say */
        read_ctx_free(c);
        gw_state_unavailable(r, "unexpected reply to speak_admit");
        return;
    }
    const redisReply *pol = reply->element[1], *voice = reply->element[2], *bl = reply->element[3];
    const redisReply *names = reply->element[4], *node_ids = reply->element[5];
    const redisReply *node_records = reply->element[6];
    if (pol->type == REDIS_REPLY_STRING)
        c->policy = json_loadb(pol->str, pol->len, 0, NULL);
    if (voice->type == REDIS_REPLY_STRING)
        c->voice = json_loadb(voice->str, voice->len, 0, NULL);
    c->blocklist = json_array();
    for (size_t i = 0; c->blocklist && bl->type == REDIS_REPLY_ARRAY && i < bl->elements; i++)
        if (json_array_append_new(c->blocklist,
                                  json_stringn_nocheck(bl->element[i]->str, bl->element[i]->len)) != 0) {
            json_decref(c->blocklist);
            c->blocklist = NULL;
        }
    if (!c->blocklist) {
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
        return;
    }
    bool voice_pending = !c->voice && names->type == REDIS_REPLY_ARRAY && names->elements > 0;
    if (voice_pending) {
        read_targets(r, c, names, node_ids);
        return;
    }
    if (!admitted(r, c))
        return;
    /* the voice was read, so the script read the nodes too */
    json_t *nodes = node_registry_objects(node_records, r->id);
    if (!nodes) {
        refuse(r, c, SS_ERR_INTERNAL_ERROR, "out of memory");
        return;
    }
    finish(r, c, nodes);
}

/* The node keys' layout for SPEAK_ADMIT: "<prefix><id>", "<prefix><id><alive
 * suffix>", "<prefix><id><drain suffix>" (state_keys.c); 0, or -1 when the
 * templates stopped having that shape. */
static int node_key_parts(char *prefix, const char **alive_suffix, const char **drain_suffix,
                          char *alive, char *drain)
{
    if (gw_state_key(prefix, GW_STATE_KEY_MAX, GW_KEY_NODE, "", NULL) != 0 ||
        gw_state_key(alive, GW_STATE_KEY_MAX, GW_KEY_NODE_ALIVE, "", NULL) != 0 ||
        gw_state_key(drain, GW_STATE_KEY_MAX, GW_KEY_NODE_DRAIN, "", NULL) != 0)
        return -1;
    size_t n = strlen(prefix);
    if (strncmp(alive, prefix, n) != 0 || strncmp(drain, prefix, n) != 0)
        return -1;
    *alive_suffix = alive + n;
    *drain_suffix = drain + n;
    return 0;
}

/* The identity check's keys (apikey user tenant, last of KEYS) and its
 * fingerprint (last of ARGV; "" = no check: the caller was read, not
 * cached); 0 or a GW_KEY_LIST_* error. */
static int identity_check_call(gw_request *r, gw_key_list *keys, gw_key_list *args)
{
    if (!r->identity_fp[0])
        return gw_key_list_push(args, "");
    int rc = gw_key_list_add(keys, GW_KEY_APIKEY, r->key_hash, NULL);
    if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_USER, r->caller.user_id, NULL);
    if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_TENANT, r->caller.tenant_id, NULL);
    if (rc == 0)
        rc = gw_key_list_push(args, r->identity_fp);
    return rc;
}

/* admit_call's answer when the node or voice key templates no longer have
 * the "<prefix><id>[suffix]" shape the script builds keys from (a bug). */
enum { ADMIT_KEY_LAYOUT = -3 };

/* Builds step 1's keys and args into the lists; 0, a GW_KEY_LIST_* error or
 * ADMIT_KEY_LAYOUT. */
static int admit_call(gw_request *r, const speak_lookup *q, const char *default_policy,
                      gw_key_list *keys, gw_key_list *args)
{
    gw_rate_limit_call rl;
    int nrk = 0, nra = 0;
    if (q->rate_limit) {
        if (gw_rate_limit_prepare(r, &rl) != 0)
            return GW_KEY_LIST_BAD_KEY;
        nrk = rl.nkeys;
        nra = rl.nargs;
    }
    char n1[16], n2[16];
    snprintf(n1, sizeof n1, "%d", nrk);
    snprintf(n2, sizeof n2, "%d", nra);
    const char *tid = r->caller.tenant_id;
    const char *mode = *q->voice_id ? "id" : *q->voice_name ? "name" : "default";
    int rc = gw_key_list_push(args, n1);
    if (rc == 0)
        rc = gw_key_list_push(args, n2);
    for (int i = 0; rc == 0 && i < nrk; i++)
        rc = gw_key_list_push(keys, rl.keys[i]);
    for (int i = 0; rc == 0 && i < nra; i++)
        rc = gw_key_list_push(args, rl.args[i]);
    if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_TENANT_POLICY, tid, NULL);
    if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_TENANT_BLOCKLIST, tid, NULL);
    if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_NODES, NULL, NULL);
    if (rc == 0 && !strcmp(mode, "default"))
        rc = gw_key_list_add(keys, GW_KEY_DEFAULT_VOICE, NULL, NULL);
    else if (rc == 0)
        rc = gw_key_list_add(keys, GW_KEY_VOICE, *q->voice_id ? q->voice_id : q->voice_name, NULL);
    bool own = *tid && *r->caller.user_id;
    if (rc == 0 && !strcmp(mode, "name"))
        rc = gw_key_list_add(keys, GW_KEY_VOICES_GLOBAL, NULL, NULL);
    if (rc == 0 && !strcmp(mode, "name") && own)
        rc = gw_key_list_add(keys, GW_KEY_USER_VOICES, tid, r->caller.user_id);
    if (rc == 0 && !strcmp(mode, "name") && own)
        rc = gw_key_list_add(keys, GW_KEY_TENANT_VOICES, tid, NULL);
    if (rc == 0)
        rc = gw_key_list_push(args, *tid ? "1" : "0");
    if (rc == 0)
        rc = gw_key_list_push(args, default_policy);
    if (rc == 0)
        rc = gw_key_list_push(args, mode);
    if (rc == 0)
        rc = gw_key_list_push(args, own ? "1" : "0");
    char voice_prefix[GW_STATE_KEY_MAX], node_prefix[GW_STATE_KEY_MAX];
    char alive[GW_STATE_KEY_MAX], drain[GW_STATE_KEY_MAX];
    const char *alive_suffix = NULL, *drain_suffix = NULL;
    if (rc == 0 && (gw_state_key(voice_prefix, sizeof voice_prefix, GW_KEY_VOICE, "", NULL) != 0 ||
                    node_key_parts(node_prefix, &alive_suffix, &drain_suffix, alive, drain) != 0))
        rc = ADMIT_KEY_LAYOUT; /* cannot happen with state_keys.c's templates */
    if (rc == 0)
        rc = gw_key_list_push(args, voice_prefix);
    if (rc == 0)
        rc = gw_key_list_push(args, node_prefix);
    if (rc == 0)
        rc = gw_key_list_push(args, alive_suffix);
    if (rc == 0)
        rc = gw_key_list_push(args, drain_suffix);
    if (rc == 0)
        rc = identity_check_call(r, keys, args);
    return rc;
}

void speak_context_read(gw_request *r, const speak_lookup *q, speak_context_fn done, void *user,
                        gw_state_free_fn user_free)
{
    read_ctx *c = calloc(1, sizeof *c);
    json_t *def = tenant_policy_default();
    char *dj = def ? json_dumps(def, JSON_COMPACT) : NULL;
    json_decref(def);
    if (c)
        c->text = strdup(q->text);
    if (!c || !c->text || !dj) {
        if (c)
            free(c->text);
        free(c);
        free(dj);
        if (user_free)
            user_free(user);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    c->done = done;
    c->user = user;
    c->user_free = user_free;
    snprintf(c->voice_name, sizeof c->voice_name, "%s", q->voice_name);
    snprintf(c->language_hint, sizeof c->language_hint, "%s", q->language_hint ? q->language_hint : "");
    c->by_name = !*q->voice_id && *q->voice_name;
    gw_key_list keys = {0}, args = {0};
    int rc = admit_call(r, q, dj, &keys, &args);
    free(dj);
    if (rc == GW_KEY_LIST_BAD_KEY) { /* an id longer than any key: nothing by that name */
        gw_key_list_free(&keys);
        gw_key_list_free(&args);
        refuse(r, c, SS_ERR_VOICE_NOT_FOUND, "no such voice");
        return;
    }
    if (rc != 0) {
        gw_key_list_free(&keys);
        gw_key_list_free(&args);
        if (rc == ADMIT_KEY_LAYOUT)
            ss_error(r->id, "speak_admit: the node/voice key templates lost their prefix shape (bug)");
        refuse(r, c, SS_ERR_INTERNAL_ERROR, rc == ADMIT_KEY_LAYOUT ? "state key layout" : "out of memory");
        return;
    }
    gw_state_eval(r, &SPEAK_ADMIT, (int)keys.n, (const char *const *)keys.keys, (int)args.n,
                  (const char *const *)args.keys, on_admit, c, read_ctx_free);
    gw_key_list_free(&keys);
    gw_key_list_free(&args);
}
