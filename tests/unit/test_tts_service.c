/* Unit tests for node/tts_service (the TtsNode service), in-process over
 * real gRPC on loopback. The service is driven through a small tone
 * engine defined here (a real ss_node_engine implementation: the node's
 * streaming, admission, cancellation and voice-cache paths run unchanged).
 * The heartbeat client has its own suite (test_heartbeat_client.c). */
#include "common/grpc_client.h"
#include "common/grpc_server.h"
#include "node/node_state.h"
#include "node/tts_service.h"
#include "proto/tts_node.pb-c.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* a reference digest as the gateway sends it: 64 hex digits */
#define DIGEST_1 "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"

/* --- the tone engine: text "N,ms" = N pieces of 100 ms, ms apart; "invalid";
 * "ref" = needs a cached reference (voice id + digest). */

static atomic_int engine_running;

static ss_node_synth_status tone_synthesize(ss_node_engine *e, const ss_node_synth_request *req,
                                       const ss_node_synth_sink *sink, char *err, size_t errlen)
{
    (void)e;
    if (strcmp(req->text, "invalid") == 0) {
        snprintf(err, errlen, "cannot read that text");
        return SS_NODE_SYNTH_INVALID;
    }
    int pieces = 1, gap_ms = 0;
    if (strcmp(req->text, "ref") == 0) {
        ss_voice_entry *v = ss_voice_cache_acquire(req->voices, req->voice_id, req->reference_sha256);
        if (v) {
            ss_voice_cache_release(req->voices, v);
        } else if (req->reference_audio_len > 0) {
            ss_voice_cache_put(req->voices, req->voice_id, req->reference_sha256, NULL, NULL);
        } else {
            return SS_NODE_SYNTH_REFERENCE_REQUIRED;
        }
    } else if (sscanf(req->text, "%d,%d", &pieces, &gap_ms) < 1) {
        snprintf(err, errlen, "text must be N,ms");
        return SS_NODE_SYNTH_INVALID;
    }
    atomic_fetch_add(&engine_running, 1);
    int16_t pcm[1600];
    ss_node_synth_status st = SS_NODE_SYNTH_OK;
    for (int i = 0; i < pieces && st == SS_NODE_SYNTH_OK; i++) {
        for (int k = 0; k < 1600; k++)
            pcm[k] = (int16_t)(i + 1);
        if (sink->audio(sink->user, pcm, 1600, (uint64_t)i * 1600, i + 1 == pieces) != 0)
            st = SS_NODE_SYNTH_CANCELLED;
        for (int t = 0; t < gap_ms && st == SS_NODE_SYNTH_OK; t += 5) {
            if (sink->cancelled(sink->user))
                st = SS_NODE_SYNTH_CANCELLED;
            usleep(5000);
        }
    }
    if (st == SS_NODE_SYNTH_OK && req->want_timestamps) {
        ss_word_timing w = {"tone", 0, 100, 0, 4};
        ss_phoneme_timing p = {"t", 0, 50};
        if (sink->alignment(sink->user, &w, 1, &p, 1) != 0)
            st = SS_NODE_SYNTH_CANCELLED;
    }
    atomic_fetch_sub(&engine_running, 1);
    return st;
}

static ss_node_engine tone_engine = {
    .info = {"tone", "test", "1", 16000},
    .synthesize = tone_synthesize,
};

/* --- fixture: node + server + libevent client */

typedef struct {
    ss_node node;
    ss_node_engine *engines[1];
    ss_grpc_server *srv;
    ss_grpc_channel *ch;
    struct event_base *base;
    ss_grpc_evclient *cl;
} fixture;

static void fixture_up(fixture *f, int slots, int depth, bool with_engine)
{
    memset(f, 0, sizeof *f);
    char err[256];
    snprintf(f->node.node_id, sizeof f->node.node_id, "test-node");
    snprintf(f->node.address, sizeof f->node.address, "127.0.0.1:1");
    snprintf(f->node.kernels, sizeof f->node.kernels, "cpu");
    f->node.slots = slots;
    f->node.queue_depth = depth;
    f->node.default_chunk_ms = 200;
    f->node.heartbeat_interval_ms = 100;
    f->engines[0] = &tone_engine;
    f->node.engines = with_engine ? f->engines : NULL;
    f->node.nengines = with_engine ? 1 : 0;
    f->node.voices = ss_voice_cache_new();
    f->node.pool = ss_work_pool_new(slots, depth, err, sizeof err);
    atomic_init(&f->node.draining, false);
    cr_assert_not_null(f->node.pool, "%s", err);
    f->srv = ss_grpc_server_new("127.0.0.1:0", err, sizeof err);
    cr_assert_not_null(f->srv, "%s", err);
    cr_assert_eq(ss_tts_service_register(f->srv, &f->node, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_grpc_server_start(f->srv, 2, err, sizeof err), 0, "%s", err);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", ss_grpc_server_port(f->srv));
    f->ch = ss_grpc_channel_new(target, err, sizeof err);
    evthread_use_pthreads();
    f->base = event_base_new();
    f->cl = ss_grpc_evclient_new(f->base, err, sizeof err);
    cr_assert_not_null(f->cl, "%s", err);
}

static void fixture_down(fixture *f)
{
    ss_grpc_evclient_free(f->cl);
    event_base_free(f->base);
    ss_grpc_channel_free(f->ch);
    ss_grpc_server_free(f->srv);
    ss_work_pool_free(f->node.pool);
    ss_voice_cache_free(f->node.voices);
}

typedef struct {
    struct event_base *base;
    Scaiinfer__Tts__V1__SynthesizeChunk *chunks[64];
    int n;
    bool ended;
    grpc_status_code code;
    char msg[256];
    ss_grpc_evcall *call;
} stream_result;

static void on_chunk(void *user, const uint8_t *m, size_t len)
{
    stream_result *r = user;
    Scaiinfer__Tts__V1__SynthesizeChunk *c = scaiinfer__tts__v1__synthesize_chunk__unpack(NULL, len, m);
    cr_assert_not_null(c, "undecodable chunk");
    if (r->n < 64)
        r->chunks[r->n++] = c;
    else
        scaiinfer__tts__v1__synthesize_chunk__free_unpacked(c, NULL);
}

static void on_end(void *user, grpc_status_code code, const char *msg)
{
    stream_result *r = user;
    r->ended = true;
    r->code = code;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
}

static void result_free(stream_result *r)
{
    for (int i = 0; i < r->n; i++)
        scaiinfer__tts__v1__synthesize_chunk__free_unpacked(r->chunks[i], NULL);
}

static void start_synth(fixture *f, stream_result *r, const char *text, uint32_t chunk_ms,
                        const char *voice_id, const char *digest, bool with_bytes, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    r->base = f->base;
    Scaiinfer__Tts__V1__SynthesizeRequest req = SCAIINFER__TTS__V1__SYNTHESIZE_REQUEST__INIT;
    Scaiinfer__Tts__V1__VoiceSpec voice = SCAIINFER__TTS__V1__VOICE_SPEC__INIT;
    req.request_id = "req_unit";
    req.engine_id = "tone";
    req.text = (char *)text;
    req.chunk_ms = chunk_ms;
    req.want_timestamps = 1;
    if (voice_id) {
        voice.voice_id = (char *)voice_id;
        voice.reference_sha256 = (char *)digest;
        if (with_bytes) {
            voice.reference_audio.data = (uint8_t *)"RIFF";
            voice.reference_audio.len = 4;
        }
        req.voice = &voice;
    }
    uint8_t buf[512];
    size_t len = scaiinfer__tts__v1__synthesize_request__pack(&req, buf);
    char err[256];
    r->call = ss_grpc_evcall_start(f->cl, f->ch, SS_TTS_METHOD_SYNTHESIZE, NULL, timeout_ms, buf, len,
                                   true, on_chunk, on_end, r, err, sizeof err);
    cr_assert_not_null(r->call, "%s", err);
}

static void pump(fixture *f, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(f->base, &tv);
    event_base_dispatch(f->base);
}

static void pump_until_ended(fixture *f, stream_result *r, int max_ms)
{
    for (int t = 0; t < max_ms && !r->ended; t += 20)
        pump(f, 20);
    cr_assert(r->ended, "the call did not end within %d ms", max_ms);
}

Test(tts_service, streams_header_audio_alignment_done)
{
    fixture f;
    fixture_up(&f, 2, 2, true);
    stream_result r;
    start_synth(&f, &r, "3,0", 50, NULL, NULL, false, 5000);
    pump_until_ended(&f, &r, 3000);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%d %s", r.code, r.msg);
    /* header, 3 pieces x 2 chunks of 50 ms, alignment, done */
    cr_assert_eq(r.n, 1 + 6 + 1 + 1, "got %d chunks", r.n);
    cr_assert_eq(r.chunks[0]->kind_case, SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_HEADER);
    cr_assert_str_eq(r.chunks[0]->header->node_id, "test-node");
    cr_assert_str_eq(r.chunks[0]->header->engine_id, "tone");
    cr_assert_str_eq(r.chunks[0]->header->kernels, "cpu");
    cr_assert_eq(r.chunks[0]->header->sample_rate, 16000);
    uint64_t next = 0;
    for (int i = 1; i <= 6; i++) {
        cr_assert_eq(r.chunks[i]->kind_case, SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_AUDIO);
        cr_assert_eq(r.chunks[i]->audio->start_sample, next);
        cr_assert_eq(r.chunks[i]->audio->pcm.len, 800 * 2);
        int16_t first;
        memcpy(&first, r.chunks[i]->audio->pcm.data, 2);
        cr_assert_eq(first, (i + 1) / 2, "chunk %d carries the wrong piece", i);
        next += 800;
    }
    cr_assert_eq(r.chunks[7]->kind_case, SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_ALIGNMENT);
    cr_assert_str_eq(r.chunks[7]->alignment->words[0]->text, "tone");
    cr_assert_eq(r.chunks[8]->kind_case, SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_DONE);
    cr_assert_eq(r.chunks[8]->done->samples, 4800);
    result_free(&r);
    fixture_down(&f);
}

Test(tts_service, full_node_is_resource_exhausted_and_cancel_stops_work)
{
    fixture f;
    fixture_up(&f, 1, 1, true);
    stream_result a, b, c;
    start_synth(&f, &a, "100,20", 0, NULL, NULL, false, 10000);
    start_synth(&f, &b, "100,20", 0, NULL, NULL, false, 10000);
    for (int i = 0; i < 50 && a.n + b.n == 0; i++)
        pump(&f, 20);
    cr_assert_gt(a.n + b.n, 0, "no call started");
    cr_assert(a.n == 0 || b.n == 0, "two calls ran on one slot");
    cr_assert_eq(ss_node_in_flight(&f.node), 2);
    start_synth(&f, &c, "1,0", 0, NULL, NULL, false, 5000);
    pump_until_ended(&f, &c, 1000);
    cr_assert_eq(c.code, GRPC_STATUS_RESOURCE_EXHAUSTED, "%d %s", c.code, c.msg);
    cr_assert(strstr(c.msg, "busy") != NULL, "%s", c.msg);

    ss_grpc_evcall_cancel(a.call);
    ss_grpc_evcall_cancel(b.call);
    pump_until_ended(&f, &a, 1000);
    pump_until_ended(&f, &b, 1000);
    cr_assert_eq(a.code, GRPC_STATUS_CANCELLED);
    cr_assert_eq(b.code, GRPC_STATUS_CANCELLED);
    for (int i = 0; i < 50 && ss_node_in_flight(&f.node) > 0; i++)
        usleep(10000);
    cr_assert_eq(ss_node_in_flight(&f.node), 0, "cancelled work did not stop");
    cr_assert_eq(atomic_load(&engine_running), 0);
    result_free(&a);
    result_free(&b);
    result_free(&c);
    fixture_down(&f);
}

Test(tts_service, deadline_stops_the_engine)
{
    fixture f;
    fixture_up(&f, 1, 0, true);
    stream_result r;
    start_synth(&f, &r, "100,20", 0, NULL, NULL, false, 250);
    pump_until_ended(&f, &r, 2000);
    cr_assert_eq(r.code, GRPC_STATUS_DEADLINE_EXCEEDED, "%d %s", r.code, r.msg);
    cr_assert_gt(r.n, 0);
    for (int i = 0; i < 50 && ss_node_in_flight(&f.node) > 0; i++)
        usleep(10000);
    cr_assert_eq(ss_node_in_flight(&f.node), 0, "the engine kept running after the deadline");
    result_free(&r);
    fixture_down(&f);
}

Test(tts_service, errors_draining_and_no_engine)
{
    fixture f;
    fixture_up(&f, 1, 1, true);
    stream_result r;
    start_synth(&f, &r, "invalid", 0, NULL, NULL, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_INVALID_ARGUMENT);
    cr_assert_str_eq(r.msg, "cannot read that text");
    result_free(&r);
    start_synth(&f, &r, "", 0, NULL, NULL, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_INVALID_ARGUMENT);
    cr_assert_str_eq(r.msg, "text is empty");
    result_free(&r);

    ss_node_set_draining(&f.node, "test");
    start_synth(&f, &r, "1,0", 0, NULL, NULL, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_UNAVAILABLE);
    cr_assert_str_eq(r.msg, "draining");
    result_free(&r);
    fixture_down(&f);

    fixture_up(&f, 1, 1, false);
    start_synth(&f, &r, "1,0", 0, NULL, NULL, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_FAILED_PRECONDITION);
    cr_assert_str_eq(r.msg, "no engine loaded");
    result_free(&r);
    fixture_down(&f);
}

static grpc_status_code evict(fixture *f, const char *voice, bool *was_cached)
{
    Scaiinfer__Tts__V1__EvictVoiceRequest q = SCAIINFER__TTS__V1__EVICT_VOICE_REQUEST__INIT;
    q.voice_id = (char *)voice;
    uint8_t buf[128];
    size_t len = scaiinfer__tts__v1__evict_voice_request__pack(&q, buf);
    uint8_t *resp = NULL;
    size_t rl = 0;
    char msg[128];
    grpc_status_code code = ss_grpc_unary_call(f->ch, SS_TTS_METHOD_EVICT_VOICE, NULL, 2000, buf, len,
                                               &resp, &rl, msg, sizeof msg);
    if (code == GRPC_STATUS_OK) {
        Scaiinfer__Tts__V1__EvictVoiceResponse *r =
            scaiinfer__tts__v1__evict_voice_response__unpack(NULL, rl, resp);
        cr_assert_not_null(r);
        cr_assert(r->evicted);
        *was_cached = r->was_cached;
        scaiinfer__tts__v1__evict_voice_response__free_unpacked(r, NULL);
    }
    free(resp);
    return code;
}

Test(tts_service, reference_required_then_cached_then_evicted)
{
    fixture f;
    fixture_up(&f, 1, 1, true);
    stream_result r;
    start_synth(&f, &r, "ref", 0, "vc_1", DIGEST_1, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_FAILED_PRECONDITION);
    cr_assert_str_eq(r.msg, "reference_required");
    result_free(&r);
    start_synth(&f, &r, "ref", 0, "vc_1", DIGEST_1, true, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "%s", r.msg);
    result_free(&r);
    start_synth(&f, &r, "ref", 0, "vc_1", DIGEST_1, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_OK, "cached voice not used: %s", r.msg);
    result_free(&r);

    bool was = false;
    cr_assert_eq(evict(&f, "vc_1", &was), GRPC_STATUS_OK);
    cr_assert(was);
    cr_assert_eq(evict(&f, "vc_1", &was), GRPC_STATUS_OK);
    cr_assert_not(was);
    cr_assert_eq(evict(&f, "", &was), GRPC_STATUS_INVALID_ARGUMENT);
    start_synth(&f, &r, "ref", 0, "vc_1", DIGEST_1, false, 2000);
    pump_until_ended(&f, &r, 1000);
    cr_assert_eq(r.code, GRPC_STATUS_FAILED_PRECONDITION, "evicted voice still used");
    result_free(&r);
    fixture_down(&f);
}
