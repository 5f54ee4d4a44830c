/* One job attempt (see job_runner.h).
 *
 * Lifetime: the run is referenced by every Redis call in flight and by the
 * attempt itself; it is freed when the attempt has ended (done called) and
 * the last reply came back, so a late heartbeat reply never touches freed
 * memory. Only one step of the attempt is in flight at a time (a Redis
 * read, a node or relay call, a sink finishing, an ending script); the
 * heartbeat timer runs beside it. */
#include "worker/job_runner.h"
#include "worker/job_parts.h"
#include "worker/job_sink.h"

#include "gateway/backend_resolve.h"
#include "gateway/job_store.h"
#include "gateway/node_call.h"
#include "gateway/node_registry.h"
#include "gateway/relay_body.h"
#include "gateway/relay_client.h"
#include "gateway/scaidrive_client.h"
#include "gateway/state_keys.h"
#include "gateway/voice_store.h"

#include "common/api_error.h"
#include "common/audio_input.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/loop_pool.h"
#include "common/utf8.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/wall_clock.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_CHUNK_MS 1000
#define BUSY_RETRY_MS 1000
#define END_RETRY_MS 1000
#define END_RETRY_BUDGET_MS 60000 /* a Redis restart (AOF load) fits in it */

typedef enum { STEP_NONE, STEP_CONTEXT, STEP_NODES, STEP_CALL, STEP_SINK, STEP_ENDING, STEP_DONE } run_step;

struct job_run {
    job_env env;
    job_run_done_fn done;
    void *user;
    int refs;                 /* Redis calls in flight + 1 while the attempt lives */
    run_step step;
    char msg_id[64];
    char job_id[JOB_ID_MAX + 1];
    char log_id[SS_REQUEST_ID_MAX + 1]; /* the submitting request's id: every line carries it */
    char attempt[16];
    json_t *record, *params, *policy, *voice, *nodes;
    const char *text;         /* the record's */
    size_t text_len, part_from, part_end, characters, chars_done;
    ss_audio_format format;
    int out_rate;
    gw_backend backend;       /* the job's backend once the first part chose; 0 before */
    gw_backend_plan plan;
    bool plan_made;
    int backend_idx, node_idx, busy_nodes;
    int calls_made; /* node or relay calls started for this part's current plan */
    long busy_waited_ms;
    gw_node_call *call;
    bool part_got_audio;
    relay_call *relay;
    relay_body relay_answer; /* the relay's WAV of this part, whole before it is decoded */
    int16_t *relay_pcm;
    size_t relay_samples;
    uint32_t relay_rate;
    char relay_err[256];
    scaidrive_call *upload;   /* save_to: the finished object going to ScaiDrive */
    char *saved_to;           /* its answer, for job_complete */
    job_sink *sink;
    int sink_in_rate;         /* the PCM rate the sink was made for */
    char key[SS_OBJECT_KEY_MAX + 1];
    uint64_t bytes, samples_out;
    struct event *heartbeat, *retry, *busy_timer;
    bool stopping;            /* cancelled, superseded or handed back: no new step */
    bool hand_back;
    json_t *tried;            /* [{field,message}] of the part's failures */
    /* the end to record (retried while Redis does not answer) */
    char end_code[64], end_msg[512], end_retry[8];
    bool end_is_complete;
    long end_tries;
};

static void run_unref(job_run *run)
{
    if (--run->refs > 0)
        return;
    if (run->heartbeat)
        event_free(run->heartbeat);
    if (run->retry)
        event_free(run->retry);
    if (run->busy_timer)
        event_free(run->busy_timer);
    if (run->plan_made)
        json_decref(run->plan.unusable);
    json_decref(run->record);
    json_decref(run->params);
    json_decref(run->policy);
    json_decref(run->voice);
    json_decref(run->nodes);
    json_decref(run->tried);
    free(run->saved_to);
    relay_body_free(&run->relay_answer);
    free(run->relay_pcm);
    free(run);
}

static void finish(job_run *run, job_run_outcome outcome)
{
    if (run->step == STEP_DONE)
        return;
    run->step = STEP_DONE;
    if (run->heartbeat)
        event_del(run->heartbeat);
    if (run->busy_timer)
        event_del(run->busy_timer);
    ss_info(run->log_id, "job %s attempt %s: %s", run->job_id, run->attempt, job_run_outcome_name(outcome));
    char labels[48];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", job_run_outcome_name(outcome));
    ss_metrics_counter_add("scaispeak_worker_job_attempts_total", "job attempts by outcome", labels, 1);
    run->done(run->user, outcome);
    run_unref(run);
}

/* --- Redis calls holding a reference */

typedef void (*run_reply_fn)(job_run *run, const redisReply *reply, const char *err);

typedef struct {
    job_run *run;
    run_reply_fn fn;
} call_ctx;

static void on_reply(void *user, const redisReply *reply, const char *err)
{
    call_ctx *c = user;
    job_run *run = c->run;
    run_reply_fn fn = c->fn;
    free(c);
    fn(run, reply, err);
    run_unref(run);
}

static int run_eval(job_run *run, const ss_redis_script *script, int nkeys, const char *const *keys,
                    int nargs, const char *const *args, run_reply_fn fn)
{
    call_ctx *c = malloc(sizeof *c);
    if (!c)
        return -1;
    *c = (call_ctx){run, fn};
    run->refs++;
    if (ss_redis_eval(run->env.gw->redis, script, nkeys, keys, nargs, args, on_reply, c) != 0) {
        run->refs--;
        free(c);
        return -1;
    }
    return 0;
}

static int run_command(job_run *run, int argc, const char *const *argv, run_reply_fn fn)
{
    call_ctx *c = malloc(sizeof *c);
    if (!c)
        return -1;
    *c = (call_ctx){run, fn};
    run->refs++;
    if (ss_redis_command_argv(run->env.gw->redis, on_reply, c, argc, (const char **)argv, NULL) != 0) {
        run->refs--;
        free(c);
        return -1;
    }
    return 0;
}

static void job_keys(const job_run *run, char k[4][GW_STATE_KEY_MAX])
{
    gw_state_key(k[0], GW_STATE_KEY_MAX, GW_KEY_JOB, run->job_id, NULL);
    gw_state_key(k[1], GW_STATE_KEY_MAX, GW_KEY_JOBS, NULL, NULL);
    gw_state_key(k[2], GW_STATE_KEY_MAX, GW_KEY_JOBS_EXPIRY, NULL, NULL);
    gw_state_key(k[3], GW_STATE_KEY_MAX, GW_KEY_JOB_EVENTS, NULL, NULL);
}

/* --- stopping what is in flight */

static void drop_audio(job_run *run)
{
    if (run->call) {
        gw_node_call_cancel(run->call); /* its on_done comes later and sees `stopping` */
    }
    if (run->relay) {
        relay_cancel(run->relay); /* never calls back: drop its reference here */
        run->relay = NULL;
        run_unref(run);
    }
    job_sink_abort(run->sink);
    run->sink = NULL;
    if (run->upload) {
        scaidrive_cancel(run->upload); /* never calls back */
        run->upload = NULL;
        run_unref(run);
    }
}

/* --- ending: complete or fail, retried until Redis answers */

static void record_end(job_run *run);

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    record_end(arg);
}

static void retry_end_later(job_run *run, const char *why)
{
    long lease = run->env.gw->settings->job_lease_ms;
    long budget = (lease > END_RETRY_BUDGET_MS ? lease : END_RETRY_BUDGET_MS) / END_RETRY_MS;
    if (++run->end_tries > budget) {
        ss_error(run->log_id, "job %s: cannot record its end (%s); its lease will decide", run->job_id, why);
        finish(run, JOB_RUN_UNKNOWN);
        return;
    }
    ss_warn(run->log_id, "job %s: recording its end failed (%s); retrying", run->job_id, why);
    struct timeval tv = {END_RETRY_MS / 1000, (END_RETRY_MS % 1000) * 1000};
    if (!run->retry)
        run->retry = evtimer_new(run->env.gw->base, on_retry_timer, run);
    if (!run->retry || evtimer_add(run->retry, &tv) != 0)
        finish(run, JOB_RUN_UNKNOWN);
}

typedef struct {
    ss_object_store *objects;
    char key[SS_OBJECT_KEY_MAX + 1];
    char job_id[JOB_ID_MAX + 1], format[16];
    long older_than; /* > 0: delete the objects of attempts 1..older_than-1 instead */
} delete_ctx;

static void delete_object(void *arg)
{
    delete_ctx *d = arg;
    if (d->older_than <= 0) {
        ss_object_delete(d->objects, d->key, NULL, 0);
        return;
    }
    for (long a = 1; a < d->older_than; a++) {
        char key[SS_OBJECT_KEY_MAX + 1];
        if (job_audio_key(key, sizeof key, d->job_id, a, d->format) == 0)
            ss_object_delete(d->objects, key, NULL, 0);
    }
}

static void deleted(void *arg)
{
    free(arg);
}

/* An attempt that lost: its object must not stay (older_than 0). Or the
 * winner's clean-up: objects earlier attempts committed before they died
 * (older_than = this attempt). */
static void drop_objects(job_run *run, long older_than)
{
    delete_ctx *d = calloc(1, sizeof *d);
    if (!d)
        return; /* the sweeper deletes every attempt's object with the job */
    d->objects = run->env.gw->objects;
    d->older_than = older_than;
    snprintf(d->key, sizeof d->key, "%s", run->key);
    snprintf(d->job_id, sizeof d->job_id, "%s", run->job_id);
    snprintf(d->format, sizeof d->format, "%s", ss_audio_format_name(run->format));
    if (ss_loop_pool_submit(run->env.gw->audio_pool, delete_object, deleted, d) != 0)
        free(d);
}

static void on_completed(job_run *run, const redisReply *reply, const char *err)
{
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
        retry_end_later(run, err ? err : "unexpected reply to job_complete");
        return;
    }
    if (reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[0]->integer == 1) {
        ss_info(run->log_id, "job %s completed: %s, %llu bytes", run->job_id, run->key,
                (unsigned long long)run->bytes);
        if (atol(run->attempt) > 1)
            drop_objects(run, atol(run->attempt));
        finish(run, JOB_RUN_COMPLETED);
        return;
    }
    const char *status = reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                             ? reply->element[1]->str : "?";
    const char *stored = reply->elements > 2 && reply->element[2]->type == REDIS_REPLY_STRING
                             ? reply->element[2]->str : "";
    if (!strcmp(status, "completed") && !strcmp(stored, run->key)) {
        finish(run, JOB_RUN_COMPLETED); /* our completion, recorded by an earlier try */
        return;
    }
    ss_warn(run->log_id, "job %s: attempt %s finished but the job is %s: its audio is dropped", run->job_id,
            run->attempt, status);
    drop_objects(run, 0);
    finish(run, JOB_RUN_STOPPED);
}

static void on_failed(job_run *run, const redisReply *reply, const char *err)
{
    if (err || reply->type != REDIS_REPLY_STRING) {
        retry_end_later(run, err ? err : "unexpected reply to job_fail");
        return;
    }
    if (!strcmp(reply->str, "queued"))
        finish(run, JOB_RUN_REQUEUED);
    else if (!strcmp(reply->str, "failed"))
        finish(run, JOB_RUN_FAILED);
    else
        finish(run, JOB_RUN_STOPPED);
}

static void record_end(job_run *run)
{
    run->step = STEP_ENDING;
    char k[4][GW_STATE_KEY_MAX];
    job_keys(run, k);
    const char *keys[] = {k[0], k[1], k[2], k[3]};
    char now[24], retention[24];
    snprintf(now, sizeof now, "%lld", (long long)ss_wall_ms());
    snprintf(retention, sizeof retention, "%lld", (long long)run->env.gw->settings->job_retention_s * 1000);
    int rc;
    if (run->end_is_complete) {
        char bytes[24], rate[16], duration[24], backend[2] = {(char)run->backend, 0};
        snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)run->bytes);
        snprintf(rate, sizeof rate, "%d", run->out_rate);
        snprintf(duration, sizeof duration, "%llu",
                 (unsigned long long)(run->samples_out * 1000 / (uint64_t)(run->out_rate ? run->out_rate : 1)));
        const char *args[] = {run->msg_id, run->attempt, now, JOB_GROUP, retention, run->key,
                              ss_audio_format_name(run->format), bytes, rate, duration, backend,
                              run->saved_to ? run->saved_to : ""};
        rc = run_eval(run, &JOB_COMPLETE, 4, keys, 12, args, on_completed);
    } else {
        const char *args[] = {run->msg_id, run->attempt, now, JOB_GROUP, retention,
                              run->end_code, run->end_msg, run->end_retry};
        rc = run_eval(run, &JOB_FAIL, 4, keys, 8, args, on_failed);
    }
    if (rc != 0)
        retry_end_later(run, "redis not connected");
}

/* Ends the attempt failed: retry "1" (back to the queue while attempts
 * remain), "0" (the job fails now) or "release" (handed back, uncounted). */
static void end_failed(job_run *run, const char *code, const char *retry, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void end_failed(job_run *run, const char *code, const char *retry, const char *fmt, ...)
{
    if (run->step == STEP_ENDING || run->step == STEP_DONE)
        return;
    drop_audio(run);
    if (run->busy_timer)
        event_del(run->busy_timer);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->end_msg, sizeof run->end_msg, fmt, ap);
    va_end(ap);
    snprintf(run->end_code, sizeof run->end_code, "%s", code);
    snprintf(run->end_retry, sizeof run->end_retry, "%s", retry);
    run->end_is_complete = false;
    ss_warn(run->log_id, "job %s attempt %s ends: %s (%s)", run->job_id, run->attempt, run->end_msg,
            !strcmp(retry, "0") ? "not retried" : !strcmp(retry, "release") ? "handed back" : "retryable");
    record_end(run);
}

/* Told to stop (cancelled, superseded, gone): nothing to record. */
static void stop_now(job_run *run, const char *status)
{
    if (run->step == STEP_ENDING || run->step == STEP_DONE || run->stopping)
        return;
    run->stopping = true;
    ss_info(run->log_id, "job %s attempt %s stops: the job is %s", run->job_id, run->attempt, status);
    drop_audio(run);
    if (run->call)
        return; /* the node call's on_done finishes */
    finish(run, JOB_RUN_STOPPED);
}

/* --- heartbeat */

static void on_heartbeat_reply(job_run *run, const redisReply *reply, const char *err)
{
    if (run->step == STEP_DONE)
        return;
    if (err || reply->type != REDIS_REPLY_STRING) {
        ss_warn(run->log_id, "job %s: heartbeat failed: %s", run->job_id, err ? err : "unexpected reply");
        return; /* the lease runs on; the next beat tries again */
    }
    if (strcmp(reply->str, "running") != 0)
        stop_now(run, reply->str);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_run *run = arg;
    if (run->step == STEP_DONE || run->step == STEP_ENDING)
        return;
    char k[4][GW_STATE_KEY_MAX];
    job_keys(run, k);
    const char *keys[] = {k[0], k[1]};
    const char *args[] = {run->msg_id, run->env.consumer, run->attempt, JOB_GROUP};
    run_eval(run, &JOB_HEARTBEAT, 2, keys, 4, args, on_heartbeat_reply);
}

/* --- parts */

static void next_part(job_run *run);
static void try_backend(job_run *run);

static void on_progress_reply(job_run *run, const redisReply *reply, const char *err)
{
    if (run->step == STEP_DONE || run->step == STEP_ENDING)
        return;
    if (!err && reply->type == REDIS_REPLY_STRING && strcmp(reply->str, "running") != 0) {
        stop_now(run, reply->str);
        return;
    }
    if (err)
        ss_warn(run->log_id, "job %s: progress not recorded: %s", run->job_id, err);
    next_part(run);
}

static void part_done(job_run *run)
{
    run->chars_done += ss_utf8_chars_n(run->text + run->part_from, run->part_end - run->part_from);
    char k[4][GW_STATE_KEY_MAX];
    job_keys(run, k);
    const char *keys[] = {k[0]};
    char progress[24], duration[24], backend[2] = {(char)run->backend, 0};
    double p = run->characters ? (double)run->chars_done / (double)run->characters : 1.0;
    snprintf(progress, sizeof progress, "%.4f", p > 0.999 ? 0.999 : p); /* 1 means completed */
    snprintf(duration, sizeof duration, "0");
    const char *args[] = {run->attempt, progress, duration, backend};
    run->part_from = job_part_next(run->text, run->text_len, run->part_end);
    if (run_eval(run, &JOB_PROGRESS, 1, keys, 4, args, on_progress_reply) != 0)
        next_part(run);
}

/* --- the sink */

static void on_sink_drained(void *user)
{
    job_run *run = user;
    if (run->call)
        gw_node_call_resume(run->call);
}

static void upload_done(job_run *run, const scaidrive_result *res)
{
    if (res->status == SCAIDRIVE_OK) {
        json_t *saved = scaidrive_saved_to(res->answer);
        run->saved_to = saved ? json_dumps(saved, JSON_COMPACT) : NULL;
        json_decref(saved);
        if (!run->saved_to) {
            end_failed(run, "INTERNAL_ERROR", "1", "out of memory");
            return;
        }
        ss_info(run->log_id, "job %s saved to ScaiDrive: %s", run->job_id, run->saved_to);
        run->end_is_complete = true;
        record_end(run);
        return;
    }
    if (res->http_status == 401) { /* the token exchanged at submission no longer works */
        end_failed(run, ss_api_error_code(SS_ERR_SAVE_TO_EXCHANGE_FAILED), "0",
                   "ScaiDrive refused the token exchanged when the job was submitted (expired before the job "
                   "ran?): %s", res->message);
        return;
    }
    bool final = res->status == SCAIDRIVE_ERR_CONFLICT || res->status == SCAIDRIVE_ERR_EXCHANGE ||
                 res->status == SCAIDRIVE_ERR_NOT_FOUND;
    end_failed(run, ss_api_error_code(scaidrive_api_error(res->status)), final ? "0" : "1",
               "saving to ScaiDrive failed: %s", res->message);
}

/* The upload holds a reference until its on_done (or its cancellation). */
static void on_upload_done(void *user, const scaidrive_result *res)
{
    job_run *run = user;
    run->upload = NULL;
    if (!run->stopping && run->step != STEP_DONE && run->step != STEP_ENDING)
        upload_done(run, res);
    else if (run->stopping && run->step != STEP_DONE)
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
    run_unref(run);
}

/* save_to: the committed object goes to ScaiDrive with the token kept in
 * the job record; 1 when the upload started (it ends the attempt). */
static int start_upload(job_run *run)
{
    const char *save = json_string_value(json_object_get(run->record, JOB_F_SAVE_TO));
    const char *token = json_string_value(json_object_get(run->record, JOB_F_DRIVE_TOKEN));
    if (!save || !*save)
        return 0;
    json_t *target = json_loads(save, 0, NULL);
    char ctype[64] = "application/octet-stream";
    ss_audio_format_content_type(run->format, run->out_rate, ctype, sizeof ctype);
    scaidrive_upload_req req = {
        .access_token = token ? token : "",
        .object_key = run->key,
        .share_id = json_string_value(json_object_get(target, "share_id")),
        .folder_id = json_string_value(json_object_get(target, "folder_id")),
        .name = json_string_value(json_object_get(target, "filename")),
        .content_type = ctype,
        .overwrite = json_is_true(json_object_get(target, "overwrite")),
        .request_id = run->log_id,
    };
    char err[256];
    if (!req.share_id || !req.name) {
        json_decref(target);
        end_failed(run, "INTERNAL_ERROR", "0", "the job's save_to is malformed");
        return 1;
    }
    run->step = STEP_CALL;
    run->upload = scaidrive_upload(run->env.gw->scaidrive, &req, on_upload_done, run, err, sizeof err);
    json_decref(target);
    if (!run->upload) {
        end_failed(run, ss_api_error_code(SS_ERR_SCAIDRIVE_ERROR), "1", "saving to ScaiDrive failed: %s", err);
        return 1;
    }
    run->refs++;
    return 1;
}

static void on_sink_done(void *user, uint64_t bytes, uint64_t samples_out, const char *err)
{
    job_run *run = user;
    run->sink = NULL;
    if (err) {
        end_failed(run, "SCAISPEAK_JOB_STORAGE_FAILED", "1", "the audio could not be stored: %s", err);
        return;
    }
    run->bytes = bytes;
    run->samples_out = samples_out;
    if (start_upload(run))
        return;
    run->end_is_complete = true;
    record_end(run);
}

static int ensure_sink(job_run *run, uint32_t in_rate)
{
    if (run->sink)
        return 0;
    if (run->out_rate == 0)
        run->out_rate = (int)in_rate;
    if (!ss_audio_rate_allowed(run->format, run->out_rate)) {
        end_failed(run, "SCAISPEAK_BACKEND_ERROR", "0", "%s cannot be made at %d Hz",
                   ss_audio_format_name(run->format), run->out_rate);
        return -1;
    }
    char err[160];
    static const job_sink_events ev = {on_sink_drained, on_sink_done};
    run->sink = job_sink_new(run->env.gw->audio_pool, run->env.gw->objects, run->key, run->format,
                             (int)in_rate, run->out_rate, &ev, run, err, sizeof err);
    if (!run->sink) {
        end_failed(run, "SCAISPEAK_JOB_STORAGE_FAILED", "1", "%s", err);
        return -1;
    }
    run->sink_in_rate = (int)in_rate;
    return 0;
}

/* --- backend A: one node call per part */

static void note_tried(job_run *run, const char *field, const char *msg)
{
    json_array_append_new(run->tried, ss_detail(field, msg));
}

static void on_node_header(void *user, uint32_t sample_rate)
{
    job_run *run = user;
    if (ensure_sink(run, sample_rate) != 0 && run->call)
        gw_node_call_cancel(run->call);
}

static void on_node_audio(void *user, const int16_t *pcm, size_t n)
{
    job_run *run = user;
    run->part_got_audio = true;
    if (!run->sink || job_sink_write(run->sink, pcm, n) != 0) {
        if (run->call)
            gw_node_call_cancel(run->call);
        return;
    }
    if (job_sink_full(run->sink) && run->call)
        gw_node_call_pause(run->call);
}

static void node_done(job_run *run, const gw_node_result *res);

/* A node call holds a reference to its run until its on_done. */
static void on_node_done(void *user, const gw_node_result *res)
{
    job_run *run = user;
    run->call = NULL;
    node_done(run, res);
    run_unref(run);
}

static void node_done(job_run *run, const gw_node_result *res)
{
    if (run->stopping) {
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        return;
    }
    if (run->step == STEP_ENDING || run->step == STEP_DONE)
        return;
    if (res->code == GRPC_STATUS_OK) {
        run->backend = BACKEND_A;
        part_done(run);
        return;
    }
    const gw_node_choice *node = &run->plan.nodes[run->node_idx];
    char field[160], msg[400];
    snprintf(field, sizeof field, "node:%s", node->node_id);
    snprintf(msg, sizeof msg, "%s: %s", ss_grpc_status_name(res->code), res->message);
    ss_warn(run->log_id, "job %s: node %s failed: %s", run->job_id, node->node_id, msg);
    if (res->code == GRPC_STATUS_INVALID_ARGUMENT) {
        end_failed(run, "VALIDATION_ERROR", "0", "the engine refused the text: %s", res->message);
        return;
    }
    if (run->part_got_audio) {
        end_failed(run, "SCAISPEAK_BACKEND_ERROR", "1", "%s failed mid-part: %s", field, msg);
        return;
    }
    if (res->code == GRPC_STATUS_RESOURCE_EXHAUSTED && !strstr(res->message, "out of memory"))
        run->busy_nodes++;
    note_tried(run, field, msg);
    run->node_idx++;
    try_backend(run);
}

static void start_node(job_run *run)
{
    const gw_node_choice *node = &run->plan.nodes[run->node_idx];
    const char *engine = json_string_value(json_object_get(run->voice, "engine"));
    char *part = strndup(run->text + run->part_from, run->part_end - run->part_from);
    if (!part) {
        end_failed(run, "INTERNAL_ERROR", "1", "out of memory");
        return;
    }
    json_t *speed = json_object_get(run->params, "speed"), *pitch = json_object_get(run->params, "pitch");
    gw_node_request req = {
        .request_id = run->log_id,
        .engine_id = engine ? engine : PLATFORM_ENGINE_ID,
        .text = part,
        .voice_id = json_string_value(json_object_get(run->voice, "voice_id")),
        .design_prompt = voice_design_prompt(run->voice),
        .reference_sha256 = voice_reference_sha256(run->voice),
        .reference_key = voice_reference_key(run->voice),
        .sample_rate = 0,
        .speed = speed ? (float)json_number_value(speed) : 1.0f,
        .pitch = pitch ? (float)json_number_value(pitch) : 0.0f,
        .timeout_ms = (int)run->env.gw->settings->synthesis_timeout_ms,
        .chunk_ms = NODE_CHUNK_MS,
    };
    char err[256];
    static const gw_node_events ev = {on_node_header, on_node_audio, on_node_done};
    run->part_got_audio = false;
    run->step = STEP_CALL;
    run->calls_made++;
    run->call = gw_node_call_start(run->env.gw, node->address, &req, &ev, run, err, sizeof err);
    free(part);
    if (run->call)
        run->refs++; /* until on_node_done */
    if (!run->call) {
        char field[160];
        snprintf(field, sizeof field, "node:%s", node->node_id);
        note_tried(run, field, err);
        run->node_idx++;
        try_backend(run);
    }
}

/* --- backend B: the relay, one call per part */

static void on_relay_data(void *user, const char *content_type, const void *data, size_t len)
{
    (void)content_type;
    job_run *run = user;
    relay_body_append(&run->relay_answer, data, len);
}

/* Audio thread: the relay's WAV → s16 PCM. */
static void decode_relay(void *arg)
{
    job_run *run = arg;
    int rate = 0;
    free(run->relay_pcm);
    if (ss_audio_decode_s16(run->relay_answer.bytes, run->relay_answer.len, &run->relay_pcm, &run->relay_samples, &rate,
                            run->relay_err, sizeof run->relay_err) == 0)
        run->relay_rate = (uint32_t)rate;
}

static void relay_decoded(void *arg)
{
    job_run *run = arg;
    if (run->stopping || run->step == STEP_DONE || run->step == STEP_ENDING) {
        if (run->stopping && run->step != STEP_DONE)
            finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        run_unref(run);
        return;
    }
    relay_body_reset(&run->relay_answer);
    if (!run->relay_pcm) {
        end_failed(run, "SCAISPEAK_BACKEND_ERROR", "1", "the relay's audio could not be decoded: %s",
                   run->relay_err);
    } else if (run->sink && run->relay_rate != (uint32_t)run->sink_in_rate) {
        end_failed(run, "SCAISPEAK_BACKEND_ERROR", "1", "the relay changed its rate mid-job");
    } else if (ensure_sink(run, run->relay_rate) == 0) {
        if (job_sink_write(run->sink, run->relay_pcm, run->relay_samples) != 0)
            end_failed(run, "SCAISPEAK_JOB_STORAGE_FAILED", "1", "the audio could not be queued");
        else {
            run->backend = BACKEND_B;
            part_done(run);
        }
    }
    run_unref(run);
}

static void relay_done(job_run *run, const relay_result *res);

/* A relay call holds a reference to its run until its on_done (or its
 * cancellation, which never calls back: drop_audio). */
static void on_relay_done(void *user, const relay_result *res)
{
    job_run *run = user;
    run->relay = NULL;
    relay_done(run, res);
    run_unref(run);
}

static void relay_done(job_run *run, const relay_result *res)
{
    char msg[400];
    snprintf(msg, sizeof msg, "%s (HTTP %d): %s", relay_error_class_name(res->error_class), res->http_status,
             res->message);
    if (res->error_class == RELAY_ERR_HTTP_4XX) {
        end_failed(run, "SCAISPEAK_BACKEND_ERROR", "0", "the relay refused the text: %s", msg);
        return;
    }
    if (res->error_class == RELAY_OK && run->relay_answer.state == RELAY_BODY_OUT_OF_MEMORY) {
        end_failed(run, "INTERNAL_ERROR", "1", "%s", relay_body_problem(&run->relay_answer));
        return;
    }
    if (res->error_class != RELAY_OK || run->relay_answer.state != RELAY_BODY_OK) {
        const char *why = res->error_class == RELAY_OK ? relay_body_problem(&run->relay_answer) : msg;
        if (run->backend == BACKEND_B) { /* the job's backend failed */
            end_failed(run, "SCAISPEAK_BACKEND_ERROR", "1", "backend B: %s", why);
            return;
        }
        note_tried(run, "backend_b", why);
        run->backend_idx++;
        try_backend(run);
        return;
    }
    run->refs++; /* held by the pool job */
    if (ss_loop_pool_submit(run->env.gw->audio_pool, decode_relay, relay_decoded, run) != 0) {
        run->refs--;
        end_failed(run, "INTERNAL_ERROR", "1", "out of memory");
    }
}

static void start_relay(job_run *run)
{
    char *part = strndup(run->text + run->part_from, run->part_end - run->part_from);
    if (!part) {
        end_failed(run, "INTERNAL_ERROR", "1", "out of memory");
        return;
    }
    json_t *speed = json_object_get(run->params, "speed");
    relay_speech_req req = {
        .input = part,
        .voice = run->env.gw->settings->relay_voice,
        .response_format = "wav",
        .model = run->env.gw->settings->relay_model,
        .speed = speed ? json_number_value(speed) : 1.0,
        .request_id = run->log_id,
    };
    char err[256];
    relay_body_reset(&run->relay_answer);
    run->step = STEP_CALL;
    run->calls_made++;
    run->relay = relay_speech(run->env.gw->relay, &req, on_relay_data, on_relay_done, run, err, sizeof err);
    free(part);
    if (run->relay)
        run->refs++;
    if (!run->relay) {
        note_tried(run, "backend_b", err);
        run->backend_idx++;
        try_backend(run);
    }
}

/* --- choosing the backend of a part */

static void on_busy_timer(evutil_socket_t fd, short what, void *arg);

static void part_unavailable(job_run *run)
{
    if ((run->busy_nodes > 0 || run->calls_made == 0) &&
        run->busy_waited_ms < run->env.gw->settings->job_lease_ms) {
        /* every node busy, or nothing to call at all (no node online: one
         * restarting, or heartbeat records that lapsed while Redis failed
         * over): wait for one, up to job_lease_ms (costs no attempt) */
        run->busy_waited_ms += BUSY_RETRY_MS;
        struct timeval tv = {BUSY_RETRY_MS / 1000, (BUSY_RETRY_MS % 1000) * 1000};
        if (!run->busy_timer)
            run->busy_timer = evtimer_new(run->env.gw->base, on_busy_timer, run);
        if (run->busy_timer && evtimer_add(run->busy_timer, &tv) == 0)
            return;
    }
    char *why = json_dumps(run->tried, JSON_COMPACT);
    end_failed(run, "SCAISPEAK_BACKEND_UNAVAILABLE", "1", "no backend could serve part at character %zu: %s",
               run->chars_done, why ? why : "out of memory");
    free(why);
}

static void try_backend(job_run *run)
{
    if (run->stopping) {
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        return;
    }
    while (run->backend_idx < run->plan.norder) {
        gw_backend b = run->plan.order[run->backend_idx];
        if (run->backend && b != run->backend) { /* the job keeps its backend */
            run->backend_idx++;
            continue;
        }
        if (b == BACKEND_A && run->node_idx < run->plan.nnodes) {
            start_node(run);
            return;
        }
        if (b == BACKEND_B) {
            start_relay(run);
            return;
        }
        run->backend_idx++;
    }
    part_unavailable(run);
}

/* The registry as it is now → a plan for the next part. */
static void on_nodes(void *user, json_t *nodes, const char *err)
{
    job_run *run = user;
    if (run->stopping || run->step == STEP_DONE || run->step == STEP_ENDING) {
        json_decref(nodes);
        if (run->stopping && run->step != STEP_DONE)
            finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        run_unref(run);
        return;
    }
    if (!nodes) {
        end_failed(run, "SERVICE_UNAVAILABLE", "1", "the node registry could not be read: %s", err);
        run_unref(run);
        return;
    }
    json_decref(run->nodes);
    run->nodes = nodes;
    if (run->plan_made)
        json_decref(run->plan.unusable);
    run->plan_made = false;
    const char *reason = NULL;
    const char *relay_reason = relay_client_configured(run->env.gw->relay, &reason)
                                   ? NULL
                                   : (reason ? reason : "the relay is not configured");
    const char *engine = json_string_value(json_object_get(run->voice, "engine"));
    json_t *pref = json_object_get(run->params, "backend_preference");
    unsigned rnd = 0;
    ss_random_bytes(&rnd, sizeof rnd);
    if (gw_backend_plan_make(run->policy, json_string_value(pref) ? json_string_value(pref) : "any", run->nodes,
                             engine ? engine : PLATFORM_ENGINE_ID, relay_reason, rnd, &run->plan) < 0) {
        end_failed(run, "INTERNAL_ERROR", "1", "out of memory");
        run_unref(run);
        return;
    }
    run->plan_made = true;
    json_array_clear(run->tried);
    json_array_extend(run->tried, run->plan.unusable);
    run->backend_idx = run->node_idx = run->busy_nodes = run->calls_made = 0;
    try_backend(run);
    run_unref(run);
}

static void plan_part(job_run *run)
{
    run->step = STEP_NODES;
    run->refs++;
    if (node_registry_list(run->env.gw->redis, run->log_id, on_nodes, run) != 0) {
        run->refs--;
        end_failed(run, "SERVICE_UNAVAILABLE", "1", "the node registry could not be read");
    }
}

static void on_busy_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_run *run = arg;
    if (run->stopping) {
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        return;
    }
    if (run->step != STEP_DONE && run->step != STEP_ENDING)
        plan_part(run);
}

static void next_part(job_run *run)
{
    if (run->stopping) {
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        return;
    }
    if (run->part_from >= run->text_len) {
        if (!run->sink && ensure_sink(run, run->out_rate ? (uint32_t)run->out_rate : 24000) != 0) /* no audio: empty */
            return;
        run->step = STEP_SINK;
        job_sink_finish(run->sink);
        return;
    }
    run->part_end = job_part_end(run->text, run->text_len, run->part_from,
                                 (size_t)run->env.gw->settings->job_part_chars);
    run->busy_waited_ms = 0;
    plan_part(run);
}

/* --- start: the record, then the voice and the policy as they are now */

static void on_context(job_run *run, const redisReply *reply, const char *err)
{
    if (run->stopping) {
        finish(run, run->hand_back ? JOB_RUN_REQUEUED : JOB_RUN_STOPPED);
        return;
    }
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        end_failed(run, "SERVICE_UNAVAILABLE", "1", "the voice and policy could not be read: %s",
                   err ? err : "unexpected reply");
        return;
    }
    const redisReply *pol = reply->element[0], *voice = reply->element[1];
    run->policy = pol->type == REDIS_REPLY_STRING ? json_loadb(pol->str, pol->len, 0, NULL) : json_object();
    run->voice = voice->type == REDIS_REPLY_STRING ? json_loadb(voice->str, voice->len, 0, NULL) : NULL;
    const char *status = json_string_value(json_object_get(run->voice, "embedding_status"));
    if (!run->policy) {
        end_failed(run, "INTERNAL_ERROR", "0", "the tenant's stored policy is not JSON");
    } else if (!run->voice) {
        end_failed(run, "SCAISPEAK_VOICE_NOT_FOUND", "0", "the voice no longer exists");
    } else if (!status || strcmp(status, "ready") != 0) {
        end_failed(run, "SCAISPEAK_VOICE_NOT_READY", "0", "the voice is not ready");
    } else {
        ss_info(run->log_id, "job %s attempt %s: %zu characters in parts of ~%ld", run->job_id, run->attempt,
                run->characters, run->env.gw->settings->job_part_chars);
        next_part(run);
    }
}

static int read_context(job_run *run)
{
    const char *tenant = json_string_value(json_object_get(run->record, JOB_F_TENANT));
    const char *voice = json_string_value(json_object_get(run->params, "voice_id"));
    char policy_key[GW_STATE_KEY_MAX], voice_key[GW_STATE_KEY_MAX];
    if (!tenant || !voice || gw_state_key(policy_key, sizeof policy_key, GW_KEY_TENANT_POLICY, tenant, NULL) ||
        gw_state_key(voice_key, sizeof voice_key, GW_KEY_VOICE, voice, NULL))
        return -1;
    const char *argv[] = {"MGET", policy_key, voice_key};
    run->step = STEP_CONTEXT;
    if (run_command(run, 3, argv, on_context) != 0)
        end_failed(run, "SERVICE_UNAVAILABLE", "1", "redis not connected");
    return 0;
}

/* The record's fields this attempt needs; -1 when it is malformed. */
static int take_record(job_run *run)
{
    const char *text = json_string_value(json_object_get(run->record, JOB_F_TEXT));
    const char *params = json_string_value(json_object_get(run->record, JOB_F_PARAMS));
    const char *rid = json_string_value(json_object_get(run->record, "request_id"));
    if (rid && ss_request_id_acceptable(rid))
        snprintf(run->log_id, sizeof run->log_id, "%s", rid);
    run->params = params ? json_loads(params, 0, NULL) : NULL;
    const char *fmt = json_string_value(json_object_get(run->params, "response_format"));
    if (!text || !run->params || !fmt || ss_audio_format_parse(fmt, &run->format) != 0)
        return -1;
    run->text = text;
    run->text_len = strlen(text);
    run->characters = ss_utf8_chars_n(text, run->text_len);
    run->out_rate = (int)json_integer_value(json_object_get(run->params, "sample_rate"));
    return job_audio_key(run->key, sizeof run->key, run->job_id, atol(run->attempt), fmt);
}

static void start_heartbeat(job_run *run)
{
    long ms = run->env.gw->settings->job_heartbeat_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    run->heartbeat = event_new(run->env.gw->base, -1, EV_PERSIST, on_heartbeat, run);
    if (run->heartbeat)
        event_add(run->heartbeat, &tv);
}

static void on_started(job_run *run, const redisReply *reply, const char *err)
{
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        ss_warn(NULL, "job entry %s: start failed (%s); its lease will bring it back", run->msg_id,
                err ? err : "unexpected reply");
        finish(run, JOB_RUN_UNKNOWN);
        return;
    }
    const char *what = reply->element[0]->str;
    if (!strcmp(what, "poisoned")) {
        ss_warn(NULL, "job entry %s: out of attempts, the job ends failed", run->msg_id);
        finish(run, JOB_RUN_FAILED);
        return;
    }
    if (strcmp(what, "run") != 0 || reply->elements < 2) {
        finish(run, JOB_RUN_SKIPPED);
        return;
    }
    snprintf(run->attempt, sizeof run->attempt, "%lld", reply->element[1]->integer);
    run->record = job_record_from_reply(reply, 2);
    start_heartbeat(run);
    if (run->hand_back) {
        end_failed(run, "SCAISPEAK_WORKER_STOPPING", "release", "the worker is stopping");
        return;
    }
    if (!run->record || take_record(run) != 0 || read_context(run) != 0) {
        end_failed(run, "INTERNAL_ERROR", "0", "the job's record is malformed");
        return;
    }
}

job_run *job_run_start(const job_env *env, const char *msg_id, const char *job_id, job_run_done_fn done,
                       void *user)
{
    job_run *run = calloc(1, sizeof *run);
    if (!run || !(run->tried = json_array())) {
        free(run);
        return NULL;
    }
    run->env = *env;
    run->done = done;
    run->user = user;
    run->refs = 1;
    snprintf(run->msg_id, sizeof run->msg_id, "%s", msg_id);
    snprintf(run->attempt, sizeof run->attempt, "0");
    snprintf(run->job_id, sizeof run->job_id, "%s", job_id);
    snprintf(run->log_id, sizeof run->log_id, "%s", job_id);
    char k[4][GW_STATE_KEY_MAX];
    job_keys(run, k);
    char now[24], retention[24];
    snprintf(now, sizeof now, "%lld", (long long)ss_wall_ms());
    snprintf(retention, sizeof retention, "%lld", (long long)env->gw->settings->job_retention_s * 1000);
    const char *keys[] = {k[0], k[1], k[2], k[3]};
    const char *args[] = {msg_id, env->consumer, now, JOB_GROUP, retention};
    if (run_eval(run, &JOB_START, 4, keys, 5, args, on_started) != 0) {
        run_unref(run);
        return NULL;
    }
    return run;
}

void job_run_hand_back(job_run *run)
{
    if (run->step == STEP_DONE || run->step == STEP_ENDING || run->stopping)
        return;
    run->hand_back = true;
    if (run->step == STEP_NONE)
        return; /* still starting: on_started hands it back */
    end_failed(run, "SCAISPEAK_WORKER_STOPPING", "release", "the worker is stopping");
}

const char *job_run_outcome_name(job_run_outcome o)
{
    static const char *const NAMES[] = {
        [JOB_RUN_SKIPPED] = "skipped",   [JOB_RUN_COMPLETED] = "completed", [JOB_RUN_FAILED] = "failed",
        [JOB_RUN_REQUEUED] = "requeued", [JOB_RUN_STOPPED] = "stopped",     [JOB_RUN_UNKNOWN] = "unknown",
    };
    return o >= 0 && o <= JOB_RUN_UNKNOWN ? NAMES[o] : "?";
}
