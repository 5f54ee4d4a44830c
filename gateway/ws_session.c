/* A /stream/speak session: the protocol state machine of API.md §3.
 *
 *   AUTHENTICATING  the upgrade request walks authenticate → authorize
 *                   (request_phases.h) with an answer hook: an HTTP answer
 *                   it would have given becomes a close code (401 → 4401,
 *                   403 → 4403, 429 → 4429, 503 → 4500); then the per-key
 *                   session cap (ws_sessions_per_key, 4429);
 *   WAITING_OPEN    the first message must be `open` (else 4400);
 *   OPENING         speak_context.h's reads: the rate limit (one count per
 *                   session), policy, voice (4404, 4409), nodes; then the
 *                   backend plan — backend A only (B, the relay, answers
 *                   whole files and is not used here): no usable node →
 *                   error frame + 4502 before any audio; else `ready`;
 *   READY           text / flush / interrupt / close (ws_synthesis.h);
 *   after `close`   the rest is synthesised, then `closed` with the stats
 *                   and close 1000; any further message is 4400.
 * While a Redis read runs (AUTHENTICATING, OPENING) reading is held, and the
 * upgrade request (which the read uses) outlives the connection if the
 * client leaves: the connection is freed when the read returns.
 *
 * Audio leaves as binary frames of 20 ms: one raw Opus packet each, or 20 ms
 * of s16le PCM (the last one of a session may be shorter), paced at real
 * time: a frame is sent when the client's audio runs out less than
 * ws_audio_lead_ms from now (`play_until`, the wall time at which what was
 * sent has finished playing, moves by each frame's length; a gap in
 * synthesis restarts it from now). So an interrupt stops the audio within
 * about that lead, and the queue of unsent frames (`carry`) lives here, not
 * in the socket. A session whose frames wait unsent (the node runs ahead of
 * real time, or the client does not read: more than stream_buffer_bytes in
 * the carry and the socket) pauses its node calls until half of it is gone;
 * so an active session holds at most about that much. `closed` follows the
 * last frame. A session with no client
 * message for ws_idle_timeout_s, and nothing being synthesised, closes 4408.
 * Each complete sentence passes the tenant's blocklist before synthesis; a
 * blocked one is answered with an `error` frame (SCAISPEAK_CONTENT_BLOCKED)
 * and not spoken.
 *
 * A bound session (a WebRTC control socket, see ws_session.h) goes from
 * AUTHENTICATING straight to READY through its binding's claim(); it is not
 * counted by the per-key cap (its WebRTC session is, in webrtc.c) and its
 * frames go to the binding's sink.
 *
 * Global state (documented, loop thread only): the list of live sessions,
 * for the per-key cap. */
#include "gateway/ws_session.h"

#include "gateway/backend_resolve.h"
#include "gateway/blocklist.h"
#include "gateway/permissions.h"
#include "gateway/request_phases.h"
#include "gateway/speak_context.h"
#include "gateway/voice_license.h"
#include "gateway/voice_store.h"
#include "gateway/ws_frames.h"
#include "gateway/ws_open.h"
#include "gateway/ws_sentences.h"
#include "gateway/ws_synthesis.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/utf8.h"
#include "common/wall_clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { WS_AUTHENTICATING, WS_WAITING_OPEN, WS_OPENING, WS_READY } ws_state;

struct ws_session {
    ws_session *prev, *next;
    gw_server *gw;
    gw_request *r;               /* the upgrade request, until `ready` */
    struct evhttp_connection *evcon;
    ws_conn *conn;               /* NULL once the connection is closed */
    ws_state state;
    char request_id[SS_REQUEST_ID_MAX + 1];
    char session_id[32];
    char cap_key[160];           /* who the per-key cap counts ("" = not counted) */
    ws_open_params open;
    char voice_id[160];
    json_t *blocklist;
    ws_sentences text;
    ws_synthesis *synth;
    bool close_asked;            /* the client sent close */
    bool paused;                 /* back-pressure: node calls paused */
    struct event *idle;
    uint8_t *carry;              /* encoded audio not yet sent (paced) */
    size_t ncarry, carry_cap;
    struct event *pace;          /* sends the next frame when it is due */
    double play_until;           /* monotonic s: when the audio sent so far has played */
    bool synth_finished;         /* all audio is in the carry: `closed` after the last frame */
    json_t *early;               /* messages that came before `ready` (replayed then) */
    uint64_t chars;
    uint64_t sent_samples;       /* of the audio sent (at open.sample_rate): stats.audio_ms */
    double first_text_at;        /* when the first sentence was queued */
    long first_audio_ms;         /* -1 until the first audio frame */
    const ws_session_binding *binding; /* NULL for /stream/speak */
    char bind_id[64];
    ws_audio_sink sink;          /* bound: where frames go (send NULL: dropped) */
    void *owner;                 /* bound and claimed: released() gets it */
    json_t *licensed_voice;      /* the voice when it has a licence: each sentence is charged */
};

static ws_session *live_sessions; /* see the top of the file */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gauge_add(double v)
{
    ss_metric_add(ss_metrics_gauge("scaispeak_ws_sessions_active", "open /stream/speak WebSocket sessions", ""), v);
}

/* ---- ending ---- */

static void stop_synthesis(ws_session *s)
{
    ws_synthesis_free(s->synth);
    s->synth = NULL;
    if (s->idle)
        event_del(s->idle);
    if (s->pace)
        event_del(s->pace);
}

/* error frame (unless code is 1000; with `details`, stolen, when not NULL)
 * and the close handshake. */
static void end_session_details(ws_session *s, int code, const char *api_code, const char *message,
                                json_t *details)
{
    stop_synthesis(s);
    if (!s->conn || ws_conn_closing(s->conn)) {
        json_decref(details);
        return;
    }
    if (code != WS_CLOSE_NORMAL) {
        /* a message quoting a peer may not be UTF-8: ss_json_text repairs it */
        json_t *text = ss_json_text(message);
        json_t *frame = text ? json_pack("{s:s,s:s,s:o}", "type", "error", "code", api_code, "message", text) : NULL;
        if (frame && details && json_object_set(frame, "details", details) != 0) {
            json_decref(frame);
            frame = NULL;
        }
        if (!frame)
            ss_warn(s->request_id, "websocket session %s: error frame %s not sent: out of memory", s->session_id,
                    api_code);
        else if (ws_conn_send_json(s->conn, frame) != 0)
            ss_warn(s->request_id, "websocket session %s: error frame %s not sent", s->session_id, api_code);
    }
    json_decref(details);
    ss_info(s->request_id, "websocket session %s closing %d: %s", s->session_id, code, message);
    ws_conn_close(s->conn, code, message);
}

static void end_session(ws_session *s, int code, const char *api_code, const char *message)
{
    end_session_details(s, code, api_code, message, NULL);
}

/* A message that is not JSON, not an object with a known type, or out of
 * place: 4400 MALFORMED_REQUEST. */
static void protocol_error(ws_session *s, const char *message)
{
    end_session(s, WS_CLOSE_PROTOCOL, ss_api_error_code(SS_ERR_MALFORMED_REQUEST), message);
}

/* A well-formed message with a wrong field (type, range, enum, unknown):
 * 4400 VALIDATION_ERROR with details [{field, message}], as HTTP's 422. */
static void field_error(ws_session *s, const char *field, const char *message)
{
    json_t *details = json_array();
    if (details && json_array_append_new(details, ss_detail(field, message)) != 0) {
        json_decref(details);
        details = NULL; /* out of memory: the frame goes without details */
    }
    end_session_details(s, WS_CLOSE_PROTOCOL, ss_api_error_code(SS_ERR_VALIDATION_ERROR), message, details);
}

/* Frees the session once nothing refers to it (connection closed, no Redis
 * read in flight). */
static void session_free(ws_session *s)
{
    if (s->owner)
        s->binding->released(s->owner);
    if (s->r)
        gw_request_finish(s->r, 101);
    if (s->evcon)
        evhttp_connection_free(s->evcon);
    if (s->prev)
        s->prev->next = s->next;
    else if (live_sessions == s)
        live_sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    stop_synthesis(s);
    if (s->idle)
        event_free(s->idle);
    if (s->pace)
        event_free(s->pace);
    json_decref(s->blocklist);
    json_decref(s->licensed_voice);
    json_decref(s->early);
    ws_sentences_free(&s->text);
    free(s->carry);
    gauge_add(-1);
    free(s);
}

static bool read_in_flight(const ws_session *s)
{
    return s->r && (s->state == WS_AUTHENTICATING || s->state == WS_OPENING);
}

static void on_conn_closed(void *user)
{
    ws_session *s = user;
    s->conn = NULL;
    stop_synthesis(s);
    if (!read_in_flight(s))
        session_free(s);
}

/* The read in flight returned after the client left. */
static bool gone_after_read(ws_session *s)
{
    if (s->conn)
        return false;
    session_free(s);
    return true;
}

/* ---- audio out ---- */

static int carry_add(ws_session *s, const uint8_t *data, size_t len)
{
    if (s->ncarry + len > s->carry_cap) {
        size_t cap = s->carry_cap ? s->carry_cap * 2 : 4096;
        while (cap < s->ncarry + len)
            cap *= 2;
        uint8_t *g = realloc(s->carry, cap);
        if (!g)
            return -1;
        s->carry = g;
        s->carry_cap = cap;
    }
    memcpy(s->carry + s->ncarry, data, len);
    s->ncarry += len;
    return 0;
}

/* The next whole frame of the carry: its offset past any length prefix, its
 * length, the bytes it takes in the carry and its duration. false when the
 * carry has no whole frame (`last`: the end of the audio, a short PCM tail
 * counts). */
static bool next_frame(const ws_session *s, bool last, size_t *head, size_t *n, double *secs)
{
    size_t left = s->ncarry;
    if (s->open.opus) {
        if (left < 2 || left < 2 + (size_t)(s->carry[0] | s->carry[1] << 8))
            return false;
        *head = 2;
        *n = (size_t)(s->carry[0] | s->carry[1] << 8);
        *secs = 0.020;
        return true;
    }
    size_t pcm_frame = (size_t)s->open.sample_rate / 50 * 2;
    *head = 0;
    *n = left >= pcm_frame ? pcm_frame : last ? left & ~(size_t)1 : 0;
    *secs = (double)*n / 2.0 / (double)s->open.sample_rate;
    return *n > 0;
}

static void drop_front(ws_session *s, size_t k)
{
    memmove(s->carry, s->carry + k, s->ncarry - k);
    s->ncarry -= k;
}

static size_t held_bytes(const ws_session *s)
{
    return s->ncarry + (s->conn ? ws_conn_pending(s->conn) : 0);
}

static void send_closed(ws_session *s);

/* Sends the frames that are due (see the top of the file), arms the timer
 * for the next one, resumes paused synthesis once the queue has shrunk, and
 * after the last frame of a finished session sends `closed`. */
static void pace_frames(ws_session *s)
{
    double now = now_s(), lead = (double)s->gw->settings->ws_audio_lead_ms / 1000.0;
    size_t head, n;
    double secs;
    if (s->play_until < now)
        s->play_until = now; /* nothing left playing: start again from now */
    while (s->conn && next_frame(s, s->synth_finished, &head, &n, &secs)) {
        if (s->play_until - now > lead) {
            double wait = s->play_until - now - lead;
            struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6)};
            event_add(s->pace, &tv);
            break;
        }
        bool sent = true;
        if (!s->binding)
            ws_conn_send_binary(s->conn, s->carry + head, n);
        else if (s->sink.send)
            s->sink.send(s->sink.user, s->carry + head, n, s->play_until, secs);
        else
            sent = false; /* the bound peer is gone: dropped */
        if (sent)
            s->sent_samples += s->open.opus ? (uint64_t)s->open.sample_rate / 50 : n / 2;
        drop_front(s, head + n);
        s->play_until += secs;
    }
    if (s->paused && s->synth && held_bytes(s) <= (size_t)s->gw->settings->stream_buffer_bytes / 2) {
        s->paused = false;
        ws_synthesis_resume(s->synth);
    }
    if (s->synth_finished && s->ncarry == 0)
        send_closed(s);
}

static void on_pace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pace_frames(arg);
}

static void on_synth_audio(void *user, const uint8_t *data, size_t len)
{
    ws_session *s = user;
    if (!s->conn || ws_conn_closing(s->conn))
        return;
    if (len == 0) /* the lane's backlog shrank and nothing came out (yet) */
        return;
    if (s->first_audio_ms < 0) {
        double secs = now_s() - s->first_text_at;
        s->first_audio_ms = (long)(secs * 1000.0);
        static const double bounds[] = {0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5, 10};
        ss_metric_observe(ss_metrics_histogram("scaispeak_first_audio_seconds",
                                               "time from request to the first audio byte", "transport=\"ws\"",
                                               bounds, sizeof bounds / sizeof bounds[0]),
                          secs);
    }
    if (carry_add(s, data, len) != 0) {
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), "out of memory");
        return;
    }
    if (!event_pending(s->pace, EV_TIMEOUT, NULL))
        pace_frames(s);
    if (!s->paused && s->synth && held_bytes(s) > (size_t)s->gw->settings->stream_buffer_bytes) {
        s->paused = true;
        ws_synthesis_pause(s->synth);
    }
}

static void on_conn_drained(void *user)
{
    ws_session *s = user;
    if (s->paused && s->synth && held_bytes(s) <= (size_t)s->gw->settings->stream_buffer_bytes / 2) {
        s->paused = false;
        ws_synthesis_resume(s->synth);
    }
}

static void on_synth_alignment(void *user, json_t *words)
{
    ws_session *s = user;
    if (s->conn)
        ws_conn_send_json(s->conn, json_pack("{s:s,s:o}", "type", "alignment", "words", words));
    else
        json_decref(words);
}

/* `closed`: audio_ms is the audio sent to the client; audio_synthesized_ms
 * all the nodes made, what an interrupt dropped included. */
static void send_closed(ws_session *s)
{
    json_int_t sent_ms = s->open.sample_rate ? (json_int_t)(s->sent_samples * 1000 / (uint64_t)s->open.sample_rate) : 0;
    json_t *stats = json_pack("{s:I,s:s,s:I,s:I,s:o}", "chars", (json_int_t)s->chars, "backend_used", "A",
                              "audio_ms", sent_ms, "audio_synthesized_ms",
                              (json_int_t)ws_synthesis_audio_ms(s->synth), "first_audio_ms",
                              s->first_audio_ms < 0 ? json_null() : json_integer(s->first_audio_ms));
    if (s->conn)
        ws_conn_send_json(s->conn, json_pack("{s:s,s:o}", "type", "closed", "stats", stats));
    else
        json_decref(stats);
    end_session(s, WS_CLOSE_NORMAL, "", "closed");
}

/* Everything asked is synthesised: `closed` goes after the last paced frame. */
static void on_synth_finished(void *user)
{
    ws_session *s = user;
    s->synth_finished = true;
    if (!event_pending(s->pace, EV_TIMEOUT, NULL))
        pace_frames(s);
}

static void on_synth_failed(void *user, ss_api_error e, const char *message)
{
    ws_session *s = user;
    int code = e == SS_ERR_VALIDATION_ERROR ? WS_CLOSE_PROTOCOL
               : e == SS_ERR_INTERNAL_ERROR ? WS_CLOSE_INTERNAL
                                            : WS_CLOSE_BACKEND;
    end_session(s, code, ss_api_error_code(e), message);
}

/* ---- text in ---- */

/* Whether the tenant's blocklist lets the sentence through; false after
 * answering (an error frame, or the close when the list is broken). */
static bool passes_blocklist(ws_session *s, const char *sentence)
{
    size_t n = json_array_size(s->blocklist) / 2;
    const char **ids = calloc(n ? n : 1, sizeof *ids), **texts = calloc(n ? n : 1, sizeof *texts);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    blocklist_verdict v = BLOCKLIST_NO_MEMORY;
    char id[80] = "", why[200] = "", msg[320];
    if (ids && texts && lens) {
        for (size_t i = 0; i < n; i++) {
            ids[i] = json_string_value(json_array_get(s->blocklist, 2 * i));
            texts[i] = json_string_value(json_array_get(s->blocklist, 2 * i + 1));
            lens[i] = json_string_length(json_array_get(s->blocklist, 2 * i + 1));
        }
        v = blocklist_check(ids, texts, lens, n, sentence, id, sizeof id, why, sizeof why);
    }
    free(ids);
    free(texts);
    free(lens);
    if (v == BLOCKLIST_PASS)
        return true;
    if (v == BLOCKLIST_HIT) {
        snprintf(msg, sizeof msg, "the text matches the tenant's blocklist (entry %s); the sentence is not spoken", id);
        ws_conn_send_json(s->conn, json_pack("{s:s,s:s,s:s}", "type", "error", "code",
                                             ss_api_error_code(SS_ERR_CONTENT_BLOCKED), "message", msg));
        return false;
    }
    snprintf(msg, sizeof msg, "%s", v == BLOCKLIST_BROKEN ? why : "out of memory");
    end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), msg);
    return false;
}

/* A licensed voice's charge for one sentence came back: a refusal ends the
 * session 4403 (the session is looked up by id: it may have ended). */
static void on_sentence_charged(void *user, const redisReply *reply, const char *err)
{
    char *session_id = user;
    ws_session *s = live_sessions;
    while (s && strcmp(s->session_id, session_id))
        s = s->next;
    free(session_id);
    if (!s || !s->conn)
        return;
    if (err || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER) {
        ss_error(s->request_id, "websocket session %s: licence charge failed: %s", s->session_id,
                 err ? err : "unexpected reply");
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_SERVICE_UNAVAILABLE),
                    "state store (redis) unavailable");
        return;
    }
    if (reply->element[0]->integer != 1)
        end_session(s, WS_CLOSE_FORBIDDEN, ss_api_error_code(SS_ERR_VOICE_LICENSE_EXPIRED),
                    "the voice's license character cap is reached");
}

/* Charges a licensed voice for a sentence (voice_license.h); false after
 * ending the session (expired, or the charge could not be sent). The
 * sentence is synthesised while the charge is answered, so a session can
 * pass the cap by at most the sentence that reaches it. */
static bool charge_sentence(ws_session *s, const char *sentence)
{
    if (!s->licensed_voice)
        return true;
    if (voice_license_expired(s->licensed_voice, ss_wall_ms())) {
        end_session(s, WS_CLOSE_FORBIDDEN, ss_api_error_code(SS_ERR_VOICE_LICENSE_EXPIRED),
                    "the voice's license has expired");
        return false;
    }
    char *id = strdup(s->session_id);
    if (!id || voice_license_charge_async(s->gw->redis, s->licensed_voice, ss_utf8_chars(sentence), on_sentence_charged,
                                          id) != 0) {
        free(id);
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_SERVICE_UNAVAILABLE),
                    "state store (redis) unavailable");
        return false;
    }
    return true;
}

/* Hands every complete sentence (all of the text with flush) to synthesis. */
static void synthesise_ready_text(ws_session *s, bool flush)
{
    bool no_memory = false;
    char *sentence;
    while (s->synth && (sentence = ws_sentences_next(&s->text, flush, &no_memory))) {
        if (!passes_blocklist(s, sentence)) {
            free(sentence);
            continue;
        }
        if (!charge_sentence(s, sentence)) {
            free(sentence);
            return;
        }
        if (s->first_text_at == 0)
            s->first_text_at = now_s();
        s->chars += ss_utf8_chars(sentence);
        if (ws_synthesis_add(s->synth, sentence) != 0)
            no_memory = true;
        if (no_memory)
            break;
    }
    if (no_memory)
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), "out of memory");
}

static void on_msg_text(ws_session *s, json_t *msg)
{
    json_t *delta = json_object_get(msg, "delta");
    if (!json_is_string(delta)) {
        field_error(s, "delta", "text needs a string delta");
        return;
    }
    ws_sentences_status st = ws_sentences_append(&s->text, json_string_value(delta), json_string_length(delta),
                                                  (size_t)s->gw->settings->ws_max_buffered_text_bytes);
    if (st == WS_SENTENCES_OVER_LIMIT) {
        char why[120];
        snprintf(why, sizeof why, "more than %ld bytes of text without a sentence end; send flush",
                 s->gw->settings->ws_max_buffered_text_bytes);
        protocol_error(s, why);
        return;
    }
    if (st == WS_SENTENCES_NO_MEMORY) {
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), "out of memory");
        return;
    }
    synthesise_ready_text(s, false);
}

static void on_msg_flush(ws_session *s, json_t *msg)
{
    (void)msg;
    synthesise_ready_text(s, true);
}

static void on_msg_interrupt(ws_session *s, json_t *msg)
{
    (void)msg;
    ws_sentences_clear(&s->text);
    ws_synthesis_interrupt(s->synth);
    s->ncarry = 0; /* queued audio is dropped; what was sent is at most ws_audio_lead_ms ahead */
    s->play_until = 0;
    event_del(s->pace);
    if (s->paused) {
        s->paused = false;
        ws_synthesis_resume(s->synth);
    }
    ss_metrics_counter_add("scaispeak_ws_interrupts_total", "interrupts of /stream/speak sessions", "", 1);
    ws_conn_send_json(s->conn, json_pack("{s:s}", "type", "interrupted"));
}

static void on_msg_close(ws_session *s, json_t *msg)
{
    (void)msg;
    synthesise_ready_text(s, true);
    if (!s->synth)
        return;
    s->close_asked = true;
    ws_synthesis_finish(s->synth); /* on_synth_finished sends closed */
}

static void on_msg_open(ws_session *s, json_t *msg);

static const struct {
    const char *type;
    void (*handle)(ws_session *s, json_t *msg);
} MESSAGES[] = {
    {"open", on_msg_open},
    {"text", on_msg_text},
    {"flush", on_msg_flush},
    {"interrupt", on_msg_interrupt},
    {"close", on_msg_close},
};

static void arm_idle(ws_session *s)
{
    struct timeval tv = {s->gw->settings->ws_idle_timeout_s, 0};
    event_add(s->idle, &tv);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ws_session *s = arg;
    size_t head, n;
    double secs;
    /* speaking is not idle: a sentence in synthesis, or whole frames still
     * to send (a PCM tail shorter than a frame waits for the end of the
     * session, not for the client: it does not count) */
    if (s->synth && (ws_synthesis_busy(s->synth) || s->close_asked || next_frame(s, false, &head, &n, &secs))) {
        arm_idle(s);
        return;
    }
    char why[96];
    snprintf(why, sizeof why, "no message for %ld s", s->gw->settings->ws_idle_timeout_s);
    end_session(s, WS_CLOSE_IDLE, "IDLE_TIMEOUT", why);
}

/* Which message it is, in which state: the rules of API.md §3. */
static const char *misplaced(const ws_session *s, const char *type)
{
    if (s->state == WS_WAITING_OPEN && strcmp(type, "open") != 0)
        return "the first message must be open";
    if (s->close_asked)
        return "no message is accepted after close";
    if (s->state == WS_READY && !strcmp(type, "open"))
        return "open was already sent";
    return NULL;
}

static void dispatch(ws_session *s, json_t *msg);

/* Messages that come while `open` is being answered (a client may send its
 * first text right behind open) wait here and are handled, in order, once
 * the session is ready. At most EARLY_MAX; more is a protocol error. */
#define EARLY_MAX 64

static void on_conn_text(void *user, const char *data, size_t len)
{
    ws_session *s = user;
    json_error_t jerr;
    json_t *msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    char why[240];
    if (!msg) {
        snprintf(why, sizeof why, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                 ss_json_error_text(&jerr));
        protocol_error(s, why);
        return;
    }
    if (s->state == WS_OPENING) {
        if (!s->early)
            s->early = json_array();
        if (!s->early || json_array_size(s->early) >= EARLY_MAX || json_array_append_new(s->early, msg) != 0) {
            protocol_error(s, "too many messages before ready");
            return;
        }
        return;
    }
    dispatch(s, msg);
    json_decref(msg);
}

/* Handles the early messages after `ready` (the session may end on one). */
static void replay_early(ws_session *s)
{
    json_t *early = s->early;
    s->early = NULL;
    for (size_t i = 0; i < json_array_size(early) && s->conn && !ws_conn_closing(s->conn); i++)
        dispatch(s, json_array_get(early, i));
    json_decref(early);
}

static void dispatch(ws_session *s, json_t *msg)
{
    char why[240];
    const char *type = json_string_value(json_object_get(msg, "type"));
    size_t i = 0;
    while (type && i < sizeof MESSAGES / sizeof MESSAGES[0] && strcmp(MESSAGES[i].type, type) != 0)
        i++;
    const char *bad = !json_is_object(msg) || !type ? "every message is an object with a string type" : NULL;
    if (!bad && i == sizeof MESSAGES / sizeof MESSAGES[0]) {
        snprintf(why, sizeof why, "unknown message type \"%.60s\" (open, text, flush, interrupt, close)", type);
        bad = why;
    }
    if (!bad)
        bad = misplaced(s, type);
    if (bad)
        protocol_error(s, bad);
    else {
        arm_idle(s);
        MESSAGES[i].handle(s, msg);
    }
}

static void on_conn_closing(void *user, int code, const char *reason)
{
    ws_session *s = user;
    ss_info(s->request_id, "websocket session %s: closing %d (%s)", s->session_id, code, reason);
    stop_synthesis(s);
}

/* ---- answers of the upgrade request become close codes ---- */

static int close_code_of(int status)
{
    switch (status) {
    case 400: case 413: case 422: return WS_CLOSE_PROTOCOL;
    case 401: return WS_CLOSE_UNAUTHENTICATED;
    case 403: return WS_CLOSE_FORBIDDEN;
    case 404: return WS_CLOSE_VOICE_NOT_FOUND;
    case 409: return WS_CLOSE_VOICE_NOT_READY;
    case 429: return WS_CLOSE_RATE_LIMITED;
    case 502: return WS_CLOSE_BACKEND;
    default: return WS_CLOSE_INTERNAL;
    }
}

static void on_request_answer(gw_request *r, int status, json_t *body)
{
    ws_session *s = r->answer_hook_user;
    json_t *err = json_object_get(body, "error");
    json_t *details = json_incref(json_object_get(err, "details")); /* 422's [{field, message}] */
    char code[64], message[320];
    snprintf(code, sizeof code, "%s", err ? json_string_value(json_object_get(err, "code")) : "INTERNAL_ERROR");
    snprintf(message, sizeof message, "%s", err ? json_string_value(json_object_get(err, "message")) : "refused");
    json_decref(body);
    s->r = NULL;
    gw_request_finish(r, status);
    if (gone_after_read(s)) {
        json_decref(details);
        return;
    }
    s->state = WS_WAITING_OPEN; /* no read in flight any more */
    end_session_details(s, close_code_of(status), code, message, details);
}

/* ---- open ---- */

static bool send_plan_refusal(ws_session *s, const gw_backend_plan *plan)
{
    char msg[400] = "no backend can serve this session";
    size_t used = strlen(msg);
    size_t i;
    json_t *u;
    json_array_foreach(plan->unusable, i, u) {
        int n = snprintf(msg + used, sizeof msg - used, "%s %s: %s", i ? ";" : ":",
                         json_string_value(json_object_get(u, "field")),
                         json_string_value(json_object_get(u, "message")));
        if (n < 0 || (size_t)n >= sizeof msg - used)
            break;
        used += (size_t)n;
    }
    ss_warn(s->request_id, "%s", msg);
    end_session(s, WS_CLOSE_BACKEND, ss_api_error_code(SS_ERR_BACKEND_UNAVAILABLE), msg);
    return false;
}

static bool start_synthesis(ws_session *s, speak_context *ctx)
{
    unsigned rnd = 0;
    if (ss_random_bytes(&rnd, sizeof rnd) != 0)
        rnd = (unsigned)now_s();
    const char *engine = json_string_value(json_object_get(ctx->voice, "engine"));
    gw_backend_plan plan;
    if (gw_backend_plan_make(ctx->policy, s->open.preference, ctx->nodes, engine ? engine : PLATFORM_ENGINE_ID,
                             "the relay answers whole files: /stream/speak uses backend A only", rnd,
                             &plan) < 0) {
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), "out of memory");
        return false;
    }
    if (plan.nnodes == 0) {
        send_plan_refusal(s, &plan);
        json_decref(plan.unusable);
        return false;
    }
    snprintf(s->voice_id, sizeof s->voice_id, "%s", json_string_value(json_object_get(ctx->voice, "voice_id")));
    ws_synthesis_spec spec = {s->gw, s->request_id, engine ? engine : PLATFORM_ENGINE_ID, s->voice_id,
                              voice_design_prompt(ctx->voice), (float)s->open.speed, s->open.timestamps,
                              s->open.opus ? SS_FMT_OPUS_PACKETS : SS_FMT_PCM, s->open.sample_rate,
                              plan.nodes, plan.nnodes, voice_reference_sha256(ctx->voice),
                              voice_reference_key(ctx->voice)};
    static const ws_synthesis_events ev = {on_synth_audio, on_synth_alignment, on_synth_finished, on_synth_failed};
    s->synth = ws_synthesis_new(&spec, &ev, s);
    json_decref(plan.unusable);
    s->blocklist = json_incref((json_t *)ctx->blocklist);
    if (json_is_object(json_object_get(ctx->voice, "license")))
        s->licensed_voice = json_incref((json_t *)ctx->voice);
    if (!s->synth) {
        end_session(s, WS_CLOSE_INTERNAL, ss_api_error_code(SS_ERR_INTERNAL_ERROR), "out of memory");
        return false;
    }
    return true;
}

/* `open` is answered: the synthesis starts, `ready` goes out, and the
 * messages that came meanwhile are handled. Releases ctx's objects. */
static void become_ready(ws_session *s, speak_context *ctx)
{
    if (start_synthesis(s, ctx)) {
        /* bound: session_id is the WebRTC session's (wrtc_…, the id of the
         * HTTP routes); this socket's own wss_… id is connection_id */
        json_t *ready = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:i,s:i,s:i}}", "type", "ready", "session_id",
                                  s->binding ? s->bind_id : s->session_id, "voice_id", s->voice_id, "backend_used",
                                  "A", "output", "codec", s->open.opus ? "opus" : "pcm", "sample_rate",
                                  s->open.sample_rate, "channels", 1, "frame_ms", 20);
        if (ready && s->binding && json_object_set_new(ready, "connection_id", json_string(s->session_id)) != 0) {
            json_decref(ready);
            ready = NULL;
        }
        ws_conn_send_json(s->conn, ready);
        ss_info(s->request_id, "websocket session %s ready%s%s: voice %s, %s %d Hz", s->session_id,
                s->binding ? ", controlling " : "", s->binding ? s->bind_id : "", s->voice_id,
                s->open.opus ? "opus" : "pcm", s->open.sample_rate);
        arm_idle(s); /* open's read held it off; from `ready` on, silence counts */
        replay_early(s);
        if (s->conn)
            ws_conn_resume_reading(s->conn);
    }
    json_decref(ctx->policy);
    json_decref(ctx->voice);
    json_decref(ctx->nodes);
}

static void on_context(gw_request *r, void *user, speak_context *ctx)
{
    ws_session *s = user;
    s->r = NULL;
    s->state = WS_READY;
    gw_request_finish(r, 101);
    if (gone_after_read(s)) {
        json_decref(ctx->policy);
        json_decref(ctx->voice);
        json_decref(ctx->nodes);
        return;
    }
    become_ready(s, ctx);
}

/* A bound session's caller is authorized: its owner hands over what `open`
 * would have read. */
static void claim_bound(ws_session *s, gw_request *r)
{
    ws_session_preset preset;
    char why[200] = "no such session";
    memset(&preset, 0, sizeof preset);
    int code = s->binding->claim(s->bind_id, &r->caller, s, &preset, why, sizeof why);
    s->r = NULL;
    s->state = WS_READY;
    gw_request_finish(r, 101);
    if (code != 0) {
        /* not found: HTTP's code for the same session (API.md §3); else a
         * protocol error (a second control connection) */
        end_session(s, code,
                    ss_api_error_code(code == WS_CLOSE_VOICE_NOT_FOUND ? SS_ERR_WEBRTC_SESSION_NOT_FOUND
                                                                       : SS_ERR_MALFORMED_REQUEST),
                    why);
        return;
    }
    s->open = preset.open;
    s->sink = preset.sink;
    s->owner = preset.owner;
    become_ready(s, &preset.ctx);
}

void ws_session_end_bound(ws_session *s, int code, const char *message)
{
    s->owner = NULL;
    s->sink.send = NULL;
    end_session(s, code, ss_api_error_code(SS_ERR_INTERNAL_ERROR), message);
}

static void on_msg_open(ws_session *s, json_t *msg)
{
    ws_open_problem pb;
    if (ws_open_parse(msg, &s->open, &pb) != 0) {
        field_error(s, pb.field, pb.message);
        return;
    }
    s->state = WS_OPENING;
    ws_conn_hold_reading(s->conn);
    event_del(s->idle);
    speak_lookup q = {s->open.voice_id, "", "", s->open.language_hint, gw_phase_required(s->r, GW_PHASE_RATE_LIMIT)};
    speak_context_read(s->r, &q, on_context, s, NULL);
}

/* ---- authentication ---- */

void ws_session_cap_key(const gw_caller *c, char *out, size_t cap)
{
    if (c->kind == CALLER_API_KEY)
        snprintf(out, cap, "key:%s", c->key_id);
    else if (c->kind == CALLER_JWT)
        snprintf(out, cap, "user:%s:%s", c->tenant_id, c->user_id);
    else
        snprintf(out, cap, "operator");
}

/* The last phase: the caller is known and may synthesise. */
static void on_authorized(gw_request *r)
{
    ws_session *s = r->answer_hook_user;
    s->state = WS_WAITING_OPEN;
    if (gone_after_read(s))
        return;
    if (s->binding) {
        claim_bound(s, r);
        return;
    }
    ws_session_cap_key(&r->caller, s->cap_key, sizeof s->cap_key);
    long same = 0;
    for (ws_session *o = live_sessions; o; o = o->next)
        same += o != s && !strcmp(o->cap_key, s->cap_key);
    if (same >= s->gw->settings->ws_sessions_per_key) {
        char why[120];
        snprintf(why, sizeof why, "more than %ld open sessions for this API key", s->gw->settings->ws_sessions_per_key);
        s->cap_key[0] = '\0';
        end_session(s, WS_CLOSE_RATE_LIMITED, ss_api_error_code(SS_ERR_RATE_LIMITED), why);
        return;
    }
    arm_idle(s);
    ws_conn_resume_reading(s->conn);
}

void ws_session_start(gw_request *r, struct evhttp_connection *evcon, struct bufferevent *bev)
{
    ws_session_start_bound(r, evcon, bev, NULL, NULL);
}

void ws_session_start_bound(gw_request *r, struct evhttp_connection *evcon, struct bufferevent *bev,
                            const ws_session_binding *binding, const char *id)
{
    ws_session *s = calloc(1, sizeof *s);
    static const ws_conn_events ev = {on_conn_text, on_conn_closing, on_conn_drained, on_conn_closed};
    if (s) {
        s->gw = r->gw;
        s->first_audio_ms = -1;
        s->binding = binding;
        snprintf(s->bind_id, sizeof s->bind_id, "%s", id ? id : "");
        snprintf(s->request_id, sizeof s->request_id, "%s", r->id);
        s->idle = evtimer_new(r->gw->base, on_idle, s);
        s->pace = evtimer_new(r->gw->base, on_pace, s);
        s->conn = s->idle && s->pace ? ws_conn_new(evcon, bev, (size_t)r->gw->settings->ws_max_message_bytes,
                                        (size_t)r->gw->settings->stream_buffer_bytes / 2, r->id, &ev, s)
                          : NULL;
    }
    if (!s || !s->conn) {
        ss_error(r->id, "websocket session: out of memory");
        if (s && s->idle)
            event_free(s->idle);
        if (s && s->pace)
            event_free(s->pace);
        free(s);
        gw_request_finish(r, 500);
        evhttp_connection_free(evcon);
        return;
    }
    s->r = r;
    s->evcon = evcon;
    s->next = live_sessions;
    if (live_sessions)
        live_sessions->prev = s;
    live_sessions = s;
    gauge_add(1);
    if (ss_id_new("wss_", 20, s->session_id, sizeof s->session_id) != 0) {
        ss_error(r->id, "websocket session: no session id (no randomness from the kernel)");
        s->state = WS_WAITING_OPEN;
        ws_conn_abort(s->conn); /* its on_closed frees the session */
        return;
    }
    r->answer_hook = on_request_answer;
    r->answer_hook_user = s;
    r->need = PERM_SYNTHESIZE;
    r->route_flags = GW_ROUTE_RATE_LIMITS_ITSELF; /* counted once per session, at open */
    r->handler = on_authorized;
    size_t nphases;
    const gw_phase *phases = gw_phases(&nphases);
    gw_phases_start(r, phases, nphases);
}
