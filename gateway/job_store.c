/* The job scripts and the job record's API form (see job_store.h).
 *
 * Every script first checks that the write it makes still applies (the
 * job's status, the attempt, the stream entry), so a late or repeated call
 * changes nothing. Scripts that end a job acknowledge and delete its stream
 * entry, set its deletion time and add one event to ss:jobs:events in the
 * same script: a reader never sees a finished job still queued, nor an
 * event without its state. */
#include "gateway/job_store.h"

#include "common/wall_clock.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ends a job (failed or cancelled, or completed): shared tail of the
 * scripts, as a Lua function prepended to them. KEYS 2..4: stream, expiry,
 * events. */
#define LUA_END_JOB                                                                              \
    "local function end_job(id, msg, grp, now, ret, event, attempt)\n"                         \
    "  if msg then redis.call('XACK', KEYS[2], grp, msg); redis.call('XDEL', KEYS[2], msg) end\n" \
    "  redis.call('HDEL', KEYS[1], 'drive_token', 'lease_owner', 'text')\n"                     \
    "  redis.call('ZADD', KEYS[3], tonumber(now) + tonumber(ret), id)\n"                       \
    "  redis.call('XADD', KEYS[4], 'MAXLEN', '~', '" JOB_EVENTS_MAXLEN "', '*', 'job', id,"     \
    " 'event', event, 'attempt', attempt)\n"                                                    \
    "end\n"

const ss_redis_script JOB_SUBMIT = {
    "job_submit",
    "if redis.call('EXISTS', KEYS[1]) == 1 then return false end\n"
    "redis.call('HSET', KEYS[1], 'job_id', ARGV[1], unpack(ARGV, 2))\n"
    "local m = redis.call('XADD', KEYS[2], '*', 'job', ARGV[1])\n"
    "redis.call('HSET', KEYS[1], 'msg_id', m)\n"
    "return m\n",
    .durable = true};

const ss_redis_script JOB_START = {
    "job_start",
    LUA_END_JOB
    "local function ack() redis.call('XACK', KEYS[2], ARGV[4], ARGV[1]);"
    " redis.call('XDEL', KEYS[2], ARGV[1]) end\n"
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then ack(); return {'skip', 'gone'} end\n"
    "if redis.call('HGET', KEYS[1], 'msg_id') ~= ARGV[1] then ack(); return {'skip', 'superseded'} end\n"
    "if st ~= 'queued' and st ~= 'running' then ack(); return {'skip', st} end\n"
    "local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') + 1\n"
    "local max = tonumber(redis.call('HGET', KEYS[1], 'max_attempts') or '1')\n"
    "local id = redis.call('HGET', KEYS[1], 'job_id')\n"
    "if attempts > max then\n"
    "  local why = '; its workers stopped before finishing it'\n"
    "  local last = redis.call('HGET', KEYS[1], 'last_error')\n"
    "  if last then why = '; the last attempt failed: ' .. cjson.decode(last).message end\n"
    "  redis.call('HSET', KEYS[1], 'status', 'failed', 'finished_at', ARGV[3], 'error',"
    "    cjson.encode({code='SCAISPEAK_JOB_ATTEMPTS_EXHAUSTED',"
    "    message='gave up after ' .. max .. ' attempts' .. why}))\n"
    "  end_job(id, ARGV[1], ARGV[4], ARGV[3], ARGV[5], 'failed', tostring(attempts - 1))\n"
    "  return {'poisoned'}\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'status', 'running', 'attempts', attempts, 'lease_owner', ARGV[2],"
    " 'progress', '0')\n"
    "if not redis.call('HGET', KEYS[1], 'started_at') then"
    " redis.call('HSET', KEYS[1], 'started_at', ARGV[3]) end\n"
    "local out = {'run', attempts}\n"
    "for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end\n"
    "return out\n", .durable = false};

const ss_redis_script JOB_HEARTBEAT = {
    "job_heartbeat",
    "local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'msg_id')\n"
    "if not f[1] then return 'gone' end\n"
    "if f[2] ~= ARGV[3] or f[3] ~= ARGV[1] then return 'superseded' end\n"
    "if f[1] ~= 'running' then\n"
    "  redis.call('XACK', KEYS[2], ARGV[4], ARGV[1]); redis.call('XDEL', KEYS[2], ARGV[1])\n"
    "  return f[1]\n"
    "end\n"
    "redis.call('XCLAIM', KEYS[2], ARGV[4], ARGV[2], 0, ARGV[1], 'JUSTID')\n"
    "return 'running'\n", .durable = false};

const ss_redis_script JOB_PROGRESS = {
    "job_progress",
    "local f = redis.call('HMGET', KEYS[1], 'status', 'attempts')\n"
    "if not f[1] then return 'gone' end\n"
    "if f[2] ~= ARGV[1] then return 'superseded' end\n"
    "if f[1] ~= 'running' then return f[1] end\n"
    "redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'duration_ms', ARGV[3], 'backend_used', ARGV[4])\n"
    "return 'running'\n", .durable = false};

const ss_redis_script JOB_COMPLETE = {
    "job_complete",
    LUA_END_JOB
    "local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'result_key', 'job_id', 'msg_id')\n"
    "if f[1] ~= 'running' or f[2] ~= ARGV[2] then return {0, f[1] or 'gone', f[3] or ''} end\n"
    "redis.call('HSET', KEYS[1], 'status', 'completed', 'progress', '1', 'finished_at', ARGV[3],"
    " 'result_key', ARGV[6], 'result_format', ARGV[7], 'result_bytes', ARGV[8],"
    " 'result_sample_rate', ARGV[9], 'duration_ms', ARGV[10], 'backend_used', ARGV[11])\n"
    "if ARGV[12] ~= '' then redis.call('HSET', KEYS[1], 'saved_to', ARGV[12]) end\n"
    "end_job(f[4], f[5], ARGV[4], ARGV[3], ARGV[5], 'completed', ARGV[2])\n"
    "return {1}\n",
    .durable = true};

const ss_redis_script JOB_FAIL = {
    "job_fail",
    LUA_END_JOB
    "local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'job_id', 'msg_id', 'max_attempts')\n"
    "if not f[1] then return 'gone' end\n"
    "if f[1] ~= 'running' or f[2] ~= ARGV[2] then return f[1] end\n"
    "local err = cjson.encode({code=ARGV[6], message=ARGV[7]})\n"
    "local attempts = tonumber(ARGV[2])\n"
    "if ARGV[8] == 'release' or (ARGV[8] == '1' and attempts < tonumber(f[5])) then\n"
    "  redis.call('XACK', KEYS[2], ARGV[4], f[4]); redis.call('XDEL', KEYS[2], f[4])\n"
    "  if ARGV[8] == 'release' then redis.call('HSET', KEYS[1], 'attempts', attempts - 1)\n"
    "  else redis.call('HSET', KEYS[1], 'last_error', err) end\n"
    "  local m = redis.call('XADD', KEYS[2], '*', 'job', f[3])\n"
    "  redis.call('HSET', KEYS[1], 'status', 'queued', 'msg_id', m, 'progress', '0')\n"
    "  redis.call('HDEL', KEYS[1], 'lease_owner')\n"
    "  return 'queued'\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'status', 'failed', 'error', err, 'finished_at', ARGV[3])\n"
    "end_job(f[3], f[4], ARGV[4], ARGV[3], ARGV[5], 'failed', ARGV[2])\n"
    "return 'failed'\n",
    .durable = true};

const ss_redis_script JOB_PASS_ON = {
    "job_pass_on",
    "local f = redis.call('HMGET', KEYS[1], 'status', 'msg_id')\n"
    "if f[1] ~= 'queued' or f[2] ~= ARGV[1] then return false end\n"
    "redis.call('XACK', KEYS[2], ARGV[2], ARGV[1]); redis.call('XDEL', KEYS[2], ARGV[1])\n"
    "local m = redis.call('XADD', KEYS[2], '*', 'job', ARGV[3])\n"
    "redis.call('HSET', KEYS[1], 'msg_id', m)\n"
    "return m\n",
    .durable = true};

const ss_redis_script JOB_CANCEL = {
    "job_cancel",
    LUA_END_JOB
    "local f = redis.call('HMGET', KEYS[1], 'tenant_id', 'user_id', 'status', 'msg_id', 'job_id',"
    " 'attempts')\n"
    "if not f[3] or f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then return {'not_found'} end\n"
    "if f[3] ~= 'queued' and f[3] ~= 'running' then return {'final', f[3]} end\n"
    "redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[3])\n"
    /* a running job's entry stays pending: its worker acknowledges it when
     * its heartbeat sees the cancellation (or the next start does) */
    "local msg = false\n"
    "if f[3] == 'queued' then msg = f[4] end\n"
    "end_job(f[5], msg, ARGV[4], ARGV[3], ARGV[5], 'cancelled', f[6] or '0')\n"
    "return {'cancelled', f[3]}\n",
    .durable = true};

const ss_redis_script JOB_FORGET = {
    "job_forget",
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "return 1\n", .durable = false};

json_t *job_record_from_reply(const void *reply_v, size_t from)
{
    const redisReply *reply = reply_v;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || from > reply->elements ||
        (reply->elements - from) % 2 != 0)
        return NULL;
    json_t *rec = json_object();
    for (size_t i = from; rec && i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            json_object_set_new(rec, k->str, json_stringn(v->str, v->len)) != 0) {
            json_decref(rec);
            return NULL;
        }
    }
    return rec;
}

static const char *field(const json_t *rec, const char *name)
{
    return json_string_value(json_object_get(rec, name));
}

static long long field_ll(const json_t *rec, const char *name, long long dflt)
{
    const char *s = field(rec, name);
    return s && *s ? strtoll(s, NULL, 10) : dflt;
}

/* An ISO 8601 time from a stored ms, or null. */
static json_t *time_or_null(const json_t *rec, const char *name)
{
    long long ms = field_ll(rec, name, -1);
    if (ms < 0)
        return json_null();
    char iso[32];
    ss_iso8601_ms((int64_t)ms, iso, sizeof iso);
    return json_string(iso);
}

/* A stored JSON value (error, saved_to), or NULL when absent or unreadable. */
static json_t *stored_json(const json_t *rec, const char *name)
{
    const char *s = field(rec, name);
    return s && *s ? json_loads(s, 0, NULL) : NULL;
}

static json_t *result_object(const json_t *rec, const char *audio_path)
{
    return json_pack("{s:s,s:s,s:I,s:I}", "audio_url", audio_path, "format",
                     field(rec, JOB_F_RESULT_FORMAT) ? field(rec, JOB_F_RESULT_FORMAT) : "",
                     "bytes", (json_int_t)field_ll(rec, JOB_F_RESULT_BYTES, 0), "sample_rate",
                     (json_int_t)field_ll(rec, "result_sample_rate", 0));
}

json_t *job_api_object(const json_t *record, const char *audio_path)
{
    const char *status = field(record, JOB_F_STATUS);
    const char *progress = field(record, "progress");
    const char *backend = field(record, "backend_used");
    long long duration = field_ll(record, "duration_ms", -1);
    json_t *o = json_pack("{s:s,s:s,s:f,s:I,s:o,s:o,s:o,s:o,s:o,s:I}", "job_id",
                          field(record, "job_id") ? field(record, "job_id") : "", "status",
                          status ? status : "", "progress", progress ? atof(progress) : 0.0,
                          "characters", (json_int_t)field_ll(record, JOB_F_CHARACTERS, 0),
                          "created_at", time_or_null(record, "created_at"), "started_at",
                          time_or_null(record, "started_at"), "finished_at",
                          time_or_null(record, "finished_at"), "duration_ms",
                          duration >= 0 ? json_integer(duration) : json_null(), "backend_used",
                          backend && *backend ? json_string(backend) : json_null(), "attempts",
                          (json_int_t)field_ll(record, JOB_F_ATTEMPTS, 0));
    if (!o)
        return NULL;
    json_t *params = stored_json(record, JOB_F_PARAMS);
    if (params) {
        json_t *voice = json_object_get(params, "voice_id");
        json_t *format = json_object_get(params, "response_format");
        if (voice)
            json_object_set(o, "voice_id", voice);
        if (format)
            json_object_set(o, "response_format", format);
        json_decref(params);
    }
    json_t *err = stored_json(record, "error");
    if (err)
        json_object_set_new(o, "error", err);
    if (status && !strcmp(status, "completed")) {
        json_t *res = result_object(record, audio_path);
        if (!res || json_object_set_new(o, "result", res) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    json_t *saved = stored_json(record, "saved_to");
    if (saved)
        json_object_set_new(o, "saved_to", saved);
    return o;
}

int job_audio_key(char *out, size_t cap, const char *job_id, long attempt, const char *format)
{
    int n = snprintf(out, cap, "jobs/%s/%ld.%s", job_id, attempt, format);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

bool job_id_valid(const char *s)
{
    size_t plen = strlen(JOB_ID_PREFIX);
    if (!s || strncmp(s, JOB_ID_PREFIX, plen) != 0)
        return false;
    size_t n = 0;
    for (const char *p = s + plen; *p; p++, n++)
        if (!isalnum((unsigned char)*p))
            return false;
    return n >= 8 && n + plen <= JOB_ID_MAX;
}
