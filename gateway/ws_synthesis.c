/* A /stream/speak session's pipelined sentence synthesis (see
 * ws_synthesis.h).
 *
 * Sentences are jobs in a FIFO. The first two have node calls; the head's
 * PCM goes to the lane as it arrives, the second's is held in its job until
 * the head is done, then written in one piece. A job whose call must be
 * abandoned (interrupt, failure, free) is orphaned: its owner pointer is
 * cleared and its call cancelled; node_call.c's on_done (always from the
 * loop, later) frees it. Nothing is delivered for an orphaned job. */
#include "gateway/ws_synthesis.h"

#include "gateway/audio_lane.h"
#include "gateway/busy_wait.h"
#include "gateway/node_call.h"

#include "common/grpc_status.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>

#define WS_PIPELINE_DEPTH 2

typedef struct job job;
struct job {
    job *next;
    ws_synthesis *owner;   /* NULL once orphaned */
    char *text;
    gw_node_call *call;
    busy_waiter *waiting;
    int node_idx;
    int busy_nodes;        /* nodes of this round that refused as busy */
    bool done, got_audio;
    uint32_t rate;
    uint64_t nsamples;     /* every sample the node sent */
    int16_t *held;         /* PCM kept while not the head */
    size_t nheld, held_cap;
    json_t *words;
};

struct ws_synthesis {
    ws_synthesis_spec spec;
    gw_node_choice nodes[GW_MAX_NODE_TRIES];
    char request_id[64], engine_id[64], voice_id[160];
    char *design_prompt; /* NULL unless the voice is designed */
    char *reference_sha256, *reference_key; /* NULL unless the voice is cloned */
    ws_synthesis_events ev;
    void *user;
    job *head, *tail;
    gw_audio_lane *lane;
    uint32_t lane_rate;
    bool paused, finishing, lane_finishing, failed;
    uint64_t samples_in;      /* node samples handed to the lane */
    uint64_t offset_samples;  /* of the head sentence's start */
};

static void start_call(ws_synthesis *s, job *j);

static void job_free(job *j)
{
    busy_wait_cancel(j->waiting);
    free(j->text);
    free(j->held);
    json_decref(j->words);
    free(j);
}

/* Drops j from the owner: cancelled now (on_done frees it) or freed. */
static void orphan(job *j)
{
    j->owner = NULL;
    if (j->call)
        gw_node_call_cancel(j->call);
    else
        job_free(j);
}

static void orphan_all(ws_synthesis *s)
{
    job *j = s->head;
    s->head = s->tail = NULL;
    while (j) {
        job *next = j->next;
        orphan(j);
        j = next;
    }
}

static void fail(ws_synthesis *s, ss_api_error e, const char *msg)
{
    if (s->failed)
        return;
    s->failed = true;
    ss_warn(s->request_id, "websocket synthesis: %s", msg);
    orphan_all(s);
    gw_audio_lane_free(s->lane);
    s->lane = NULL;
    s->ev.on_failed(s->user, e, msg);
}

static void on_lane_bytes(void *user, const uint8_t *data, size_t len)
{
    ws_synthesis *s = user;
    s->ev.on_audio(s->user, data, len);
}

static void on_lane_finished(void *user, uint64_t samples_out)
{
    (void)samples_out;
    ws_synthesis *s = user;
    gw_audio_lane_free(s->lane);
    s->lane = NULL;
    s->ev.on_finished(s->user);
}

static void on_lane_error(void *user, const char *message)
{
    ws_synthesis *s = user;
    char msg[320];
    snprintf(msg, sizeof msg, "encoding failed: %s", message);
    fail(s, SS_ERR_INTERNAL_ERROR, msg);
}

/* Writes PCM of the head sentence to the lane (made at the first write);
 * -1 after failing. */
static int to_lane(ws_synthesis *s, uint32_t rate, const int16_t *pcm, size_t n)
{
    if (s->lane && s->lane_rate != rate) {
        fail(s, SS_ERR_INTERNAL_ERROR, "the nodes answered at different sample rates");
        return -1;
    }
    if (!s->lane) {
        static const gw_audio_lane_events ev = {on_lane_bytes, on_lane_finished, on_lane_error};
        gw_audio_lane_spec spec = {s->spec.format, (int)rate, s->spec.out_rate, true};
        s->lane = gw_audio_lane_new(s->spec.gw->audio_pool, &spec, &ev, s);
        if (!s->lane) {
            fail(s, SS_ERR_INTERNAL_ERROR, "out of memory");
            return -1;
        }
        s->lane_rate = rate;
    }
    if (n && gw_audio_lane_write(s->lane, pcm, n) != 0) {
        fail(s, SS_ERR_INTERNAL_ERROR, "out of memory");
        return -1;
    }
    s->samples_in += n;
    return 0;
}

static int hold(job *j, const int16_t *pcm, size_t n)
{
    if (j->nheld + n > j->held_cap) {
        size_t cap = j->held_cap ? j->held_cap * 2 : 16384;
        while (cap < j->nheld + n)
            cap *= 2;
        int16_t *g = realloc(j->held, cap * sizeof *g);
        if (!g)
            return -1;
        j->held = g;
        j->held_cap = cap;
    }
    memcpy(j->held + j->nheld, pcm, n * sizeof *pcm);
    j->nheld += n;
    return 0;
}

static void start_more(ws_synthesis *s)
{
    int k = 0;
    for (job *j = s->head; j && k < WS_PIPELINE_DEPTH && !s->failed; j = j->next, k++)
        if (!j->done && !j->call && !j->waiting)
            start_call(s, j);
}

/* The encoder is flushed once the last sentence is done. */
static void maybe_finish_lane(ws_synthesis *s)
{
    if (!s->finishing || s->head || s->lane_finishing || s->failed)
        return;
    s->lane_finishing = true;
    if (!s->lane) {
        s->ev.on_finished(s->user);
        return;
    }
    if (gw_audio_lane_finish(s->lane) != 0)
        fail(s, SS_ERR_INTERNAL_ERROR, "out of memory");
}

/* Completes finished sentences at the head, in order. */
static void advance(ws_synthesis *s)
{
    while (s->head && s->head->done && !s->failed) {
        job *j = s->head;
        if (j->words && j->rate) {
            double shift = (double)s->offset_samples * 1000.0 / j->rate;
            json_t *words = json_deep_copy(j->words);
            size_t i;
            json_t *w;
            json_array_foreach(words, i, w) {
                json_t *a = json_object_get(w, "start_ms"), *b = json_object_get(w, "end_ms");
                json_object_set_new(w, "start_ms", json_integer((json_int_t)(json_number_value(a) + shift)));
                json_object_set_new(w, "end_ms", json_integer((json_int_t)(json_number_value(b) + shift)));
            }
            if (words)
                s->ev.on_alignment(s->user, words);
        }
        s->offset_samples = s->samples_in;
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        job_free(j);
        job *h = s->head;
        if (h && h->nheld) { /* the next sentence's audio, held until now */
            if (to_lane(s, h->rate, h->held, h->nheld) != 0)
                return;
            free(h->held);
            h->held = NULL;
            h->nheld = h->held_cap = 0;
        }
    }
    if (s->failed)
        return;
    start_more(s);
    maybe_finish_lane(s);
}

static void on_node_header(void *user, uint32_t sample_rate)
{
    job *j = user;
    j->rate = sample_rate;
}

static void on_node_audio(void *user, const int16_t *pcm, size_t n)
{
    job *j = user;
    ws_synthesis *s = j->owner;
    if (!s || n == 0)
        return;
    j->got_audio = true;
    j->nsamples += n;
    if (j == s->head) {
        to_lane(s, j->rate, pcm, n);
        return;
    }
    if (hold(j, pcm, n) != 0)
        fail(s, SS_ERR_INTERNAL_ERROR, "out of memory");
}

static void on_busy_wake(void *user, bool expired)
{
    job *j = user;
    ws_synthesis *s = j->owner;
    j->waiting = NULL;
    if (expired) {
        fail(s, SS_ERR_BACKEND_BUSY, "every node is busy; retry later");
        return;
    }
    j->node_idx = 0;
    j->busy_nodes = 0;
    start_call(s, j);
}

/* The plan's nodes are used up for j: wait when some were busy, else fail. */
static void nodes_exhausted(ws_synthesis *s, job *j, const char *last)
{
    if (j->busy_nodes > 0) {
        busy_wait_queue *q = gw_node_busy_queue(s->spec.gw);
        j->waiting = q ? busy_wait_add(q, s->spec.gw->settings->busy_wait_ms, on_busy_wake, j) : NULL;
        if (!j->waiting)
            fail(s, SS_ERR_BACKEND_BUSY, "every node is busy; retry later");
        return;
    }
    char msg[400];
    snprintf(msg, sizeof msg, "no backend could synthesise the sentence: %s", last);
    fail(s, SS_ERR_BACKEND_UNAVAILABLE, msg);
}

static void on_node_done(void *user, const gw_node_result *res)
{
    job *j = user;
    j->call = NULL;
    ws_synthesis *s = j->owner;
    if (!s) {
        job_free(j);
        return;
    }
    if (res->code == GRPC_STATUS_OK) {
        j->done = true;
        if (s->spec.timestamps && res->words)
            j->words = json_incref(res->words);
        advance(s);
        return;
    }
    char msg[360];
    snprintf(msg, sizeof msg, "node %s: %s: %s", s->nodes[j->node_idx].node_id,
             ss_grpc_status_name(res->code), res->message);
    if (j->got_audio) {
        fail(s, res->code == GRPC_STATUS_DEADLINE_EXCEEDED ? SS_ERR_BACKEND_TIMEOUT : SS_ERR_BACKEND_ERROR, msg);
        return;
    }
    if (res->code == GRPC_STATUS_INVALID_ARGUMENT) {
        fail(s, SS_ERR_VALIDATION_ERROR, res->message);
        return;
    }
    ss_warn(s->request_id, "%s", msg);
    if (res->code == GRPC_STATUS_RESOURCE_EXHAUSTED && !strstr(res->message, "out of memory"))
        j->busy_nodes++;
    j->node_idx++;
    if (j->node_idx < s->spec.nnodes) {
        start_call(s, j);
        return;
    }
    nodes_exhausted(s, j, msg);
}

static void start_call(ws_synthesis *s, job *j)
{
    while (j->node_idx < s->spec.nnodes) {
        const gw_node_choice *node = &s->nodes[j->node_idx];
        gw_node_request req = {
            .request_id = s->request_id,
            .engine_id = s->engine_id,
            .text = j->text,
            .voice_id = s->voice_id,
            .design_prompt = s->design_prompt,
            .reference_sha256 = s->reference_sha256,
            .reference_key = s->reference_key,
            .sample_rate = 0, /* native; the lane resamples */
            .speed = s->spec.speed,
            .pitch = 0,
            .want_timestamps = s->spec.timestamps,
            .timeout_ms = (int)s->spec.gw->settings->synthesis_timeout_ms,
        };
        static const gw_node_events ev = {on_node_header, on_node_audio, on_node_done};
        char err[256];
        j->call = gw_node_call_start(s->spec.gw, node->address, &req, &ev, j, err, sizeof err);
        if (j->call) {
            if (s->paused)
                gw_node_call_pause(j->call);
            return;
        }
        ss_warn(s->request_id, "node %s: %s", node->node_id, err);
        j->node_idx++;
    }
    nodes_exhausted(s, j, "no node could be called");
}

ws_synthesis *ws_synthesis_new(const ws_synthesis_spec *spec, const ws_synthesis_events *ev, void *user)
{
    ws_synthesis *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->spec = *spec;
    s->spec.nnodes = spec->nnodes < GW_MAX_NODE_TRIES ? spec->nnodes : GW_MAX_NODE_TRIES;
    memcpy(s->nodes, spec->nodes, (size_t)s->spec.nnodes * sizeof *s->nodes);
    s->spec.nodes = s->nodes;
    snprintf(s->request_id, sizeof s->request_id, "%s", spec->request_id);
    snprintf(s->engine_id, sizeof s->engine_id, "%s", spec->engine_id);
    snprintf(s->voice_id, sizeof s->voice_id, "%s", spec->voice_id);
    s->spec.request_id = s->request_id;
    s->spec.engine_id = s->engine_id;
    s->spec.voice_id = s->voice_id;
    if ((spec->design_prompt && !(s->design_prompt = strdup(spec->design_prompt))) ||
        (spec->reference_sha256 && !(s->reference_sha256 = strdup(spec->reference_sha256))) ||
        (spec->reference_key && !(s->reference_key = strdup(spec->reference_key)))) {
        free(s->design_prompt);
        free(s->reference_sha256);
        free(s->reference_key);
        free(s);
        return NULL;
    }
    s->spec.design_prompt = s->design_prompt;
    s->spec.reference_sha256 = s->reference_sha256;
    s->spec.reference_key = s->reference_key;
    s->ev = *ev;
    s->user = user;
    return s;
}

int ws_synthesis_add(ws_synthesis *s, char *sentence)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        free(sentence);
        return -1;
    }
    j->owner = s;
    j->text = sentence;
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    start_more(s);
    return 0;
}

void ws_synthesis_finish(ws_synthesis *s)
{
    s->finishing = true;
    maybe_finish_lane(s);
}

void ws_synthesis_interrupt(ws_synthesis *s)
{
    orphan_all(s);
    gw_audio_lane_free(s->lane); /* a job in flight returns into nothing */
    s->lane = NULL;
    s->offset_samples = s->samples_in;
}

void ws_synthesis_pause(ws_synthesis *s)
{
    s->paused = true;
    for (job *j = s->head; j; j = j->next)
        if (j->call)
            gw_node_call_pause(j->call);
}

void ws_synthesis_resume(ws_synthesis *s)
{
    s->paused = false;
    for (job *j = s->head; j; j = j->next)
        if (j->call)
            gw_node_call_resume(j->call);
}

bool ws_synthesis_busy(const ws_synthesis *s)
{
    return s->head != NULL || (s->lane && gw_audio_lane_backlog(s->lane) > 0);
}

uint64_t ws_synthesis_audio_ms(const ws_synthesis *s)
{
    return s->lane_rate ? s->samples_in * 1000 / s->lane_rate : 0;
}

void ws_synthesis_free(ws_synthesis *s)
{
    if (!s)
        return;
    orphan_all(s);
    gw_audio_lane_free(s->lane);
    free(s->design_prompt);
    free(s->reference_sha256);
    free(s->reference_key);
    free(s);
}
