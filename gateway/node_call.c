/* Synthesize calls to nodes (see node_call.h), over the loop-native HTTP/2
 * client (common/h2_client.h): the call, its messages and its end all run
 * on the gateway's loop, with no thread of gRPC's in between. Every call
 * presents the node_call_token (`authorization: Bearer <token>`), resolved
 * once at init: nodes refuse calls without it (docs/SECURITY.md).
 *
 * Connections are the h2 client's: one per node address, opened on first
 * use; the restart retry (node_call.h) retires the connection the failed
 * call was on (by its id, read when the call started) so the retry goes out
 * on a new one. The per-gateway busy wait queue lives
 * here too, because this file sees every node call end (a freed slot wakes
 * a waiter). The gRPC C-core bridge is made only for the worker, whose
 * erasure reconciler keeps it (gw_node_calls_client).
 *
 * The reference resend (node_call.h): the packed request is kept for the
 * reconnect retry anyway; on reference_required it is unpacked, given the
 * bytes read from the object store and packed again. While the object is
 * read the call has no HTTP/2 call (c->call NULL, c->fetching): a cancel
 * then only marks it, and the read's hand-back reports CANCELLED. */
#include "gateway/node_call.h"

#include "gateway/busy_wait.h"
#include "gateway/node_answer.h"

#include "common/audio_input.h"
#include "common/grpc_client.h"
#include "common/h2_client.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"
#include "common/node_credentials.h"
#include "proto/tts_node.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define SYNTH_METHOD "/scaiinfer.tts.v1.TtsNode/Synthesize"

typedef struct node_calls {
    ss_h2_client *h2;         /* every node call of this file */
    ss_grpc_evclient *bridge; /* gRPC C-core, for the worker's reconciler only; else NULL */
    char *authorization; /* "Bearer <node_call_token>" */
    busy_wait_queue *busy;
    bool shutting_down;
} node_calls;

struct gw_node_call {
    gw_server *gw;
    node_calls *nc;
    ss_h2_call *call;
    uint64_t conn_id;   /* the h2 connection c->call went out on (read at its start) */
    bool conn_reused;   /* that connection was already connected then */
    char address[160];
    uint8_t *req;       /* the packed request, kept for the one reconnect retry */
    size_t req_len;
    char *request_id;
    int timeout_ms;
    bool reconnected;   /* the fresh-connection retry was used */
    gw_node_events ev;
    void *user;
    gw_node_answer answer; /* the node's stream, checked (node_answer.h) */
    bool paused;
    /* the reference resend */
    char *voice_id;
    char *reference_key; /* NULL: a reference_required is passed on */
    bool reference_sent; /* the resend with the bytes was made */
    bool fetching;       /* the object is being read (no gRPC call meanwhile) */
    bool cancelled;      /* cancelled while fetching */
    uint8_t *ref_bytes;  /* what the audio thread read */
    size_t ref_len;
    char ref_err[256];
};

static int node_calls_init(gw_server *gw, bool bridge, char *err, size_t errlen)
{
    const ss_settings *s = gw->settings;
    const char *token = ss_credential_resolve(s, "node_call_token", s->node_call_token,
                                              SS_DEV_NODE_CALL_TOKEN, err, errlen);
    if (!token)
        return -1;
    node_calls *nc = calloc(1, sizeof *nc);
    size_t alen = strlen(token) + 8;
    char *auth = malloc(alen);
    if (!nc || !auth) {
        free(nc);
        free(auth);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(auth, alen, "Bearer %s", token);
    nc->authorization = auth;
    nc->busy = busy_wait_queue_new(gw->base, s->busy_queue_max);
    if (!nc->busy) {
        free(nc->authorization);
        free(nc);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nc->h2 = ss_h2_client_new(gw->base, 0, err, errlen);
    if (nc->h2 && s->node_resolver[0] && ss_h2_client_set_resolver(nc->h2, s->node_resolver, err, errlen) != 0) {
        ss_h2_client_free(nc->h2); /* err: node_resolver is not an address */
        nc->h2 = NULL;
    }
    if (nc->h2 && bridge)
        nc->bridge = ss_grpc_evclient_new(gw->base, err, errlen);
    if (!nc->h2 || (bridge && !nc->bridge)) {
        ss_h2_client_free(nc->h2);
        busy_wait_queue_free(nc->busy);
        free(nc->authorization);
        free(nc);
        return -1;
    }
    gw->node_calls = nc;
    return 0;
}

int gw_node_calls_init(gw_server *gw, char *err, size_t errlen)
{
    return node_calls_init(gw, true, err, errlen);
}

int gw_node_calls_init_h2_only(gw_server *gw, char *err, size_t errlen)
{
    return node_calls_init(gw, false, err, errlen);
}

void gw_node_calls_shutdown(gw_server *gw)
{
    node_calls *nc = gw->node_calls;
    if (!nc)
        return;
    nc->shutting_down = true; /* no call starts from the callbacks below */
    busy_wait_queue_free(nc->busy); /* waiters answer busy */
    nc->busy = NULL;
    ss_h2_client_free(nc->h2);         /* ends every node call (their on_done run here) */
    ss_grpc_evclient_free(nc->bridge); /* the reconciler's EvictVoice calls */
    free(nc->authorization);
    free(nc);
    gw->node_calls = NULL;
}

busy_wait_queue *gw_node_busy_queue(gw_server *gw)
{
    node_calls *nc = gw->node_calls;
    return nc ? nc->busy : NULL;
}

static void answer_header(void *user, uint32_t sample_rate)
{
    gw_node_call *c = user;
    c->ev.on_header(c->user, sample_rate);
}

static void answer_audio(void *user, const int16_t *pcm, size_t samples)
{
    gw_node_call *c = user;
    c->ev.on_audio(c->user, pcm, samples);
}

/* A message of the answer: read against the contract. The first broken
 * rule cancels the call (the node stops); report() says why. */
static void on_message(void *user, const uint8_t *msg, size_t len)
{
    gw_node_call *c = user;
    if (c->answer.status != GW_NODE_ANSWER_OK)
        return; /* already cancelled: nothing more is passed on */
    if (gw_node_answer_feed(&c->answer, msg, len) == GW_NODE_ANSWER_OK)
        return;
    ss_warn(c->request_id, "node %s: %s; cancelling the call", c->address, gw_node_answer_why(&c->answer));
    if (c->call)
        ss_h2_call_cancel(c->call);
}

static void call_free(gw_node_call *c)
{
    gw_node_answer_release(&c->answer);
    free(c->req);
    free(c->request_id);
    free(c->voice_id);
    free(c->reference_key);
    free(c->ref_bytes);
    free(c);
}

static int call_send(gw_node_call *c, char *err, size_t errlen);

/* A node restarted on the same address: the connection may still be the old
 * process's (lost, or GOAWAY with this stream above its last-stream-id) and
 * fail the call UNAVAILABLE. Such a call, before any byte of its answer and
 * only when it went out on a connection already connected at its start
 * (a call that opened its connection failed on a fresh one already: a name
 * that does not resolve, a refused connect would only fail again), is
 * sent once more on a fresh connection (the connection the call was on is
 * retired first, in case it still looks alive; only that one: when several
 * calls fail on it at once, the first retry's new connection serves the
 * others' retries too). A draining node's own UNAVAILABLE is not retried. */
static bool retried_on_fresh_connection(gw_node_call *c, grpc_status_code code, const char *msg)
{
    if (code != GRPC_STATUS_UNAVAILABLE || !c->conn_reused || c->reconnected || c->answer.samples ||
        c->answer.sample_rate || c->nc->shutting_down || (msg && !strcmp(msg, "draining")))
        return false;
    c->reconnected = true;
    ss_h2_client_retire_connection(c->nc->h2, c->conn_id);
    char err[256];
    if (call_send(c, err, sizeof err) != 0) {
        ss_warn(c->request_id, "node %s: reconnecting failed: %s", c->address, err);
        return false;
    }
    ss_info(c->request_id, "node %s: UNAVAILABLE on its connection (%s); retried on a fresh one",
            c->address, msg ? msg : "");
    return true;
}

static void report(gw_node_call *c, grpc_status_code code, const char *msg);
static bool reference_fetch_started(gw_node_call *c, grpc_status_code code, const char *msg);

static void on_status(void *user, grpc_status_code code, const char *msg)
{
    gw_node_call *c = user;
    c->call = NULL;
    if (retried_on_fresh_connection(c, code, msg) || reference_fetch_started(c, code, msg))
        return;
    report(c, code, msg);
}

/* Audio thread: reads the reference object. */
static void reference_fetch_run(void *arg)
{
    gw_node_call *c = arg;
    ss_object_status st = ss_object_get(c->gw->objects, c->reference_key, SS_AUDIO_MAX_BYTES, &c->ref_bytes,
                                        &c->ref_len, c->ref_err, sizeof c->ref_err);
    if (st != SS_OBJECT_OK) {
        free(c->ref_bytes);
        c->ref_bytes = NULL;
    }
}

/* The request packed again, with the reference bytes. 0, or -1 + err. */
static int repack_with_reference(gw_node_call *c, char *err, size_t errlen)
{
    Scaiinfer__Tts__V1__SynthesizeRequest *m =
        scaiinfer__tts__v1__synthesize_request__unpack(NULL, c->req_len, c->req);
    if (!m || !m->voice) {
        if (m)
            scaiinfer__tts__v1__synthesize_request__free_unpacked(m, NULL);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ProtobufCBinaryData kept = m->voice->reference_audio;
    m->voice->reference_audio.data = c->ref_bytes;
    m->voice->reference_audio.len = c->ref_len;
    size_t len = scaiinfer__tts__v1__synthesize_request__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf)
        scaiinfer__tts__v1__synthesize_request__pack(m, buf);
    m->voice->reference_audio = kept;
    scaiinfer__tts__v1__synthesize_request__free_unpacked(m, NULL);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(c->req);
    c->req = buf;
    c->req_len = len;
    free(c->ref_bytes); /* packed into the request now */
    c->ref_bytes = NULL;
    return 0;
}

/* Loop thread: the object was read (or not); the same request goes to the
 * same node with the bytes. */
static void reference_fetch_done(void *arg)
{
    gw_node_call *c = arg;
    c->fetching = false;
    if (c->cancelled) {
        report(c, GRPC_STATUS_CANCELLED, "cancelled");
        return;
    }
    if (!c->gw->node_calls || c->nc->shutting_down) {
        report(c, GRPC_STATUS_UNAVAILABLE, "the gateway is shutting down");
        return;
    }
    char msg[400], err[256];
    if (!c->ref_bytes) {
        snprintf(msg, sizeof msg, "reference_unavailable: voice %s's reference cannot be read: %s", c->voice_id,
                 c->ref_err);
        ss_error(c->request_id, "node %s: %s", c->address, msg);
        report(c, GRPC_STATUS_FAILED_PRECONDITION, msg);
        return;
    }
    size_t bytes = c->ref_len;
    if (repack_with_reference(c, err, sizeof err) != 0 || call_send(c, err, sizeof err) != 0) {
        snprintf(msg, sizeof msg, "resending with the reference failed: %s", err);
        report(c, GRPC_STATUS_UNAVAILABLE, msg);
        return;
    }
    ss_info(c->request_id, "node %s: reference_required for voice %s; resent with its reference (%zu bytes)",
            c->address, c->voice_id, bytes);
}

/* A cache miss on the node (NODE.md): read the reference and send again. */
static bool reference_fetch_started(gw_node_call *c, grpc_status_code code, const char *msg)
{
    if (code != GRPC_STATUS_FAILED_PRECONDITION || !msg || strcmp(msg, GW_NODE_REFERENCE_REQUIRED) ||
        !c->reference_key || c->reference_sent || c->answer.samples || c->answer.sample_rate || c->nc->shutting_down ||
        !c->gw->objects)
        return false;
    c->reference_sent = true;
    c->fetching = true;
    if (ss_loop_pool_submit(c->gw->audio_pool, reference_fetch_run, reference_fetch_done, c) != 0) {
        c->fetching = false;
        report(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory (reading the voice's reference)");
        return true;
    }
    return true;
}

/* The call's end, to its owner; frees the call. */
static void report(gw_node_call *c, grpc_status_code code, const char *msg)
{
    gw_node_answer *a = &c->answer;
    if (code == GRPC_STATUS_OK)
        gw_node_answer_finish(a);
    char why[sizeof a->why + 64];
    gw_node_result res = {
        .code = code,
        .message = msg ? msg : "",
        .got_audio = a->samples > 0,
        .sample_rate = a->sample_rate,
        .words = a->words,
        .phonemes = a->phonemes,
    };
    /* The reader's verdict wins over the status: a call it cancelled ends
     * CANCELLED, and a node may end OK after a broken stream. */
    if (a->status == GW_NODE_ANSWER_NO_MEMORY) {
        res.code = GRPC_STATUS_RESOURCE_EXHAUSTED;
        snprintf(why, sizeof why, "out of memory (the gateway could not keep the node's stream): %s",
                 gw_node_answer_why(a));
        res.message = why;
    } else if (a->status == GW_NODE_ANSWER_MALFORMED) {
        res.code = GRPC_STATUS_INTERNAL;
        snprintf(why, sizeof why, "the node's stream was malformed: %s", gw_node_answer_why(a));
        res.message = why;
    }
    if (res.code != GRPC_STATUS_RESOURCE_EXHAUSTED && c->gw->node_calls)
        busy_wait_slot_freed(c->nc->busy); /* a slot of some node is free again */
    c->ev.on_done(c->user, &res);
    call_free(c);
}

/* Starts the call on the address's connection (opened when there is
 * none). 0, or -1 + err. */
static int call_send(gw_node_call *c, char *err, size_t errlen)
{
    node_calls *nc = c->nc;
    ss_grpc_metadata md = {.authorization = nc->authorization, .request_id = c->request_id};
    c->call = ss_h2_call_start(nc->h2, c->address, SYNTH_METHOD, &md, c->timeout_ms, c->req, c->req_len, true,
                               on_message, on_status, c, err, errlen);
    if (!c->call)
        return -1;
    c->conn_id = ss_h2_call_connection(c->call); /* the handle is gone after on_status */
    c->conn_reused = ss_h2_call_reused_connection(c->call);
    if (c->paused) /* a retry or resend of a paused call stays paused */
        ss_h2_call_pause(c->call);
    return 0;
}

gw_node_call *gw_node_call_start(gw_server *gw, const char *address, const gw_node_request *req,
                                 const gw_node_events *ev, void *user, char *err, size_t errlen)
{
    node_calls *nc = gw->node_calls;
    if (!nc || nc->shutting_down) {
        snprintf(err, errlen, "the gateway is shutting down");
        return NULL;
    }
    Scaiinfer__Tts__V1__SynthesizeRequest m = SCAIINFER__TTS__V1__SYNTHESIZE_REQUEST__INIT;
    Scaiinfer__Tts__V1__VoiceSpec voice = SCAIINFER__TTS__V1__VOICE_SPEC__INIT;
    m.request_id = (char *)req->request_id;
    m.engine_id = (char *)req->engine_id;
    m.text = (char *)req->text;
    Scaiinfer__Tts__V1__VoiceDesign design = SCAIINFER__TTS__V1__VOICE_DESIGN__INIT;
    voice.voice_id = (char *)req->voice_id;
    voice.reference_sha256 = (char *)(req->reference_sha256 ? req->reference_sha256 : "");
    if (req->reference_audio && req->reference_audio_len) {
        voice.reference_audio.data = (uint8_t *)req->reference_audio;
        voice.reference_audio.len = req->reference_audio_len;
    }
    if (req->design_prompt && req->design_prompt[0]) {
        design.prompt = (char *)req->design_prompt;
        voice.design = &design;
    }
    m.voice = &voice;
    m.sample_rate = req->sample_rate;
    m.speed = req->speed;
    m.pitch = req->pitch;
    m.want_timestamps = req->want_timestamps;
    m.chunk_ms = req->chunk_ms;
    size_t len = scaiinfer__tts__v1__synthesize_request__get_packed_size(&m);
    static const gw_node_answer_events answer_events = {answer_header, answer_audio};
    gw_node_call *c = calloc(1, sizeof *c);
    bool answer_ok = false;
    if (c) {
        answer_ok = gw_node_answer_init(&c->answer, &answer_events, c) == 0;
        c->req = malloc(len ? len : 1);
        c->request_id = strdup(req->request_id ? req->request_id : "");
        c->voice_id = strdup(req->voice_id ? req->voice_id : "");
        c->reference_key = req->reference_key && req->reference_sha256 ? strdup(req->reference_key) : NULL;
    }
    if (!c || !answer_ok || !c->req || !c->request_id || !c->voice_id ||
        (req->reference_key && req->reference_sha256 && !c->reference_key)) {
        if (c)
            call_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    scaiinfer__tts__v1__synthesize_request__pack(&m, c->req);
    c->req_len = len;
    c->gw = gw;
    c->nc = nc;
    c->reference_sent = req->reference_audio && req->reference_audio_len; /* nothing more to send */
    c->ev = *ev;
    c->user = user;
    c->timeout_ms = req->timeout_ms;
    snprintf(c->address, sizeof c->address, "%s", address);
    if (call_send(c, err, errlen) != 0) {
        call_free(c);
        return NULL;
    }
    return c;
}

void gw_node_call_cancel(gw_node_call *c)
{
    if (c && c->call)
        ss_h2_call_cancel(c->call);
    else if (c && c->fetching)
        c->cancelled = true; /* reported when the read hands back */
}

/* While the reference is read (no HTTP/2 call) only the flag changes; the
 * resend starts paused when it is set. */
void gw_node_call_pause(gw_node_call *c)
{
    if (c && !c->paused) {
        c->paused = true;
        if (c->call)
            ss_h2_call_pause(c->call);
    }
}

void gw_node_call_resume(gw_node_call *c)
{
    if (c && c->paused) {
        c->paused = false;
        if (c->call)
            ss_h2_call_resume(c->call); /* what waits is delivered from the loop */
    }
}

ss_grpc_evclient *gw_node_calls_client(gw_server *gw)
{
    return gw->node_calls && !gw->node_calls->shutting_down ? gw->node_calls->bridge : NULL;
}

ss_h2_client *gw_node_calls_h2(gw_server *gw)
{
    return gw->node_calls && !gw->node_calls->shutting_down ? gw->node_calls->h2 : NULL;
}

const char *gw_node_calls_authorization(gw_server *gw)
{
    return gw->node_calls ? gw->node_calls->authorization : NULL;
}
