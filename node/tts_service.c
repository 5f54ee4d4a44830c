/* TtsNode service (see tts_service.h).
 *
 * Synthesize runs in two halves. On the gRPC server thread the request is
 * decoded and checked (bad bytes or fields, text over 100 000 characters, an
 * engine_id this node does not serve, or values outside the engine's own
 * limits: INVALID_ARGUMENT; draining: UNAVAILABLE; no engine at all:
 * FAILED_PRECONDITION) and admitted into the work pool (full:
 * RESOURCE_EXHAUSTED). On a worker thread the engine runs; its
 * sink sends a header before the first audio, splits what it gets into
 * chunks of at most chunk_ms and writes them at once, and a Done message at
 * the end. Of the messages made from one piece of engine output (a phrase,
 * or the first chunk), all but the last are written with gRPC's buffer hint
 * and leave with the last, whose write blocks until it is sent: that is the
 * flow control, and a stalled reader holds at most one piece in the node
 * (2026-12-06: one wake-up of the node's writer and of the gateway's reader
 * per piece instead of per message; docs/PERFORMANCE.md). A cancelled call
 * (client, deadline, drain) makes the sink answer "stop" and the engine
 * return within one chunk.
 *
 * Every log line of a call carries its request id: the request's field, else
 * the x-request-id metadata, else a fresh req_ id. */
#include "node/tts_service.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/synth_limits.h"
#include "node/clone_voice.h"
#include "node/synth_request_check.h"
#include "proto/tts_node.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double RTF_BUCKETS[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5};

typedef struct {
    ss_metric *in_flight, *waiting, *first_chunk, *rtf;
} service_metrics;

static service_metrics g_metrics; /* process-wide series handles, set at register */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count_request(const char *method, grpc_status_code code)
{
    char labels[128];
    snprintf(labels, sizeof labels, "method=\"%s\",code=\"%s\"", method, ss_grpc_status_name(code));
    ss_metrics_counter_add("scaispeak_node_requests_total", "TtsNode calls by method and status",
                           labels, 1);
}

/* The in-flight and queue gauges move by paired additions (admitted: both +1;
 * a worker takes the job: queue -1; the job ends: in-flight -1). Reading the
 * pool's counts from inside a job would count the ending job itself and
 * leave the gauge at 1 on an idle node. */
static void gauges_admitted(void)
{
    ss_metric_add(g_metrics.in_flight, 1);
    ss_metric_add(g_metrics.waiting, 1);
}

static void gauges_started(void)
{
    ss_metric_add(g_metrics.waiting, -1);
}

static void gauges_ended(void)
{
    ss_metric_add(g_metrics.in_flight, -1);
}

static void resolve_request_id(const char *from_request, const char *from_metadata,
                               char *out, size_t cap)
{
    if (from_request && *from_request && ss_request_id_acceptable(from_request))
        snprintf(out, cap, "%s", from_request);
    else if (from_metadata && ss_request_id_acceptable(from_metadata))
        snprintf(out, cap, "%s", from_metadata);
    else if (ss_id_new("req_", 20, out, cap) != 0)
        snprintf(out, cap, "req_unknown");
}

/* --- ListEngines */

static grpc_status_code list_engines(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                                     size_t len, uint8_t **resp, size_t *resp_len, char *msg,
                                     size_t msglen)
{
    ss_node *node = user;
    char rid[SS_REQUEST_ID_MAX + 1];
    resolve_request_id(NULL, info->request_id, rid, sizeof rid);
    Scaiinfer__Tts__V1__ListEnginesRequest *r =
        scaiinfer__tts__v1__list_engines_request__unpack(NULL, len, req);
    if (!r) {
        snprintf(msg, msglen, "malformed ListEnginesRequest");
        count_request("ListEngines", GRPC_STATUS_INVALID_ARGUMENT);
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    scaiinfer__tts__v1__list_engines_request__free_unpacked(r, NULL);

    Scaiinfer__Tts__V1__ListEnginesResponse out = SCAIINFER__TTS__V1__LIST_ENGINES_RESPONSE__INIT;
    Scaiinfer__Tts__V1__EngineInfo *infos = calloc(node->nengines ? node->nengines : 1, sizeof *infos);
    Scaiinfer__Tts__V1__EngineInfo **ptrs = calloc(node->nengines ? node->nengines : 1, sizeof *ptrs);
    if (!infos || !ptrs) {
        free(infos);
        free(ptrs);
        snprintf(msg, msglen, "out of memory");
        count_request("ListEngines", GRPC_STATUS_RESOURCE_EXHAUSTED);
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    }
    for (size_t i = 0; i < node->nengines; i++) {
        Scaiinfer__Tts__V1__EngineInfo ei = SCAIINFER__TTS__V1__ENGINE_INFO__INIT;
        ss_engine_info *src = &node->engines[i]->info;
        ei.engine_id = src->engine_id;
        ei.kind = src->kind;
        ei.version = src->version;
        ei.sample_rate = src->sample_rate;
        ei.gender = src->gender;
        ei.accent = src->accent;
        ei.language = src->language;
        infos[i] = ei;
        ptrs[i] = &infos[i];
    }
    out.n_engines = node->nengines;
    out.engines = ptrs;
    size_t n = scaiinfer__tts__v1__list_engines_response__get_packed_size(&out);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf)
        scaiinfer__tts__v1__list_engines_response__pack(&out, buf);
    free(infos);
    free(ptrs);
    if (!buf) {
        snprintf(msg, msglen, "out of memory");
        count_request("ListEngines", GRPC_STATUS_RESOURCE_EXHAUSTED);
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    }
    *resp = buf;
    *resp_len = n;
    ss_debug(rid, "ListEngines from %s: %zu engine(s)", info->peer, node->nengines);
    count_request("ListEngines", GRPC_STATUS_OK);
    return GRPC_STATUS_OK;
}

/* --- EvictVoice */

static grpc_status_code evict_voice(void *user, const ss_grpc_call_info *info, const uint8_t *req,
                                    size_t len, uint8_t **resp, size_t *resp_len, char *msg,
                                    size_t msglen)
{
    ss_node *node = user;
    char rid[SS_REQUEST_ID_MAX + 1];
    resolve_request_id(NULL, info->request_id, rid, sizeof rid);
    Scaiinfer__Tts__V1__EvictVoiceRequest *r =
        scaiinfer__tts__v1__evict_voice_request__unpack(NULL, len, req);
    if (!r) {
        snprintf(msg, msglen, "malformed EvictVoiceRequest");
        count_request("EvictVoice", GRPC_STATUS_INVALID_ARGUMENT);
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    if (!r->voice_id[0]) {
        scaiinfer__tts__v1__evict_voice_request__free_unpacked(r, NULL);
        snprintf(msg, msglen, "voice_id is required");
        count_request("EvictVoice", GRPC_STATUS_INVALID_ARGUMENT);
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    bool was_cached = node->voices ? ss_voice_cache_evict(node->voices, r->voice_id) : false;
    for (size_t i = 0; i < node->nengines; i++)
        if (node->engines[i]->evict_voice)
            node->engines[i]->evict_voice(node->engines[i], r->voice_id);
    ss_info(rid, "EvictVoice %s: was_cached=%s", r->voice_id, was_cached ? "true" : "false");
    scaiinfer__tts__v1__evict_voice_request__free_unpacked(r, NULL);

    Scaiinfer__Tts__V1__EvictVoiceResponse out = SCAIINFER__TTS__V1__EVICT_VOICE_RESPONSE__INIT;
    out.evicted = 1;
    out.was_cached = was_cached;
    size_t n = scaiinfer__tts__v1__evict_voice_response__get_packed_size(&out);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        snprintf(msg, msglen, "out of memory");
        count_request("EvictVoice", GRPC_STATUS_RESOURCE_EXHAUSTED);
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    }
    scaiinfer__tts__v1__evict_voice_response__pack(&out, buf);
    *resp = buf;
    *resp_len = n;
    count_request("EvictVoice", GRPC_STATUS_OK);
    return GRPC_STATUS_OK;
}

/* --- Synthesize */

typedef struct {
    ss_node *node;
    ss_node_engine *engine;
    ss_grpc_stream *call;
    Scaiinfer__Tts__V1__SynthesizeRequest *req;
    char rid[SS_REQUEST_ID_MAX + 1];
    int64_t arrived_ms;
    int64_t deadline_unix_ms; /* the client's deadline, 0 = none */
    uint32_t rate;
    size_t chunk_samples;
    bool header_sent;
    bool write_failed;
    uint64_t samples;
    int64_t first_chunk_ms; /* -1 until the first audio chunk went out */
} synth_job;

static void job_free(synth_job *j)
{
    if (j->req)
        scaiinfer__tts__v1__synthesize_request__free_unpacked(j->req, NULL);
    free(j);
}

static void finish(ss_grpc_stream *call, const char *rid, grpc_status_code code,
                   const char *msg)
{
    if (code != GRPC_STATUS_OK)
        ss_info(rid, "Synthesize ends %s: %s", ss_grpc_status_name(code), msg ? msg : "");
    ss_grpc_stream_finish(call, code, msg);
    count_request("Synthesize", code);
}

/* Ends a call the engine stopped: DEADLINE_EXCEEDED when the client's
 * deadline has passed (so the log and the metrics tell a deadline from a
 * client's cancel), else CANCELLED. */
static void finish_stopped(const synth_job *j)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    /* a call stopped after its first audio still says when that went out
     * (the first-chunk figure operators compare against the gateway's) */
    const bool late = j->deadline_unix_ms > 0 && now_unix_ms >= j->deadline_unix_ms;
    const char *what = late ? "deadline exceeded" : "cancelled";
    char why[96];
    if (j->first_chunk_ms >= 0)
        snprintf(why, sizeof why, "%s after %llu samples, first chunk %lld ms", what,
                 (unsigned long long)j->samples, (long long)j->first_chunk_ms);
    else
        snprintf(why, sizeof why, "%s", what);
    finish(j->call, j->rid, late ? GRPC_STATUS_DEADLINE_EXCEEDED : GRPC_STATUS_CANCELLED, why);
}

/* Packs and writes one chunk (buffered: it may wait for the next write, see
 * ss_grpc_stream_write_buffered); -1 when the call is gone. */
static int write_chunk(synth_job *j, const Scaiinfer__Tts__V1__SynthesizeChunk *chunk, bool buffered)
{
    if (j->write_failed)
        return -1;
    size_t n = scaiinfer__tts__v1__synthesize_chunk__get_packed_size(chunk);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        ss_error(j->rid, "out of memory packing a chunk; stopping the call");
        j->write_failed = true;
        return -1;
    }
    scaiinfer__tts__v1__synthesize_chunk__pack(chunk, buf);
    int rc = buffered ? ss_grpc_stream_write_buffered(j->call, buf, n) : ss_grpc_stream_write(j->call, buf, n);
    free(buf);
    if (rc != 0)
        j->write_failed = true;
    return rc;
}

static int send_chunk(synth_job *j, const Scaiinfer__Tts__V1__SynthesizeChunk *chunk)
{
    return write_chunk(j, chunk, false);
}

/* The header goes out with what follows it (the first audio, alignment or
 * done chunk, always written right after): one read for the gateway instead
 * of a read of its own for 30 bytes. */
static int send_header(synth_job *j)
{
    if (j->header_sent)
        return 0;
    Scaiinfer__Tts__V1__ChunkHeader h = SCAIINFER__TTS__V1__CHUNK_HEADER__INIT;
    h.node_id = j->node->node_id;
    h.engine_id = j->engine->info.engine_id;
    h.sample_rate = j->rate;
    h.kernels = j->node->kernels;
    Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_HEADER;
    c.header = &h;
    j->header_sent = true;
    return write_chunk(j, &c, true);
}

static bool sink_cancelled(void *user)
{
    synth_job *j = user;
    return j->write_failed || ss_grpc_stream_cancelled(j->call);
}

static int sink_audio(void *user, const int16_t *pcm, size_t n, uint64_t start_sample, bool last)
{
    synth_job *j = user;
    if (sink_cancelled(j) || send_header(j) != 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        size_t take = n - off < j->chunk_samples ? n - off : j->chunk_samples;
        /* s16le on the wire; this node only builds on little-endian hosts. */
        Scaiinfer__Tts__V1__AudioChunk a = SCAIINFER__TTS__V1__AUDIO_CHUNK__INIT;
        a.pcm.data = (uint8_t *)(pcm + off);
        a.pcm.len = take * sizeof(int16_t);
        a.start_sample = start_sample + off;
        Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
        c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_AUDIO;
        c.audio = &a;
        /* all but the last message of what the engine gave at once are
         * buffered: they leave together with the last one, which is the
         * blocking write (the flow control) of the batch. The call's last
         * audio is buffered whole: it leaves with the done chunk and the
         * status (or the timings), written right after it, in one write. */
        if (write_chunk(j, &c, last || off + take < n) != 0)
            return -1;
        off += take;
    }
    if (j->first_chunk_ms < 0) { /* the batch's last write sent its first message too */
        j->first_chunk_ms = now_ms() - j->arrived_ms;
        ss_metric_observe(g_metrics.first_chunk, (double)j->first_chunk_ms / 1000.0);
    }
    if (start_sample + n > j->samples)
        j->samples = start_sample + n;
    return 0;
}

static int sink_alignment(void *user, const ss_word_timing *words, size_t nwords,
                          const ss_phoneme_timing *phonemes, size_t nphonemes)
{
    synth_job *j = user;
    if (sink_cancelled(j) || send_header(j) != 0)
        return -1;
    Scaiinfer__Tts__V1__WordTiming *w = calloc(nwords ? nwords : 1, sizeof *w);
    Scaiinfer__Tts__V1__WordTiming **wp = calloc(nwords ? nwords : 1, sizeof *wp);
    Scaiinfer__Tts__V1__PhonemeTiming *p = calloc(nphonemes ? nphonemes : 1, sizeof *p);
    Scaiinfer__Tts__V1__PhonemeTiming **pp = calloc(nphonemes ? nphonemes : 1, sizeof *pp);
    int rc = -1;
    if (w && wp && p && pp) {
        for (size_t i = 0; i < nwords; i++) {
            Scaiinfer__Tts__V1__WordTiming t = SCAIINFER__TTS__V1__WORD_TIMING__INIT;
            t.text = (char *)words[i].text;
            t.start_ms = words[i].start_ms;
            t.end_ms = words[i].end_ms;
            t.char_start = words[i].char_start;
            t.char_end = words[i].char_end;
            w[i] = t;
            wp[i] = &w[i];
        }
        for (size_t i = 0; i < nphonemes; i++) {
            Scaiinfer__Tts__V1__PhonemeTiming t = SCAIINFER__TTS__V1__PHONEME_TIMING__INIT;
            t.symbol = (char *)phonemes[i].symbol;
            t.start_ms = phonemes[i].start_ms;
            t.end_ms = phonemes[i].end_ms;
            p[i] = t;
            pp[i] = &p[i];
        }
        Scaiinfer__Tts__V1__Alignment al = SCAIINFER__TTS__V1__ALIGNMENT__INIT;
        al.n_words = nwords;
        al.words = wp;
        al.n_phonemes = nphonemes;
        al.phonemes = pp;
        Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
        c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_ALIGNMENT;
        c.alignment = &al;
        rc = send_chunk(j, &c);
    } else {
        ss_error(j->rid, "out of memory packing an alignment; stopping the call");
        j->write_failed = true;
    }
    free(w);
    free(wp);
    free(p);
    free(pp);
    return rc;
}

/* The first_chunk_ms a call that starts now gets: the setting while no
 * call waits for a slot, else 0 (the first phrase whole). A loaded node is
 * where the rest of a phrase can come later than an early first chunk
 * lasts, an audible gap for a client that plays as audio comes (32
 * WebSocket sessions on the 2-core build box: up to 240 ms), while what it
 * saves is lost in the queueing anyway. */
static uint32_t early_first_chunk_ms(ss_node *node)
{
    int running = 0, waiting = 0;
    ss_work_pool_counts(node->pool, &running, &waiting);
    return waiting == 0 ? node->first_chunk_ms : 0;
}

/* The engine's view of a decoded request (strings point into r). */
static void fill_synth_request(ss_node *node, const char *rid,
                               const Scaiinfer__Tts__V1__SynthesizeRequest *r,
                               ss_node_synth_request *sr)
{
    *sr = (ss_node_synth_request){
        .request_id = rid,
        .text = r->text,
        .voice_id = r->voice ? r->voice->voice_id : "",
        .reference_sha256 = r->voice ? r->voice->reference_sha256 : "",
        .reference_audio = r->voice && r->voice->reference_audio.len ? r->voice->reference_audio.data : NULL,
        .reference_audio_len = r->voice ? r->voice->reference_audio.len : 0,
        .has_design = r->voice && r->voice->design,
        .sample_rate = r->sample_rate,
        .speed = r->speed == 0 ? 1.0f : r->speed,
        .pitch = r->pitch,
        .want_timestamps = r->want_timestamps,
        .chunk_ms = r->chunk_ms ? r->chunk_ms : node->default_chunk_ms,
        .voices = node->voices,
    };
    if (sr->has_design) {
        const Scaiinfer__Tts__V1__VoiceDesign *d = r->voice->design;
        sr->design = (ss_voice_design){d->f0_shift_semitones, d->f0_range_scale, d->alpha_shift,
                                       d->brightness, d->energy, d->rate_scale, d->prompt ? d->prompt : ""};
    }
}

/* A cloned voice (voice id + reference digest) asked of an engine that
 * clones: the node resolves it (clone_voice.h: the nearest base voice of
 * all its engines, cached) and the chosen base's engine speaks it, so the
 * job's engine, and its rate and chunk size when the request left the rate
 * to the engine, become that base's. *entry (NULL when the request is no
 * clone) is released by the caller. */
static ss_node_synth_status use_clone(synth_job *j, ss_node_synth_request *sr, ss_voice_entry **entry,
                                      char *err, size_t errlen)
{
    *entry = NULL;
    if (!sr->voice_id[0] || !sr->reference_sha256[0] || !ss_clone_capable(j->engine))
        return SS_NODE_SYNTH_OK;
    ss_node_synth_status st = ss_clone_voice_resolve(j->node->engines, j->node->nengines, sr, entry, err, errlen);
    if (st != SS_NODE_SYNTH_OK)
        return st;
    const ss_clone_voice *cv = ss_voice_entry_value(*entry);
    sr->clone = cv;
    if (cv->base != j->engine) {
        ss_info(j->rid, "voice %s: spoken by base engine %s (asked of %s)", sr->voice_id,
                cv->base->info.engine_id, j->engine->info.engine_id);
        j->engine = cv->base;
        if (!j->req->sample_rate) {
            j->rate = j->engine->info.sample_rate;
            j->chunk_samples = (size_t)j->rate * sr->chunk_ms / 1000;
            if (j->chunk_samples == 0)
                j->chunk_samples = 1;
        }
    }
    return SS_NODE_SYNTH_OK;
}

static void run_synthesis(void *arg)
{
    synth_job *j = arg;
    ss_node *node = j->node;
    gauges_started();
    const Scaiinfer__Tts__V1__SynthesizeRequest *r = j->req;
    int64_t started = now_ms();
    if (ss_grpc_stream_cancelled(j->call)) {
        finish(j->call, j->rid, GRPC_STATUS_CANCELLED, "cancelled while waiting for a slot");
        job_free(j);
        gauges_ended();
        return;
    }
    ss_node_synth_request sr;
    fill_synth_request(node, j->rid, r, &sr);
    sr.first_chunk_ms = early_first_chunk_ms(node);
    ss_node_synth_sink sink = {.user = j, .audio = sink_audio, .alignment = sink_alignment,
                          .cancelled = sink_cancelled};
    char err[256] = "";
    ss_voice_entry *clone_entry = NULL;
    ss_node_synth_status st = use_clone(j, &sr, &clone_entry, err, sizeof err);
    ss_info(j->rid, "Synthesize: engine %s, %zu bytes of text, voice %s, waited %lld ms",
            j->engine->info.engine_id, strlen(r->text), sr.voice_id[0] ? sr.voice_id : "-",
            (long long)(started - j->arrived_ms));
    if (st == SS_NODE_SYNTH_OK)
        st = j->engine->synthesize(j->engine, &sr, &sink, err, sizeof err);
    if (clone_entry)
        ss_voice_cache_release(node->voices, clone_entry);
    int64_t compute_ms = now_ms() - started;
    if (st == SS_NODE_SYNTH_OK && (j->write_failed || ss_grpc_stream_cancelled(j->call)))
        st = SS_NODE_SYNTH_CANCELLED;
    switch (st) {
    case SS_NODE_SYNTH_OK: {
        Scaiinfer__Tts__V1__Done d = SCAIINFER__TTS__V1__DONE__INIT;
        d.samples = j->samples;
        d.compute_ms = (uint32_t)compute_ms;
        d.first_chunk_ms = j->first_chunk_ms < 0 ? 0 : (uint32_t)j->first_chunk_ms;
        Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
        c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_DONE;
        c.done = &d;
        /* buffered: the done chunk leaves with the status below, in one
         * write, so the gateway wakes once for the end of the call */
        if (send_header(j) != 0 || write_chunk(j, &c, true) != 0) {
            finish_stopped(j);
            break;
        }
        if (j->samples > 0 && j->rate > 0)
            ss_metric_observe(g_metrics.rtf,
                              ((double)compute_ms / 1000.0) / ((double)j->samples / j->rate));
        ss_info(j->rid, "Synthesize done: %llu samples at %u Hz, compute %lld ms, first chunk %lld ms",
                (unsigned long long)j->samples, j->rate, (long long)compute_ms,
                (long long)j->first_chunk_ms);
        finish(j->call, j->rid, GRPC_STATUS_OK, NULL);
        break;
    }
    case SS_NODE_SYNTH_CANCELLED:
        finish_stopped(j);
        break;
    case SS_NODE_SYNTH_INVALID:
        finish(j->call, j->rid, GRPC_STATUS_INVALID_ARGUMENT, err[0] ? err : "invalid request");
        break;
    case SS_NODE_SYNTH_REFERENCE_REQUIRED:
        finish(j->call, j->rid, GRPC_STATUS_FAILED_PRECONDITION, "reference_required");
        break;
    case SS_NODE_SYNTH_FAILED:
    default:
        ss_error(j->rid, "engine %s failed: %s", j->engine->info.engine_id, err);
        finish(j->call, j->rid, GRPC_STATUS_INTERNAL, err[0] ? err : "synthesis failed");
        break;
    }
    job_free(j);
    gauges_ended();
}

/* "a, b" — the engine ids this node serves, for error messages. */
static void served_engine_ids(const ss_node *node, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i < node->nengines; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i ? ", " : "", node->engines[i]->info.engine_id);
    }
}

static void synthesize(void *user, ss_grpc_stream *call, const ss_grpc_call_info *info,
                       const uint8_t *req, size_t len)
{
    ss_node *node = user;
    int64_t arrived = now_ms();
    char rid[SS_REQUEST_ID_MAX + 1];
    Scaiinfer__Tts__V1__SynthesizeRequest *r =
        scaiinfer__tts__v1__synthesize_request__unpack(NULL, len, req);
    resolve_request_id(r ? r->request_id : NULL, info->request_id, rid, sizeof rid);
    if (!r) {
        finish(call, rid, GRPC_STATUS_INVALID_ARGUMENT, "malformed SynthesizeRequest");
        return;
    }
    grpc_status_code code = GRPC_STATUS_OK;
    char msg[256] = "";
    ss_node_engine *engine = NULL;
    if (!ss_synth_request_check(r, msg, sizeof msg)) {
        code = GRPC_STATUS_INVALID_ARGUMENT;
    } else if (atomic_load(&node->draining)) {
        code = GRPC_STATUS_UNAVAILABLE;
        snprintf(msg, sizeof msg, "draining");
    } else if (node->nengines == 0) {
        code = GRPC_STATUS_FAILED_PRECONDITION;
        snprintf(msg, sizeof msg, "no engine loaded");
    } else if (!(engine = ss_node_find_engine(node, r->engine_id))) {
        char ids[128];
        served_engine_ids(node, ids, sizeof ids);
        code = GRPC_STATUS_INVALID_ARGUMENT;
        snprintf(msg, sizeof msg, "unknown engine_id '%.64s' (this node serves: %s)", r->engine_id,
                 ids);
    } else if (engine->check) {
        /* The engine's own limits (rates, speed and pitch ranges) before the
         * call takes a slot: a bad request is INVALID_ARGUMENT even when the
         * node is full, and never waits in the queue to be told so. */
        ss_node_synth_request sr;
        fill_synth_request(node, rid, r, &sr);
        if (engine->check(engine, &sr, msg, sizeof msg) != 0)
            code = GRPC_STATUS_INVALID_ARGUMENT;
    }
    if (code != GRPC_STATUS_OK) {
        scaiinfer__tts__v1__synthesize_request__free_unpacked(r, NULL);
        finish(call, rid, code, msg);
        return;
    }
    synth_job *j = calloc(1, sizeof *j);
    if (!j) {
        scaiinfer__tts__v1__synthesize_request__free_unpacked(r, NULL);
        finish(call, rid, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    j->node = node;
    j->engine = engine;
    j->call = call;
    j->req = r;
    snprintf(j->rid, sizeof j->rid, "%s", rid);
    j->arrived_ms = arrived;
    j->deadline_unix_ms = info->deadline_unix_ms;
    j->rate = r->sample_rate ? r->sample_rate : engine->info.sample_rate;
    uint32_t chunk_ms = r->chunk_ms ? r->chunk_ms : node->default_chunk_ms;
    j->chunk_samples = (size_t)j->rate * chunk_ms / 1000;
    if (j->chunk_samples == 0)
        j->chunk_samples = 1;
    j->first_chunk_ms = -1;
    gauges_admitted(); /* before submit: the job may start and end at once */
    ss_pool_result pr = ss_work_pool_submit(node->pool, run_synthesis, j);
    if (pr != SS_POOL_OK) {
        gauges_started();
        gauges_ended();
        int running = 0, waiting = 0;
        ss_work_pool_counts(node->pool, &running, &waiting);
        if (pr == SS_POOL_FULL)
            snprintf(msg, sizeof msg, "node busy: %d running, %d waiting (slots %d, queue_depth %d)",
                     running, waiting, node->slots, node->queue_depth);
        job_free(j);
        finish(call, rid, pr == SS_POOL_FULL ? GRPC_STATUS_RESOURCE_EXHAUSTED
                                                   : GRPC_STATUS_UNAVAILABLE,
               pr == SS_POOL_FULL ? msg : "draining");
        return;
    }
}

int ss_tts_service_register(ss_grpc_server *srv, ss_node *node, char *err, size_t errlen)
{
    g_metrics.in_flight = ss_metrics_gauge("scaispeak_node_in_flight",
                                           "Synthesize calls running or waiting for a slot", "");
    g_metrics.waiting = ss_metrics_gauge("scaispeak_node_queue_depth",
                                         "Synthesize calls waiting for a slot", "");
    g_metrics.first_chunk = ss_metrics_histogram("scaispeak_node_first_chunk_seconds",
                                                 "arrival to first audio chunk sent", "", NULL, 0);
    g_metrics.rtf = ss_metrics_histogram("scaispeak_node_rtf",
                                         "real-time factor: compute time / audio time", "",
                                         RTF_BUCKETS, sizeof RTF_BUCKETS / sizeof RTF_BUCKETS[0]);
    ss_metrics_counter("scaispeak_node_voice_cache_total", "voice cache lookups by result",
                       "result=\"hit\"");
    ss_metrics_counter("scaispeak_node_voice_cache_total", "voice cache lookups by result",
                       "result=\"miss\"");
    ss_metrics_counter("scaispeak_node_requests_total", "TtsNode calls by method and status",
                       "method=\"Synthesize\",code=\"OK\"");
    if (ss_grpc_server_add_stream(srv, SS_TTS_METHOD_SYNTHESIZE, synthesize, node) != 0 ||
        ss_grpc_server_add_unary(srv, SS_TTS_METHOD_EVICT_VOICE, evict_voice, node) != 0 ||
        ss_grpc_server_add_unary(srv, SS_TTS_METHOD_LIST_ENGINES, list_engines, node) != 0) {
        snprintf(err, errlen, "cannot register TtsNode methods (already registered or started)");
        return -1;
    }
    return 0;
}
