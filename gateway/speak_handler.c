/* POST /v1/modules/scaispeak/speak and POST /v1/audio/speech (the
 * OpenAI-compatible alias): synchronous synthesis (API.md §2).
 *
 * One request walks these steps, each answered from a callback on the loop:
 *   1. validate the body (speak_request.c) — 400/422 (counted by the rate
 *      limit first, as every request is);
 *   2. the Redis reads of speak_context.c: the rate limit (the route counts
 *      itself, GW_ROUTE_RATE_LIMITS_ITSELF, in the same script), the tenant
 *      policy, the voice (given id, OpenAI name, or the platform default),
 *      the blocklist and the node registry — 429, 404, 422, 409;
 *   3. a backend plan (backend_resolve.c);
 *   4. backend A: Synthesize on the chosen node; a node that fails before
 *      its first audio byte (or answers RESOURCE_EXHAUSTED) is followed by the
 *      next one of the plan; then backend B when the plan has it;
 *   3a. with save_to, before the plan: the caller's JWT is exchanged
 *      at ScaiKey for a ScaiDrive token (speak_save.h) — 404, 400, 502;
 *   5. the backend's audio goes to the answer as it arrives
 *      (speak_output.h): encoded on the work pool to the requested format
 *      and rate and streamed with the X-Scaispeak-* headers (chunked; the
 *      audio length as a trailer), or sent as Server-Sent Events (OpenAI
 *      stream_format "sse"), or as a JSON envelope with audio_base64 when
 *      the client sends Accept: application/json, or (save_to) into a
 *      temporary object uploaded to ScaiDrive at the end, the answer then
 *      being the envelope with saved_to. A slow client pauses the
 *      node call (back-pressure). A node that fails before any byte went to
 *      the client is replaced by the next one of the plan; after that the
 *      stream is cut (the client sees a truncated body) and the failure
 *      logged with the request id.
 * Nothing usable → 502 SCAISPEAK_BACKEND_UNAVAILABLE whose details name every
 * backend and node tried and why — unless a node of the plan refused because
 * it was busy (RESOURCE_EXHAUSTED, its slots and queue full): then the
 * request waits in the gateway's busy queue (gateway/busy_wait.h; bounded by
 * busy_queue_max and busy_wait_ms, never past synthesis_timeout_ms from its
 * arrival) and tries the plan's nodes again when a slot frees or on a short
 * timer; a full queue or an expired wait → 503 SCAISPEAK_BACKEND_BUSY with
 * Retry-After, its details naming each node and its state. Overload is
 * capacity, not failure: the client may retry. A client that disconnects is noticed with
 * an EV_CLOSED watcher on its socket (evhttp stops reading while a reply is
 * pending) and the node call is cancelled at once. Known limit: a client that
 * half-closes its socket (shutdown for writing) and still waits for the answer
 * looks the same as one that left, and is cancelled too; HTTP clients do not
 * do that in practice. */
#include "gateway/backend_resolve.h"
#include "gateway/busy_wait.h"
#include "gateway/gateway.h"
#include "gateway/job_routes.h"
#include "gateway/node_call.h"
#include "gateway/openai_instructions.h"
#include "gateway/rate_limit.h"
#include "gateway/relay_body.h"
#include "gateway/relay_client.h"
#include "gateway/relay_probe.h"
#include "gateway/request_phases.h"
#include "gateway/speak_context.h"
#include "gateway/speak_output.h"
#include "gateway/speak_request.h"
#include "gateway/speak_save.h"
#include "gateway/state_keys.h"
#include "gateway/voice_store.h"

#include "common/audio_input.h"
#include "common/grpc_status.h"
#include "common/loop_pool.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_RETRY_AFTER_S "1"

/* The node sends each phrase as soon as it is vocoded, cut into messages of
 * at most chunk_ms. An HTTP answer gains nothing from pieces smaller than a
 * phrase (the first one leaves as early either way), and every message
 * costs the gateway a gRPC read, a hand-over to the loop and a socket write:
 * 1 s pieces instead of the node's 200 ms default cut the messages of a
 * one-sentence answer from ~12 to ~4. */
#define HTTP_NODE_CHUNK_MS 1000

typedef struct {
    gw_request *r;
    json_t *body;            /* owns the text */
    gw_speak_params p;
    json_t *policy, *voice, *nodes;
    gw_backend_plan plan;
    bool plan_made;
    int backend_idx, node_idx;
    json_t *tried;           /* [{field, message}] of what failed */
    json_t *bad_details;     /* the 422 details of an unusable body */
    speak_output *out;       /* the answer, once the plan is made */
    bool out_finished;       /* it has been answered; only the node call may still end */
    gw_node_call *call;
    relay_call *relay;
    relay_body relay_answer; /* the relay's WAV, whole before it is decoded */
    int16_t *relay_pcm;      /* decoded on an audio thread */
    size_t relay_samples;
    uint32_t relay_rate;
    char relay_err[256];
    struct event *close_watch;
    bool client_gone;
    int busy_nodes;          /* nodes of this round that refused as busy */
    bool nodes_only;         /* a busy retry: backend B was tried already */
    bool openai;             /* POST /v1/audio/speech */
    busy_waiter *waiting;    /* in the busy queue */
    double busy_deadline;    /* monotonic seconds; 0 until the first wait */
    char *save_token;        /* save_to: the exchanged ScaiDrive token (never logged) */
} speak_ctx;

static void ctx_free(speak_ctx *cx)
{
    speak_output_free(cx->out);
    if (cx->close_watch)
        event_free(cx->close_watch);
    busy_wait_cancel(cx->waiting);
    json_decref(cx->body);
    json_decref(cx->policy);
    json_decref(cx->voice);
    json_decref(cx->nodes);
    json_decref(cx->tried);
    json_decref(cx->bad_details);
    if (cx->plan_made)
        json_decref(cx->plan.unusable);
    relay_body_free(&cx->relay_answer);
    free(cx->relay_pcm);
    if (cx->save_token) {
        memset(cx->save_token, 0, strlen(cx->save_token));
        free(cx->save_token);
    }
    free(cx);
}

/* Answers an error: before the plan through the request, after it through
 * the output (which cuts a stream already started); the output's finished
 * callback then frees the context. */
static void fail(speak_ctx *cx, ss_api_error e, const char *msg, json_t *details)
{
    if (cx->close_watch) { /* a cut stream closes the socket: stop watching it first */
        event_free(cx->close_watch);
        cx->close_watch = NULL;
    }
    if (cx->out) {
        speak_output_fail(cx->out, e, msg, details);
        return;
    }
    gw_reply_error(cx->r, e, msg, details);
    ctx_free(cx);
}

static void on_client_closed(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    speak_ctx *cx = arg;
    if (cx->client_gone)
        return;
    cx->client_gone = true;
    ss_info(cx->r->id, "client disconnected: cancelling synthesis");
    ss_metrics_counter_add("scaispeak_speak_client_gone_total", "clients that left mid-synthesis", "", 1);
    if (cx->call)
        gw_node_call_cancel(cx->call); /* its done callback answers and frees */
    if (cx->waiting) {
        busy_wait_cancel(cx->waiting);
        cx->waiting = NULL;
        fail(cx, SS_ERR_BACKEND_ERROR, "the client went away", NULL);
        return;
    }
    if (cx->relay) {                   /* a cancelled relay call never calls back */
        relay_cancel(cx->relay);
        cx->relay = NULL;
        fail(cx, SS_ERR_BACKEND_ERROR, "the client went away", NULL);
    }
}

static void watch_client(speak_ctx *cx)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(cx->r->req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0)
        return;
    cx->close_watch = event_new(cx->r->gw->base, fd, EV_CLOSED, on_client_closed, cx);
    if (cx->close_watch)
        event_add(cx->close_watch, NULL);
}

static void try_next(speak_ctx *cx);

static void note_tried(speak_ctx *cx, const char *field, const char *msg)
{
    json_array_append_new(cx->tried, ss_detail(field, msg));
}

static void on_node_header(void *user, uint32_t sample_rate)
{
    speak_ctx *cx = user;
    speak_output_begin(cx->out, 'A', sample_rate); /* on failure the output answers; on_done frees */
}

static void on_node_audio(void *user, const int16_t *pcm, size_t n)
{
    speak_ctx *cx = user;
    if (speak_output_audio(cx->out, pcm, n) != 0 && cx->call)
        gw_node_call_cancel(cx->call); /* the answer failed: stop the node */
}

static void on_node_done(void *user, const gw_node_result *res)
{
    speak_ctx *cx = user;
    cx->call = NULL;
    const gw_node_choice *node = &cx->plan.nodes[cx->node_idx];
    if (cx->out_finished) {
        ctx_free(cx);
        return;
    }
    if (cx->client_gone) {
        fail(cx, SS_ERR_BACKEND_ERROR, "the client went away", NULL);
        return;
    }
    if (res->code == GRPC_STATUS_OK) {
        speak_output_end(cx->out, res->words, res->phonemes);
        return;
    }
    char field[160], msg[400];
    snprintf(field, sizeof field, "node:%s", node->node_id);
    snprintf(msg, sizeof msg, "%s: %s", ss_grpc_status_name(res->code), res->message);
    ss_warn(cx->r->id, "node %s failed: %s", node->node_id, msg);
    if (res->code == GRPC_STATUS_INVALID_ARGUMENT) {
        fail(cx, SS_ERR_VALIDATION_ERROR, res->message,
             json_pack("[{s:s,s:s}]", "field", "text", "message", res->message));
        return;
    }
    if (speak_output_committed(cx->out)) { /* the client has audio: a retry would repeat speech */
        fail(cx, res->code == GRPC_STATUS_DEADLINE_EXCEEDED ? SS_ERR_BACKEND_TIMEOUT : SS_ERR_BACKEND_ERROR,
             msg, json_pack("[{s:s,s:s}]", "field", field, "message", msg));
        return;
    }
    speak_output_reset(cx->out); /* nothing reached the client: the next node starts afresh */
    if (res->code == GRPC_STATUS_DEADLINE_EXCEEDED) {
        fail(cx, SS_ERR_BACKEND_TIMEOUT, msg, json_pack("[{s:s,s:s}]", "field", field, "message", msg));
        return;
    }
    if (res->code == GRPC_STATUS_RESOURCE_EXHAUSTED && !strstr(res->message, "out of memory"))
        cx->busy_nodes++;
    note_tried(cx, field, msg);
    cx->node_idx++;
    try_next(cx);
}

static void start_node(speak_ctx *cx)
{
    const gw_node_choice *node = &cx->plan.nodes[cx->node_idx];
    const char *engine = json_string_value(json_object_get(cx->voice, "engine"));
    gw_node_request req = {
        .request_id = cx->r->id,
        .engine_id = engine ? engine : PLATFORM_ENGINE_ID,
        .text = cx->p.text,
        .voice_id = json_string_value(json_object_get(cx->voice, "voice_id")),
        .design_prompt = voice_design_prompt(cx->voice),
        .reference_sha256 = voice_reference_sha256(cx->voice),
        .reference_key = voice_reference_key(cx->voice),
        .sample_rate = 0, /* native; the encoder resamples to the asked rate */
        .speed = (float)cx->p.speed,
        .pitch = (float)cx->p.pitch,
        .want_timestamps = cx->p.timestamps,
        .timeout_ms = (int)cx->r->gw->settings->synthesis_timeout_ms,
        .chunk_ms = HTTP_NODE_CHUNK_MS,
    };
    char err[256];
    static const gw_node_events ev = {on_node_header, on_node_audio, on_node_done};
    cx->call = gw_node_call_start(cx->r->gw, node->address, &req, &ev, cx, err, sizeof err);
    if (!cx->call) {
        char field[160];
        snprintf(field, sizeof field, "node:%s", node->node_id);
        note_tried(cx, field, err);
        cx->node_idx++;
        try_next(cx);
        return;
    }
    ss_info(cx->r->id, "backend A: node %s (%s), load %.2f", node->node_id, node->address, node->load);
}

static void on_relay_data(void *user, const char *content_type, const void *data, size_t len)
{
    (void)content_type;
    speak_ctx *cx = user;
    relay_body_append(&cx->relay_answer, data, len);
}

/* Audio thread: the relay's WAV → s16 PCM (decoding never runs on the loop).
 * The result goes into the context's relay fields; the loop reads them in
 * relay_audio_decoded. */
static void decode_relay_audio(void *arg)
{
    speak_ctx *cx = arg;
    int rate = 0;
    if (ss_audio_decode_s16(cx->relay_answer.bytes, cx->relay_answer.len, &cx->relay_pcm, &cx->relay_samples, &rate,
                            cx->relay_err, sizeof cx->relay_err) == 0)
        cx->relay_rate = (uint32_t)rate;
}

static void relay_audio_decoded(void *arg)
{
    speak_ctx *cx = arg;
    if (!cx->relay_pcm) {
        char msg[400];
        bool oom = !strcmp(cx->relay_err, "out of memory");
        snprintf(msg, sizeof msg, "the relay's audio could not be decoded: %s", cx->relay_err);
        fail(cx, oom ? SS_ERR_INTERNAL_ERROR : SS_ERR_BACKEND_ERROR, oom ? "out of memory" : msg, NULL);
        return;
    }
    if (speak_output_begin(cx->out, 'B', cx->relay_rate) == 0 &&
        speak_output_audio(cx->out, cx->relay_pcm, cx->relay_samples) == 0)
        speak_output_end(cx->out, NULL, NULL); /* timings: the relay gives none */
}

/* The relay answers WAV; it is decoded and re-encoded like node audio, so the
 * caller gets the format and rate asked for whichever backend served. */
static void on_relay_done(void *user, const relay_result *res)
{
    speak_ctx *cx = user;
    cx->relay = NULL;
    char labels[64];
    snprintf(labels, sizeof labels, "class=\"%s\"", relay_error_class_name(res->error_class));
    ss_metrics_counter_add("scaispeak_relay_calls_total", "backend B relay calls by outcome", labels, 1);
    char msg[400];
    snprintf(msg, sizeof msg, "%s (HTTP %d): %s", relay_error_class_name(res->error_class),
             res->http_status, res->message);
    if (res->error_class == RELAY_ERR_HTTP_4XX) {
        fail(cx, SS_ERR_BACKEND_ERROR, msg, json_pack("[{s:s,s:s}]", "field", "backend_b", "message", msg));
        return;
    }
    if (res->error_class == RELAY_ERR_TIMEOUT) {
        fail(cx, SS_ERR_BACKEND_TIMEOUT, msg, json_pack("[{s:s,s:s}]", "field", "backend_b", "message", msg));
        return;
    }
    if (res->error_class != RELAY_OK) {
        ss_warn(cx->r->id, "relay failed: %s", msg);
        note_tried(cx, "backend_b", msg);
        cx->backend_idx++;
        try_next(cx);
        return;
    }
    if (cx->relay_answer.state == RELAY_BODY_OUT_OF_MEMORY) {
        fail(cx, SS_ERR_INTERNAL_ERROR, relay_body_problem(&cx->relay_answer), NULL);
        return;
    }
    if (cx->relay_answer.state != RELAY_BODY_OK) {
        const char *why = relay_body_problem(&cx->relay_answer);
        fail(cx, SS_ERR_BACKEND_ERROR, why, json_pack("[{s:s,s:s}]", "field", "backend_b", "message", why));
        return;
    }
    if (ss_loop_pool_submit(cx->r->gw->audio_pool, decode_relay_audio, relay_audio_decoded, cx) != 0)
        fail(cx, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    /* else the audio threads decode it; relay_audio_decoded goes on */
}

static void start_relay(speak_ctx *cx)
{
    relay_speech_req req = {
        .input = cx->p.text,
        .voice = cx->r->gw->settings->relay_voice,
        .response_format = "wav",
        .model = cx->r->gw->settings->relay_model,
        .speed = cx->p.speed,
        .request_id = cx->r->id,
    };
    char err[256];
    relay_body_reset(&cx->relay_answer);
    cx->relay = relay_speech(cx->r->gw->relay, &req, on_relay_data, on_relay_done, cx, err, sizeof err);
    if (!cx->relay) {
        note_tried(cx, "backend_b", err);
        cx->backend_idx++;
        try_next(cx);
        return;
    }
    ss_info(cx->r->id, "backend B: relay");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *failure_details(speak_ctx *cx)
{
    json_t *details = json_deep_copy(cx->plan.unusable);
    json_array_extend(details, cx->tried);
    return details;
}

static void answer_busy(speak_ctx *cx, const char *why)
{
    evhttp_add_header(evhttp_request_get_output_headers(cx->r->req), "Retry-After", BUSY_RETRY_AFTER_S);
    ss_metrics_counter_add("scaispeak_speak_busy_total", "requests refused 503 because every node was busy",
                           "", 1);
    ss_warn(cx->r->id, "every node busy: %s", why);
    fail(cx, SS_ERR_BACKEND_BUSY, "every node is busy; retry later", failure_details(cx));
}

static void on_busy_wake(void *user, bool expired)
{
    speak_ctx *cx = user;
    cx->waiting = NULL;
    if (expired) {
        answer_busy(cx, "the wait for a free slot expired");
        return;
    }
    /* a new round over the plan's nodes (backend B had its turn already) */
    json_array_clear(cx->tried);
    cx->busy_nodes = 0;
    cx->node_idx = 0;
    cx->nodes_only = true;
    for (cx->backend_idx = 0; cx->backend_idx < cx->plan.norder; cx->backend_idx++)
        if (cx->plan.order[cx->backend_idx] == BACKEND_A)
            break;
    try_next(cx);
}

/* Every backend was tried and some node was only busy: wait for a slot,
 * bounded, or answer 503 busy. */
static void wait_for_slot(speak_ctx *cx)
{
    const ss_settings *s = cx->r->gw->settings;
    double now = now_s();
    if (cx->busy_deadline == 0) {
        double own = cx->r->started + (double)s->synthesis_timeout_ms / 1000.0;
        double wait = now + (double)s->busy_wait_ms / 1000.0;
        cx->busy_deadline = wait < own ? wait : own;
    }
    long left_ms = (long)((cx->busy_deadline - now) * 1000.0);
    if (left_ms <= 0) {
        answer_busy(cx, "the wait for a free slot expired");
        return;
    }
    cx->waiting = busy_wait_add(gw_node_busy_queue(cx->r->gw), left_ms, on_busy_wake, cx);
    if (!cx->waiting) {
        answer_busy(cx, "the gateway's busy queue is full");
        return;
    }
}

static void try_next(speak_ctx *cx)
{
    while (cx->backend_idx < cx->plan.norder) {
        gw_backend b = cx->plan.order[cx->backend_idx];
        if (b == BACKEND_A && cx->node_idx < cx->plan.nnodes) {
            start_node(cx);
            return;
        }
        if (b == BACKEND_B && !cx->nodes_only) {
            start_relay(cx);
            return;
        }
        cx->backend_idx++;
    }
    if (cx->busy_nodes > 0) {
        wait_for_slot(cx);
        return;
    }
    fail(cx, SS_ERR_BACKEND_UNAVAILABLE, "no backend could serve this request", failure_details(cx));
}

static void on_output_pause(void *user)
{
    speak_ctx *cx = user;
    gw_node_call_pause(cx->call); /* the relay's answer is whole already: nothing to pause */
}

static void on_output_resume(void *user)
{
    speak_ctx *cx = user;
    gw_node_call_resume(cx->call);
}

static void on_output_gone(void *user)
{
    on_client_closed(-1, 0, user);
}

/* The answer is complete (or failed): free the context, or first stop the
 * node call still running (its on_done frees it). */
static void on_output_finished(void *user)
{
    speak_ctx *cx = user;
    cx->out_finished = true;
    if (cx->call) {
        gw_node_call_cancel(cx->call);
        return;
    }
    if (cx->relay) {
        relay_cancel(cx->relay); /* a cancelled relay call never calls back */
        cx->relay = NULL;
    }
    ctx_free(cx);
}

/* Why backend B cannot be used now, or NULL when it can (the probe's view). */
static const char *relay_unusable_reason(gw_server *gw, char *buf, size_t cap)
{
    relay_probe_status st;
    relay_probe_get(gw->relay_probe, &st);
    if (st.configured && st.reachable)
        return NULL;
    snprintf(buf, cap, "%s", *st.reason ? st.reason : "the relay has not answered a probe yet");
    return buf;
}

/* /speak (not the OpenAI alias: its clients expect audio) goes
 * asynchronous with force_async or over the tenant's async_threshold_chars. */
static bool wants_job(const speak_ctx *cx)
{
    if (cx->openai)
        return false;
    json_t *t = json_object_get(cx->policy, "async_threshold_chars");
    long threshold = json_is_integer(t) ? (long)json_integer_value(t) : GW_POLICY_ASYNC_THRESHOLD_DEFAULT;
    return cx->p.force_async || cx->p.characters > (size_t)threshold;
}

/* Queues the request as a job (job_routes.h): 202, or 422 for what jobs do
 * not keep. */
static void submit_job(speak_ctx *cx)
{
    if (cx->p.timestamps) {
        fail(cx, SS_ERR_VALIDATION_ERROR,
             "timestamps are given by synchronous /speak only (text up to the tenant's "
             "async_threshold_chars, without force_async)",
             json_pack("[{s:s,s:s}]", "field", "timestamps", "message",
                       "not available for asynchronous jobs"));
        return;
    }
    char *save_to = NULL;
    if (cx->p.save_to.wanted) { /* the worker uploads with the token exchanged now */
        const gw_save_target *t = &cx->p.save_to;
        json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "share_id", t->share_id, "folder_id", t->folder_id,
                              "filename", t->filename, "overwrite", t->overwrite);
        save_to = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!save_to) {
            fail(cx, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
    }
    gw_job_submit(cx->r, &cx->p, cx->voice, save_to, cx->save_token); /* copies what it keeps */
    free(save_to);
    ctx_free(cx);
}

static void start_synthesis(speak_ctx *cx)
{
    unsigned rnd = 0;
    if (ss_random_bytes(&rnd, sizeof rnd) != 0)
        rnd = (unsigned)cx->r->started;
    const char *engine = json_string_value(json_object_get(cx->voice, "engine"));
    char why[320];
    if (gw_backend_plan_make(cx->policy, cx->p.preference, cx->nodes, engine ? engine : PLATFORM_ENGINE_ID,
                             relay_unusable_reason(cx->r->gw, why, sizeof why), rnd, &cx->plan) < 0) {
        fail(cx, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    cx->plan_made = true;
    static const speak_output_events ev = {on_output_pause, on_output_resume, on_output_gone,
                                           on_output_finished};
    cx->out = speak_output_new(cx->r, &cx->p, json_string_value(json_object_get(cx->voice, "voice_id")),
                               &ev, cx);
    if (!cx->out || (cx->save_token && speak_output_save_to(cx->out, cx->save_token) != 0)) {
        fail(cx, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    watch_client(cx);
    try_next(cx);
}

/* save_to: ScaiKey's answer to the token exchange (speak_save.h). */
static void on_save_token(void *user, ss_api_error e, const char *message, const char *token)
{
    speak_ctx *cx = user;
    if (e) {
        fail(cx, e, message, NULL);
        return;
    }
    cx->save_token = strdup(token);
    if (!cx->save_token) {
        fail(cx, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (wants_job(cx))
        submit_job(cx);
    else
        start_synthesis(cx);
}

static void on_context(gw_request *r, void *user, speak_context *ctx)
{
    speak_ctx *cx = user;
    /* header + log line: what `instructions` changed; here, after the
     * identity was confirmed, so a request run again reports it once */
    if (cx->openai)
        gw_openai_instructions_report(r, &cx->p);
    cx->policy = ctx->policy;
    cx->voice = ctx->voice;
    cx->nodes = ctx->nodes;
    if (cx->p.save_to.wanted) { /* the token first: a refusal costs no synthesis */
        speak_save_token(cx->r, on_save_token, cx);
        return;
    }
    if (wants_job(cx))
        submit_job(cx);
    else
        start_synthesis(cx);
}

static void ctx_free_user(void *cx)
{
    ctx_free(cx);
}

/* The body as it will be read; 0 when it can be used. */
static int parse_body(speak_ctx *cx, bool openai, json_t **details)
{
    *details = NULL;
    struct evbuffer *in = evhttp_request_get_input_buffer(cx->r->req);
    size_t len = evbuffer_get_length(in);
    cx->body = len ? json_loadb((const char *)evbuffer_pullup(in, -1), len,
                                 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL)
                   : NULL;
    if (len && !cx->body)
        return -1;
    return openai ? gw_speak_params_parse_openai(cx->body, &cx->p, details)
                  : gw_speak_params_parse(cx->body, &cx->p, details);
}

/* Answers an unusable body (400 with gw_request_json's words, or 422). */
static void answer_bad_body(gw_request *r, void *user)
{
    speak_ctx *cx = user;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0) {
        cx->r = NULL; /* already answered */
        ctx_free(cx);
        return;
    }
    json_decref(body);
    char msg[512]; /* one sentence the OpenAI SDKs show as the error's message */
    fail(cx, SS_ERR_VALIDATION_ERROR, gw_speak_details_message(cx->bad_details, msg, sizeof msg),
         json_incref(cx->bad_details));
}

/* An OpenAI built-in voice name becomes the voice openai_voices gives it
 * (none: the default voice). */
static void apply_openai_voice(speak_ctx *cx)
{
    const char *id = cx->p.openai_voice[0] ? gw_openai_voice_id(&cx->r->gw->openai_voices, cx->p.openai_voice)
                                           : NULL;
    if (id)
        snprintf(cx->p.voice_id, sizeof cx->p.voice_id, "%s", id);
}

static void speak(gw_request *r, bool openai)
{
    speak_ctx *cx = calloc(1, sizeof *cx);
    if (!cx) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    cx->r = r;
    cx->openai = openai;
    cx->tried = json_array();
    bool rate_limited = gw_phase_required(r, GW_PHASE_RATE_LIMIT);
    if (parse_body(cx, openai, &cx->bad_details) != 0) {
        if (r->identity_fp[0]) { /* counted and refused by a verified caller only */
            ctx_free(cx);
            gw_authenticate_again(r, "is refused a bad body");
            return;
        }
        /* Counted like any request before it is refused, as when the rate
         * limit was a phase of its own. */
        if (rate_limited)
            gw_rate_limit_check(r, answer_bad_body, cx, ctx_free_user);
        else
            answer_bad_body(r, cx);
        return;
    }
    const char *accept = gw_header(r, "Accept");
    cx->p.want_json = accept && strstr(accept, "application/json");
    apply_openai_voice(cx);
    speak_lookup q = {cx->p.voice_id, cx->p.voice_name, cx->p.text, cx->p.language_hint, rate_limited};
    speak_context_read(r, &q, on_context, cx, ctx_free_user);
}

void gw_handle_speak(gw_request *r)
{
    speak(r, false);
}

void gw_handle_openai_speech(gw_request *r)
{
    speak(r, true);
}
