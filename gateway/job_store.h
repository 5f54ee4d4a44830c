/* Asynchronous synthesis jobs in Redis (API.md §2 Jobs): the queue, the job
 * record, and every state change as one Lua script, shared by the gateway
 * (submit, read, cancel) and scaispeak-worker (start, heartbeat, progress,
 * complete, fail, release, sweep).
 *
 * The queue is a Redis Stream, `ss:jobs`, read by the consumer group
 * "workers" (XREADGROUP); an entry carries only the job id. The record is
 * the hash `ss:job:{id}`, which names the stream entry that currently
 * stands for the job (`msg_id`). A delivered entry stays in the group's
 * pending list until a script acknowledges it; a worker renews its claim
 * (XCLAIM ... JUSTID, resetting the entry's idle time) on every heartbeat, so
 * an entry idle longer than job_lease_ms belongs to a worker that died and
 * any other worker takes it over with XAUTOCLAIM.
 *
 * States: queued → running → completed | failed | cancelled, and running →
 * queued again when an attempt fails retryably or a stopping worker hands
 * the job back (a fresh stream entry then replaces the old one, in the same
 * script). `attempts` counts starts; a start beyond job_max_attempts ends the
 * job failed ("poison"), with the last attempt's error.
 *
 * Exactly-once effect: every write a worker makes names its attempt, and
 * the scripts apply it only while the record is `running` with that same
 * attempt. Audio goes to the object `jobs/{id}/{attempt}.{format}`,
 * written whole (object_store.h commit) before `job_complete`; so when two
 * attempts overlap (a worker thought dead was only slow), one completion
 * wins, the other is refused and deletes its own object, and the job
 * completes once, with one event on the capped stream `ss:jobs:events`.
 *
 * Retention: a finished job gets a deletion time in the ZSET
 * `ss:jobs:expiry`; the worker's sweeper deletes its objects, then the
 * record. docs/STATE.md lists every field. */
#ifndef SS_GATEWAY_JOB_STORE_H
#define SS_GATEWAY_JOB_STORE_H

#include "common/redis_async.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JOB_GROUP "workers"
#define JOB_ID_PREFIX "job_"
#define JOB_ID_MAX 48
#define JOB_EVENTS_MAXLEN "100000"

/* KEYS: job, stream. ARGV: job id, then field/value pairs of the record ->
 * the stream entry id, or false when the id is taken. */
extern const ss_redis_script JOB_SUBMIT;
/* KEYS: job, stream, expiry, events. ARGV: msg id, consumer, now ms, group,
 * retention ms -> {"run", attempts, field, value, ...} (the record), or
 * {"skip", why} (the entry was acknowledged: the job ended, was replaced or
 * is gone), or {"poisoned"} (the job ended failed: too many attempts). */
extern const ss_redis_script JOB_START;
/* KEYS: job, stream. ARGV: msg id, consumer, attempt, group -> the job's
 * status ("running" while the attempt is current; "cancelled", "superseded"
 * or "gone" tell the worker to stop). Renews the lease. */
extern const ss_redis_script JOB_HEARTBEAT;
/* KEYS: job. ARGV: attempt, progress, duration ms, backend -> as heartbeat. */
extern const ss_redis_script JOB_PROGRESS;
/* KEYS: job, stream, expiry, events. ARGV: msg id, attempt, now ms, group,
 * retention ms, result key, format, bytes, sample rate, duration ms,
 * backend, saved_to JSON ("" = none) -> {1} completed now, or {0, status,
 * result key}: not applied (the worker keeps its object only when the
 * stored result key is its own: a repeated completion). */
extern const ss_redis_script JOB_COMPLETE;
/* KEYS: job, stream, expiry, events. ARGV: msg id, attempt, now ms, group,
 * retention ms, code, message, retry ("1": back to the queue while attempts
 * remain; "release": back to the queue without counting the attempt) ->
 * "queued", "failed", or the status that made it stale. */
extern const ss_redis_script JOB_FAIL;
/* KEYS: job, stream, expiry, events. ARGV: tenant, user, now ms, group,
 * retention ms -> {"cancelled", previous status} | {"final", status} |
 * {"not_found"}. */
extern const ss_redis_script JOB_CANCEL;
/* KEYS: job, expiry. ARGV: id -> deletes the record, forgets the id. */
extern const ss_redis_script JOB_FORGET;
/* KEYS: job, stream. ARGV: msg id, group, job id -> the new entry id when a
 * queued job's current entry, delivered to a worker that cannot run it
 * (stopping or full), was acknowledged and added again for another worker
 * to read at once; false otherwise (the entry stays pending: its lease
 * brings it back). */
extern const ss_redis_script JOB_PASS_ON;

/* Field names of the record (docs/STATE.md). */
#define JOB_F_STATUS "status"
#define JOB_F_TENANT "tenant_id"
#define JOB_F_USER "user_id"
#define JOB_F_TEXT "text"
#define JOB_F_PARAMS "params"
#define JOB_F_CHARACTERS "characters"
#define JOB_F_RESULT_KEY "result_key"
#define JOB_F_RESULT_FORMAT "result_format"
#define JOB_F_RESULT_BYTES "result_bytes"
#define JOB_F_ATTEMPTS "attempts"
#define JOB_F_SAVE_TO "save_to"
#define JOB_F_DRIVE_TOKEN "drive_token"

/* A flat field/value reply (HGETALL, or JOB_START's tail from `from`) as
 * an object of strings; NULL when out of memory or malformed. */
json_t *job_record_from_reply(const void *reply, size_t from);

/* The API's job object (API.md §2 Jobs) from a record; `audio_path` is the
 * URL path of the audio route. NULL when out of memory. */
json_t *job_api_object(const json_t *record, const char *audio_path);

/* The object key of an attempt's audio; -1 when it does not fit. */
int job_audio_key(char *out, size_t cap, const char *job_id, long attempt, const char *format);

/* Whether s looks like a job id (job_ + base62). */
bool job_id_valid(const char *s);

#endif
