/* The answer of one synthesis request (see speak_output.h).
 *
 * State: the request (until the HTTP stream takes it), the lane encoding the
 * current backend's audio, the stream once the first bytes went out, and for
 * the JSON form the whole file's bytes. `ending` is set by end/fail: from then
 * on the output only waits for the lane to drain or for nothing, and calls
 * `finished` once. The save form (speak_save.h) hands the encoded bytes to
 * a temporary object instead and answers once ScaiDrive has the file. Metrics: time to the first audio byte (transport="http"),
 * audio seconds by backend, bytes streamed (http_stream.c). */
#include "gateway/speak_output.h"

#include "gateway/audio_lane.h"
#include "gateway/http_stream.h"
#include "gateway/speak_save.h"

#include "common/audio_encode.h"
#include "common/log.h"
#include "common/metrics.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIO_MS_TRAILER "X-Scaispeak-Audio-Ms"

typedef enum { FORM_AUDIO, FORM_SSE, FORM_JSON, FORM_SAVE } output_form;

struct speak_output {
    gw_request *r;            /* NULL once the stream owns it */
    gw_server *gw;
    const gw_speak_params *p;
    char request_id[SS_REQUEST_ID_MAX + 1];
    char voice_id[72];
    speak_output_events ev;
    void *user;
    output_form form;
    ss_audio_format fmt;
    int out_rate;
    char backend;
    gw_audio_lane *lane;
    gw_http_stream *http;
    uint8_t *file;            /* json form: the whole encoded file */
    size_t file_len, file_cap;
    json_t *words, *phonemes;
    bool paused, ending, finished;
    char *save_token;         /* save form: the exchanged ScaiDrive token */
    speak_save *save;         /* save form: the current backend's temporary object */
    long audio_ms;            /* save form: kept for the answer */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

speak_output *speak_output_new(gw_request *r, const gw_speak_params *p, const char *voice_id,
                               const speak_output_events *ev, void *user)
{
    speak_output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->r = r;
    o->gw = r->gw;
    o->p = p;
    o->ev = *ev;
    o->user = user;
    snprintf(o->request_id, sizeof o->request_id, "%s", r->id);
    snprintf(o->voice_id, sizeof o->voice_id, "%s", voice_id ? voice_id : "");
    o->form = p->want_json ? FORM_JSON : p->sse ? FORM_SSE : FORM_AUDIO;
    if (ss_audio_format_parse(p->format, &o->fmt) != 0) {
        free(o); /* the request parser admits only known formats */
        return NULL;
    }
    return o;
}

void speak_output_free(speak_output *o)
{
    if (!o)
        return;
    gw_audio_lane_free(o->lane);
    speak_save_free(o->save);
    if (o->save_token) {
        memset(o->save_token, 0, strlen(o->save_token));
        free(o->save_token);
    }
    free(o->file);
    json_decref(o->words);
    json_decref(o->phonemes);
    free(o);
}

static void finish(speak_output *o)
{
    if (o->finished)
        return;
    o->finished = true;
    o->ev.finished(o->user);
}

static void pause_source(speak_output *o)
{
    if (!o->paused) {
        o->paused = true;
        o->ev.pause(o->user);
    }
}

/* Bytes held for this answer: PCM not yet encoded + bytes not yet taken. */
static size_t held_bytes(const speak_output *o)
{
    size_t held = o->lane ? gw_audio_lane_backlog(o->lane) * sizeof(int16_t) : 0;
    held += o->save ? speak_save_queued(o->save) : 0;
    return held + (o->http ? gw_http_stream_queued(o->http) : 0);
}

static void check_pressure(speak_output *o)
{
    size_t limit = (size_t)o->gw->settings->stream_buffer_bytes;
    if (o->form == FORM_JSON || o->ending)
        return;
    size_t held = held_bytes(o);
    if (!o->paused && held > limit)
        pause_source(o);
    else if (o->paused && held <= limit / 2) {
        o->paused = false;
        o->ev.resume(o->user);
    }
}

static void on_http_drained(void *user)
{
    check_pressure(user);
}

static void on_http_gone(void *user)
{
    speak_output *o = user;
    ss_info(o->request_id, "client left mid-stream");
    o->ev.gone(o->user);
}

static const char *content_type(speak_output *o, char *buf, size_t cap)
{
    if (o->form == FORM_SSE)
        return "text/event-stream";
    return ss_audio_format_content_type(o->fmt, o->out_rate, buf, cap);
}

/* Headers and status: the answer is committed from here on. */
static int start_stream(speak_output *o)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(o->r->req);
    char num[32], backend[2] = {o->backend, 0}, ctype[64];
    evhttp_add_header(h, "X-Scaispeak-Backend", backend);
    evhttp_add_header(h, "X-Scaispeak-Voice-Id", o->voice_id);
    snprintf(num, sizeof num, "%zu", o->p->characters);
    evhttp_add_header(h, "X-Scaispeak-Characters", num);
    snprintf(num, sizeof num, "%d", o->out_rate);
    evhttp_add_header(h, "X-Scaispeak-Sample-Rate", num);
    if (o->form == FORM_SSE)
        evhttp_add_header(h, "Cache-Control", "no-cache");
    static const gw_http_stream_events ev = {on_http_drained, on_http_gone};
    o->http = gw_http_stream_start(o->r, 200, content_type(o, ctype, sizeof ctype),
                                   o->form == FORM_AUDIO ? AUDIO_MS_TRAILER : NULL, &ev, o);
    if (!o->http)
        return -1;
    char labels[48];
    snprintf(labels, sizeof labels, "transport=\"http\"");
    static const double bounds[] = {0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5, 10};
    ss_metric_observe(ss_metrics_histogram("scaispeak_first_audio_seconds",
                                           "time from request to the first audio byte", labels,
                                           bounds, sizeof bounds / sizeof bounds[0]),
                      now_s() - o->r->started);
    o->r = NULL;
    return 0;
}

static char *base64(const uint8_t *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static int write_sse(speak_output *o, const char *type, const char *audio_b64, json_t *extra)
{
    json_t *ev = json_pack("{s:s}", "type", type);
    if (ev && audio_b64)
        json_object_set_new(ev, "audio", json_string(audio_b64));
    if (ev && extra)
        json_object_update(ev, extra);
    char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!s)
        return -1;
    size_t n = strlen(s);
    char *line = malloc(n + 9);
    int rc = -1;
    if (line) {
        memcpy(line, "data: ", 6);
        memcpy(line + 6, s, n);
        memcpy(line + 6 + n, "\n\n", 3);
        rc = gw_http_stream_write(o->http, line, n + 8);
    }
    free(line);
    free(s);
    return rc;
}

static int keep_file_bytes(speak_output *o, const uint8_t *data, size_t len)
{
    if (o->file_len + len > o->file_cap) {
        size_t cap = o->file_cap ? o->file_cap : 65536;
        while (cap < o->file_len + len)
            cap *= 2;
        uint8_t *g = realloc(o->file, cap);
        if (!g)
            return -1;
        o->file = g;
        o->file_cap = cap;
    }
    memcpy(o->file + o->file_len, data, len);
    o->file_len += len;
    return 0;
}

static void fail_internal(speak_output *o, const char *msg)
{
    gw_audio_lane_free(o->lane);
    o->lane = NULL;
    speak_output_fail(o, SS_ERR_INTERNAL_ERROR, msg, NULL);
}

static int send_bytes(speak_output *o, const uint8_t *data, size_t len)
{
    if (!len)
        return 0;
    if (o->form == FORM_JSON)
        return keep_file_bytes(o, data, len);
    if (o->form == FORM_SAVE)
        return speak_save_write(o->save, data, len);
    if (!o->http && start_stream(o) != 0)
        return -1;
    if (o->form == FORM_AUDIO)
        return gw_http_stream_write(o->http, data, len);
    char *b64 = base64(data, len);
    int rc = b64 ? write_sse(o, "speech.audio.delta", b64, NULL) : -1;
    free(b64);
    return rc;
}

static void on_lane_bytes(void *user, const uint8_t *data, size_t len)
{
    speak_output *o = user;
    if (send_bytes(o, data, len) != 0) {
        fail_internal(o, "out of memory (sending audio)");
        return;
    }
    check_pressure(o);
}

static void log_and_count(speak_output *o, long audio_ms)
{
    char labels[64];
    snprintf(labels, sizeof labels, "backend=\"%c\"", o->backend);
    ss_metrics_counter_add("scaispeak_backend_choices_total", "syntheses served by backend", labels, 1);
    ss_metrics_counter_add("scaispeak_speak_audio_seconds_total", "seconds of audio returned", labels,
                           (double)audio_ms / 1000.0);
    ss_info(o->request_id, "synthesised %ld ms of audio on backend %c (%s, %d Hz, %zu bytes)", audio_ms,
            o->backend, o->p->format, o->out_rate,
            o->http ? gw_http_stream_sent(o->http) : o->file_len);
}

/* The JSON forms' answer (audio_base64, or saved_to): the X-Scaispeak-*
 * headers, then the envelope; ends the output. */
static void reply_envelope(speak_output *o, const char *backend, long audio_ms, json_t *data)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(o->r->req);
    char num[32];
    evhttp_add_header(h, "X-Scaispeak-Backend", backend);
    evhttp_add_header(h, "X-Scaispeak-Voice-Id", o->voice_id);
    snprintf(num, sizeof num, "%ld", audio_ms);
    evhttp_add_header(h, "X-Scaispeak-Audio-Ms", num);
    snprintf(num, sizeof num, "%zu", o->p->characters);
    evhttp_add_header(h, "X-Scaispeak-Characters", num);
    gw_reply_ok(o->r, data);
    o->r = NULL;
    finish(o);
}

static void answer_json(speak_output *o, long audio_ms)
{
    char backend[2] = {o->backend, 0};
    char *b64 = base64(o->file ? o->file : (const uint8_t *)"", o->file_len);
    if (!b64) {
        speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    json_t *data = json_pack("{s:s,s:s,s:i,s:I,s:s,s:s,s:I}", "audio_base64", b64, "format", o->p->format,
                             "sample_rate", o->out_rate, "duration_ms", (json_int_t)audio_ms,
                             "backend_used", backend, "voice_id", o->voice_id, "characters",
                             (json_int_t)o->p->characters);
    free(b64);
    if (data && o->p->timestamps)
        json_object_set_new(data, "timestamps",
                            json_pack("{s:O,s:O}", "words", o->words ? o->words : json_array(),
                                      "phonemes", o->phonemes ? o->phonemes : json_array()));
    reply_envelope(o, backend, audio_ms, data);
}

/* The save form's answer: the envelope with saved_to instead of the audio. */
static void on_saved(void *user, const speak_save_result *res)
{
    speak_output *o = user;
    if (!res->ok) {
        speak_output_fail(o, res->error, res->message, NULL);
        return;
    }
    char backend[2] = {o->backend, 0};
    json_t *data = json_pack("{s:O,s:s,s:i,s:I,s:I,s:s,s:s,s:I}", "saved_to", res->saved_to, "format",
                             o->p->format, "sample_rate", o->out_rate, "duration_ms",
                             (json_int_t)o->audio_ms, "bytes", (json_int_t)res->bytes, "backend_used",
                             backend, "voice_id", o->voice_id, "characters", (json_int_t)o->p->characters);
    if (!data) {
        speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    reply_envelope(o, backend, o->audio_ms, data);
}

static void on_save_drained(void *user)
{
    check_pressure(user);
}

static void on_lane_finished(void *user, uint64_t samples_out)
{
    speak_output *o = user;
    long audio_ms = (long)(samples_out * 1000 / (uint64_t)o->out_rate);
    gw_audio_lane_free(o->lane);
    o->lane = NULL;
    log_and_count(o, audio_ms);
    if (o->form == FORM_JSON) {
        answer_json(o, audio_ms);
        return;
    }
    if (o->form == FORM_SAVE) {
        o->audio_ms = audio_ms;
        speak_save_finish(o->save, on_saved);
        return;
    }
    if (!o->http && start_stream(o) != 0) { /* no byte at all (pcm of nothing) */
        speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    char num[32];
    snprintf(num, sizeof num, "%ld", audio_ms);
    if (o->form == FORM_SSE) {
        size_t chars = o->p->characters;
        json_t *usage = json_pack("{s:{s:I,s:I,s:I}}", "usage", "input_tokens", (json_int_t)chars,
                                  "output_tokens", (json_int_t)audio_ms, "total_tokens",
                                  (json_int_t)(chars + (size_t)audio_ms));
        int rc = write_sse(o, "speech.audio.done", NULL, usage);
        json_decref(usage);
        if (rc != 0) {
            speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
    }
    gw_http_stream_end(o->http, num);
    o->http = NULL;
    finish(o);
}

static void on_lane_error(void *user, const char *message)
{
    speak_output *o = user;
    char msg[320];
    snprintf(msg, sizeof msg, "audio encoding failed: %s", message);
    fail_internal(o, msg);
}

int speak_output_begin(speak_output *o, char backend, uint32_t in_rate)
{
    if (o->ending)
        return -1;
    gw_audio_lane_free(o->lane);
    o->backend = backend;
    o->out_rate = o->p->sample_rate ? o->p->sample_rate : (int)in_rate;
    gw_audio_lane_spec spec = {.format = o->fmt, .in_rate = (int)in_rate, .out_rate = o->out_rate,
                               .stream = o->form != FORM_JSON};
    if (o->form == FORM_SAVE) { /* a fresh temporary object for this backend's audio */
        char ctype[64];
        speak_save_free(o->save);
        o->save = speak_save_new(o->gw, o->request_id, &o->p->save_to, o->save_token,
                                 ss_audio_format_content_type(o->fmt, o->out_rate, ctype, sizeof ctype),
                                 on_save_drained, o);
        if (!o->save) {
            speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return -1;
        }
    }
    static const gw_audio_lane_events ev = {on_lane_bytes, on_lane_finished, on_lane_error};
    o->lane = gw_audio_lane_new(o->gw->audio_pool, &spec, &ev, o);
    if (!o->lane) {
        speak_output_fail(o, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    return 0;
}

int speak_output_audio(speak_output *o, const int16_t *pcm, size_t n)
{
    if (o->ending || !o->lane)
        return -1;
    if (gw_audio_lane_write(o->lane, pcm, n) != 0) {
        fail_internal(o, "out of memory (queueing audio)");
        return -1;
    }
    check_pressure(o);
    return 0;
}

void speak_output_end(speak_output *o, json_t *words, json_t *phonemes)
{
    if (o->ending || !o->lane)
        return;
    o->ending = true;
    o->words = json_incref(words);
    o->phonemes = json_incref(phonemes);
    if (gw_audio_lane_finish(o->lane) != 0) {
        o->ending = false;
        fail_internal(o, "out of memory (finishing audio)");
    }
}

int speak_output_save_to(speak_output *o, const char *token)
{
    o->save_token = strdup(token);
    if (!o->save_token)
        return -1;
    o->form = FORM_SAVE;
    return 0;
}

bool speak_output_committed(const speak_output *o)
{
    return o->http != NULL;
}

void speak_output_reset(speak_output *o)
{
    if (o->http || o->ending)
        return;
    gw_audio_lane_free(o->lane);
    o->lane = NULL;
    speak_save_free(o->save); /* its temporary object is deleted */
    o->save = NULL;
    o->file_len = 0;
    o->paused = false;
}

void speak_output_fail(speak_output *o, ss_api_error e, const char *message, json_t *details)
{
    if (o->finished) {
        json_decref(details);
        return;
    }
    o->ending = true;
    gw_audio_lane_free(o->lane);
    o->lane = NULL;
    if (o->http) {
        char why[400];
        snprintf(why, sizeof why, "%s: %s", ss_api_error_code(e), message);
        json_decref(details);
        gw_http_stream_abort(o->http, why);
        o->http = NULL;
    } else if (o->r) {
        gw_reply_error(o->r, e, message, details);
        o->r = NULL;
    } else {
        json_decref(details);
    }
    finish(o);
}
