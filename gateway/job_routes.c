/* Asynchronous jobs at the gateway (API.md §2 Jobs): submission from POST
 * /speak, GET /speak/jobs/{id} and DELETE /speak/jobs/{id}. The audio
 * route is job_audio.c; the scripts and the record are job_store.h; the
 * work is done by scaispeak-worker (worker/job_consumer.h).
 *
 * Submission (gw_job_submit, called by speak_handler.c once the request
 * passed everything a synchronous /speak checks: rate limit, policy, voice
 * visible and ready, blocklist, licence) writes the record and the stream
 * entry in one script and answers 202 {job_id, status:"queued", poll} with
 * Location. The record keeps the text, the resolved voice id and the output
 * parameters; the worker resolves the backend when it runs the job (the
 * policy and nodes of that moment).
 *
 * Only the creator sees a job: a job of another user, or of another
 * tenant, is answered exactly like a job that does not exist (404
 * SCAISPEAK_JOB_NOT_FOUND), on every route, so ids cannot be probed. */
#include "gateway/job_routes.h"
#include "gateway/job_store.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/wall_clock.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOBS_PATH "/v1/modules/scaispeak/speak/jobs/"

static void paths(const char *id, char *poll, size_t pcap, char *audio, size_t acap)
{
    snprintf(poll, pcap, JOBS_PATH "%s", id);
    snprintf(audio, acap, JOBS_PATH "%s/audio", id);
}

/* --- submission */

typedef struct {
    char job_id[JOB_ID_MAX + 1];
} submit_ctx;

static void on_submitted(gw_request *r, void *user, const redisReply *reply)
{
    submit_ctx *c = user;
    if (reply->type != REDIS_REPLY_STRING) { /* false: an id collision, 2^-119 */
        gw_state_unavailable(r, "unexpected reply to job_submit");
        free(c);
        return;
    }
    char poll[160], audio[176];
    paths(c->job_id, poll, sizeof poll, audio, sizeof audio);
    ss_info(r->id, "job %s queued (stream entry %s)", c->job_id, reply->str);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", poll);
    gw_reply_json(r, 202,
                  ss_envelope_ok(json_pack("{s:s,s:s,s:s}", "job_id", c->job_id, "status", "queued",
                                           "poll", poll),
                                 r->id));
    free(c);
}

static json_t *job_params(const gw_speak_params *p, const char *voice_id)
{
    return json_pack("{s:s,s:s,s:i,s:f,s:f,s:s,s:s}", "voice_id", voice_id, "response_format", p->format,
                     "sample_rate", p->sample_rate, "speed", p->speed, "pitch", p->pitch,
                     "language_hint", p->language_hint, "backend_preference",
                     *p->preference ? p->preference : "any");
}

void gw_job_submit(gw_request *r, const gw_speak_params *p, const json_t *voice, const char *save_to_json,
                   const char *drive_token)
{
    const char *voice_id = json_string_value(json_object_get(voice, "voice_id"));
    submit_ctx *c = calloc(1, sizeof *c);
    json_t *params = job_params(p, voice_id ? voice_id : "");
    char *params_s = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    char *text = malloc(p->text_bytes + 1);
    if (!c || !params_s || !text || ss_id_new(JOB_ID_PREFIX, 24, c->job_id, sizeof c->job_id) != 0) {
        free(c);
        free(params_s);
        free(text);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    memcpy(text, p->text, p->text_bytes);
    text[p->text_bytes] = '\0';
    char job_key[GW_STATE_KEY_MAX], stream[GW_STATE_KEY_MAX];
    gw_state_key(job_key, sizeof job_key, GW_KEY_JOB, c->job_id, NULL);
    gw_state_key(stream, sizeof stream, GW_KEY_JOBS, NULL, NULL);
    char now[24], chars[24], max_attempts[24];
    snprintf(now, sizeof now, "%lld", (long long)ss_wall_ms());
    snprintf(chars, sizeof chars, "%zu", p->characters);
    snprintf(max_attempts, sizeof max_attempts, "%ld", r->gw->settings->job_max_attempts);
    const char *keys[] = {job_key, stream};
    const char *args[32];
    int n = 0;
    args[n++] = c->job_id;
#define PAIR(k, v) (args[n++] = (k), args[n++] = (v))
    PAIR(JOB_F_STATUS, "queued");
    PAIR(JOB_F_TENANT, r->caller.tenant_id);
    PAIR(JOB_F_USER, r->caller.user_id);
    PAIR("key_id", r->caller.key_id);
    PAIR("request_id", r->id);
    PAIR(JOB_F_TEXT, text);
    PAIR(JOB_F_PARAMS, params_s);
    PAIR(JOB_F_CHARACTERS, chars);
    PAIR("created_at", now);
    PAIR("max_attempts", max_attempts);
    PAIR(JOB_F_ATTEMPTS, "0");
    PAIR("progress", "0");
    if (save_to_json)
        PAIR(JOB_F_SAVE_TO, save_to_json);
    if (drive_token)
        PAIR(JOB_F_DRIVE_TOKEN, drive_token);
#undef PAIR
    gw_state_eval(r, &JOB_SUBMIT, 2, keys, n, args, on_submitted, c, free);
    free(text);
    free(params_s);
}

/* --- reading one job (GET, DELETE) */

typedef void (*job_read_fn)(gw_request *r, json_t *record);

/* The caller's job, or 404: a job of someone else is answered as missing. */
static bool owned(gw_request *r, const json_t *record)
{
    const char *t = json_string_value(json_object_get(record, JOB_F_TENANT));
    const char *u = json_string_value(json_object_get(record, JOB_F_USER));
    return t && u && !strcmp(t, r->caller.tenant_id) && !strcmp(u, r->caller.user_id);
}

static void answer_not_found(gw_request *r)
{
    gw_reply_error(r, SS_ERR_JOB_NOT_FOUND, "no such job", NULL);
}

static void on_job_read(gw_request *r, void *user, const redisReply *reply)
{
    job_read_fn next = (job_read_fn)(uintptr_t)user;
    json_t *record = job_record_from_reply(reply, 0);
    if (!record) {
        gw_state_unavailable(r, "unexpected reply to HGETALL job");
        return;
    }
    if (json_object_size(record) == 0 || !owned(r, record)) {
        json_decref(record);
        answer_not_found(r);
        return;
    }
    next(r, record);
}

void gw_job_read(gw_request *r, const char *job_id, void (*next)(gw_request *r, json_t *record))
{
    char key[GW_STATE_KEY_MAX];
    if (!job_id_valid(job_id) || gw_state_key(key, sizeof key, GW_KEY_JOB, job_id, NULL) != 0) {
        answer_not_found(r);
        return;
    }
    const char *argv[] = {"HGETALL", key};
    gw_state_command(r, 2, argv, on_job_read, (void *)(uintptr_t)next, NULL);
}

static void answer_job(gw_request *r, json_t *record)
{
    const char *id = json_string_value(json_object_get(record, "job_id"));
    char poll[160], audio[176];
    paths(id ? id : "", poll, sizeof poll, audio, sizeof audio);
    json_t *o = job_api_object(record, audio);
    json_decref(record);
    if (!o) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_ok(r, o);
}

void gw_handle_job_get(gw_request *r)
{
    gw_job_read(r, r->params[0], answer_job);
}

/* --- DELETE: cancel */

static void on_cancelled(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        gw_state_unavailable(r, "unexpected reply to job_cancel");
        return;
    }
    const char *what = reply->element[0]->str;
    const char *status = reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                             ? reply->element[1]->str
                             : "";
    if (!strcmp(what, "not_found")) {
        answer_not_found(r);
        return;
    }
    if (!strcmp(what, "final") && strcmp(status, "cancelled")) {
        char msg[160];
        snprintf(msg, sizeof msg, "the job is %s already; only queued or running jobs can be cancelled",
                 status);
        gw_reply_error(r, SS_ERR_JOB_FINISHED, msg, NULL);
        return;
    }
    if (!strcmp(what, "cancelled"))
        ss_info(r->id, "job %s cancelled (was %s)", r->params[0], status);
    gw_job_read(r, r->params[0], answer_job); /* the job as it is now */
}

void gw_handle_job_cancel(gw_request *r)
{
    const char *id = r->params[0];
    char job_key[GW_STATE_KEY_MAX], stream[GW_STATE_KEY_MAX], expiry[GW_STATE_KEY_MAX],
        events[GW_STATE_KEY_MAX];
    if (!job_id_valid(id) || gw_state_key(job_key, sizeof job_key, GW_KEY_JOB, id, NULL) != 0) {
        answer_not_found(r);
        return;
    }
    gw_state_key(stream, sizeof stream, GW_KEY_JOBS, NULL, NULL);
    gw_state_key(expiry, sizeof expiry, GW_KEY_JOBS_EXPIRY, NULL, NULL);
    gw_state_key(events, sizeof events, GW_KEY_JOB_EVENTS, NULL, NULL);
    char now[24], retention[24];
    snprintf(now, sizeof now, "%lld", (long long)ss_wall_ms());
    snprintf(retention, sizeof retention, "%lld", (long long)r->gw->settings->job_retention_s * 1000);
    const char *keys[] = {job_key, stream, expiry, events};
    const char *args[] = {r->caller.tenant_id, r->caller.user_id, now, JOB_GROUP, retention};
    gw_state_eval(r, &JOB_CANCEL, 4, keys, 5, args, on_cancelled, NULL, NULL);
}
