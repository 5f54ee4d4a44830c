/* WebRTC sessions (see webrtc.h): the routes, the session records and the
 * control WebSocket's binding.
 *
 * A record lives from POST to its end:
 *   NEGOTIATING  the POST waits for the peer's answer (webrtc_peer.h; the
 *                loop does not wait: the answer comes back as an event);
 *   WAITING      201 sent; the control WebSocket must connect within
 *                ws_idle_timeout_s, else the session ends;
 *   CONTROLLED   a bound ws_session (ws_session.h) speaks into the peer; its
 *                idle close, `closed` and errors are the WebSocket's;
 *   LINGERING    the control socket ended: the peer stays one second more,
 *                so the last packets leave, then the session ends.
 * DELETE ends it in any state after 201 (closing the control socket 1000).
 * Sessions count against ws_sessions_per_key (per API key or JWT user,
 * separately from /stream/speak's); another caller's session is 404.
 *
 * Global state (documented, loop thread only): `unavailable`, written once
 * by gw_webrtc_probe() before the loop starts; the list of live records. */
#include "gateway/webrtc.h"

#include "gateway/webrtc_body.h"
#include "gateway/backend_resolve.h"
#include "gateway/gst_runtime.h"
#include "gateway/request_phases.h"
#include "gateway/speak_context.h"
#include "gateway/voice_store.h"
#include "gateway/webrtc_peer.h"
#include "gateway/ws_frames.h"
#include "gateway/ws_session.h"
#include "gateway/ws_upgrade.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INSTALL_HINT                                                                               \
    "install GStreamer's WebRTC elements (Debian: apt-get install gstreamer1.0-plugins-bad "       \
    "gstreamer1.0-nice gstreamer1.0-plugins-good gstreamer1.0-plugins-base) and restart the gateway"
#define SESSIONS_PATH "/v1/modules/scaispeak/stream/speak/webrtc/sessions"
#define LINGER_S 1

static char unavailable[640] = "WebRTC was not probed";

typedef enum { RTC_NEGOTIATING, RTC_WAITING, RTC_CONTROLLED, RTC_LINGERING } rtc_state;

typedef struct rtc_session rtc_session;
struct rtc_session {
    rtc_session *prev, *next;
    gw_server *gw;
    rtc_state state;
    char id[32];
    char cap_key[160];
    char request_id[SS_REQUEST_ID_MAX + 1];
    char control_url[400];
    gw_request *pending;   /* the POST, while NEGOTIATING */
    char *offer;           /* until the peer starts */
    int opus_pt;
    webrtc_peer *peer;
    struct event *timer;   /* WAITING: the control deadline; LINGERING: the end */
    ws_open_params open;
    json_t *policy, *voice, *nodes, *blocklist;
    ws_session *control;   /* CONTROLLED */
    double posted_at;
};

static rtc_session *live;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gauge_add(double v)
{
    ss_metric_add(ss_metrics_gauge("scaispeak_webrtc_sessions_active", "WebRTC sessions (negotiating or live)", ""),
                  v);
}

/* ---- records ---- */

static void record_free(void *user)
{
    rtc_session *s = user;
    if (s->prev)
        s->prev->next = s->next;
    else if (live == s)
        live = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->peer)
        webrtc_peer_stop(s->peer);
    if (s->timer)
        event_free(s->timer);
    json_decref(s->policy);
    json_decref(s->voice);
    json_decref(s->nodes);
    json_decref(s->blocklist);
    free(s->offer);
    gauge_add(-1);
    free(s);
}

static void record_end(rtc_session *s, const char *why)
{
    ss_info(s->request_id, "webrtc session %s ended: %s", s->id, why);
    if (s->control)
        ws_session_end_bound(s->control, WS_CLOSE_NORMAL, why);
    s->control = NULL;
    record_free(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rtc_session *s = arg;
    record_end(s, s->state == RTC_WAITING ? "no control connection in time" : "control connection closed");
}

static void arm_timer(rtc_session *s, long secs)
{
    struct timeval tv = {secs, 0};
    event_add(s->timer, &tv);
}

/* The caller's record id, NEGOTIATING ones excepted (their id is not out yet). */
static rtc_session *find_own(const char *id, const gw_caller *caller)
{
    char key[160];
    ws_session_cap_key(caller, key, sizeof key);
    for (rtc_session *s = live; s; s = s->next)
        if (s->state != RTC_NEGOTIATING && !strcmp(s->id, id) && !strcmp(s->cap_key, key))
            return s;
    return NULL;
}

/* ---- the answer ---- */

static void on_answer(void *user, int ok, int bad_offer, const char *text)
{
    rtc_session *s = user;
    gw_request *r = s->pending;
    s->pending = NULL;
    if (!ok) {
        /* an offer webrtcbin refuses is a field error of the body, as one
         * the loop refused would have been (webrtc_body.h) */
        json_t *details = bad_offer ? json_array() : NULL;
        if (details && json_array_append_new(details, ss_detail("sdp_offer", text)) != 0) {
            json_decref(details);
            details = NULL; /* out of memory: answered without details */
        }
        gw_reply_error(r, bad_offer ? SS_ERR_VALIDATION_ERROR : SS_ERR_INTERNAL_ERROR, text, details);
        record_free(s);
        return;
    }
    s->state = RTC_WAITING;
    arm_timer(s, s->gw->settings->ws_idle_timeout_s);
    ss_info(s->request_id, "webrtc session %s answered in %.0f ms", s->id, (now_s() - s->posted_at) * 1000.0);
    gw_reply_json(r, 201, ss_envelope_ok(json_pack("{s:s,s:s,s:s}", "session_id", s->id, "sdp_answer", text,
                                                   "control_url", s->control_url),
                                         r->id));
}

/* ---- POST ---- */

static void reply_plan_refusal(gw_request *r, const gw_backend_plan *plan)
{
    json_t *details = json_incref(plan->unusable);
    gw_reply_error(r, SS_ERR_BACKEND_UNAVAILABLE, "no backend can serve this session (WebRTC uses backend A only)",
                   details);
}

static void on_context(gw_request *r, void *user, speak_context *ctx)
{
    rtc_session *s = user;
    unsigned rnd = 0;
    if (ss_random_bytes(&rnd, sizeof rnd) != 0)
        rnd = (unsigned)now_s();
    const char *engine = json_string_value(json_object_get(ctx->voice, "engine"));
    gw_backend_plan plan;
    s->policy = ctx->policy;
    s->voice = ctx->voice;
    s->nodes = ctx->nodes;
    s->blocklist = json_incref((json_t *)ctx->blocklist);
    if (gw_backend_plan_make(s->policy, s->open.preference, s->nodes, engine ? engine : PLATFORM_ENGINE_ID,
                             "the relay answers whole files: WebRTC uses backend A only", rnd, &plan) < 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        record_free(s);
        return;
    }
    if (plan.nnodes == 0) {
        reply_plan_refusal(r, &plan);
        json_decref(plan.unusable);
        record_free(s);
        return;
    }
    json_decref(plan.unusable);
    /* the offer was checked before the reads; the peer answers it now */
    webrtc_ice_settings ice = {(int)s->gw->settings->webrtc_ice_min_port, (int)s->gw->settings->webrtc_ice_max_port,
                               s->gw->settings->webrtc_ice_address};
    s->pending = r;
    s->peer = webrtc_peer_new(s->offer, s->opus_pt, &ice, r->id, on_answer, s);
    free(s->offer);
    s->offer = NULL;
    if (!s->peer) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        record_free(s);
    }
}

static void make_control_url(gw_request *r, rtc_session *s)
{
    const char *host = gw_header(r, "Host");
    bool plain = host && *host && strlen(host) < 200;
    for (const char *c = host; plain && *c; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]", *c) != NULL;
    snprintf(s->control_url, sizeof s->control_url, "%s%s%s/%s/control", plain ? "ws://" : "", plain ? host : "",
             SESSIONS_PATH, s->id);
}

static long sessions_of(const char *cap_key)
{
    long n = 0;
    for (rtc_session *s = live; s; s = s->next)
        n += !strcmp(s->cap_key, cap_key);
    return n;
}

/* 422 VALIDATION_ERROR with the details (stolen), or 500 when out of memory
 * (rc -2); the message lists the details' messages. */
static void reply_invalid_body(gw_request *r, int rc, json_t *details)
{
    char msg[600];
    if (rc == -2) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_error(r, SS_ERR_VALIDATION_ERROR, webrtc_details_message(details, msg, sizeof msg), details);
}

static bool unavailable_answered(gw_request *r)
{
    if (!unavailable[0])
        return false;
    gw_reply_error(r, SS_ERR_WEBRTC_UNAVAILABLE, unavailable, NULL);
    return true;
}

void gw_handle_webrtc_session_create(gw_request *r)
{
    if (unavailable_answered(r))
        return;
    json_t *body = NULL, *details = NULL;
    if (gw_request_json(r, &body) != 0)
        return; /* not JSON: 400 MALFORMED_REQUEST */
    char why[300];
    webrtc_create_body b;
    int rc = webrtc_create_body_read(body, &b, &details);
    if (rc != 0) {
        json_decref(body);
        reply_invalid_body(r, rc, details);
        return;
    }
    char cap_key[160];
    ws_session_cap_key(&r->caller, cap_key, sizeof cap_key);
    if (sessions_of(cap_key) >= r->gw->settings->ws_sessions_per_key) {
        json_decref(body);
        snprintf(why, sizeof why, "more than %ld WebRTC sessions for this API key (ws_sessions_per_key)",
                 r->gw->settings->ws_sessions_per_key);
        gw_reply_error(r, SS_ERR_RATE_LIMITED, why, NULL);
        return;
    }
    rtc_session *s = calloc(1, sizeof *s);
    if (s)
        s->timer = evtimer_new(r->gw->base, on_timer, s);
    if (!s || !s->timer || ss_id_new("wrtc_", 20, s->id, sizeof s->id) != 0) {
        if (s && s->timer)
            event_free(s->timer);
        free(s);
        json_decref(body);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    s->gw = r->gw;
    s->open = b.open;
    s->posted_at = now_s();
    snprintf(s->cap_key, sizeof s->cap_key, "%s", cap_key);
    snprintf(s->request_id, sizeof s->request_id, "%s", r->id);
    make_control_url(r, s);
    s->next = live;
    if (live)
        live->prev = s;
    live = s;
    gauge_add(1);
    s->opus_pt = b.opus_pt;
    s->offer = strdup(b.sdp_offer);
    json_decref(body);
    if (!s->offer) {
        record_free(s);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    /* the reads of `open`, then the peer answers the offer (on_context) and
     * the POST completes in on_answer */
    speak_lookup q = {s->open.voice_id, "", "", s->open.language_hint, gw_phase_required(r, GW_PHASE_RATE_LIMIT)};
    speak_context_read(r, &q, on_context, s, record_free);
}

/* ---- ICE, DELETE ---- */

static rtc_session *find_or_404(gw_request *r)
{
    rtc_session *s = r->nparams > 0 ? find_own(r->params[0], &r->caller) : NULL;
    if (!s)
        gw_reply_error(r, SS_ERR_WEBRTC_SESSION_NOT_FOUND, "no such WebRTC session (it ended, or is another caller's)",
                       NULL);
    return s;
}

void gw_handle_webrtc_session_ice(gw_request *r)
{
    if (unavailable_answered(r))
        return;
    json_t *body = NULL, *details = NULL;
    if (gw_request_json(r, &body) != 0)
        return; /* not JSON: 400 MALFORMED_REQUEST */
    rtc_session *s = find_or_404(r);
    if (!s) {
        json_decref(body);
        return;
    }
    webrtc_ice_body b;
    int rc = webrtc_ice_body_read(body, &b, &details);
    if (rc != 0) {
        json_decref(body);
        reply_invalid_body(r, rc, details);
        return;
    }
    rc = *b.candidate ? webrtc_peer_add_ice(s->peer, b.sdp_mline_index, b.candidate) : 0;
    json_decref(body);
    if (rc != 0)
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    else
        gw_reply_ok(r, json_pack("{s:s}", "session_id", s->id));
}

void gw_handle_webrtc_session_delete(gw_request *r)
{
    if (unavailable_answered(r))
        return;
    rtc_session *s = find_or_404(r);
    if (!s)
        return;
    json_t *data = json_pack("{s:s,s:b}", "session_id", s->id, "ended", 1);
    record_end(s, "deleted by the client");
    gw_reply_ok(r, data);
}

/* ---- the control WebSocket ---- */

static void sink_send(void *user, const uint8_t *packet, size_t len, double start_s, double secs)
{
    rtc_session *s = user;
    webrtc_peer_push(s->peer, packet, len, start_s, secs);
}

static int claim(const char *id, const gw_caller *caller, ws_session *ws, ws_session_preset *out, char *why,
                 size_t cap)
{
    rtc_session *s = find_own(id, caller);
    if (!s) {
        snprintf(why, cap, "no such WebRTC session (it ended, or is another caller's)");
        return WS_CLOSE_VOICE_NOT_FOUND;
    }
    if (s->state != RTC_WAITING) {
        snprintf(why, cap, "the WebRTC session already has a control connection");
        return WS_CLOSE_PROTOCOL;
    }
    event_del(s->timer);
    s->state = RTC_CONTROLLED;
    s->control = ws;
    out->open = s->open;
    out->ctx.policy = json_incref(s->policy);
    out->ctx.voice = json_incref(s->voice);
    out->ctx.nodes = json_incref(s->nodes);
    out->ctx.blocklist = s->blocklist;
    out->sink.send = sink_send;
    out->sink.user = s;
    out->owner = s;
    return 0;
}

static void released(void *owner)
{
    rtc_session *s = owner;
    s->control = NULL;
    s->state = RTC_LINGERING;
    arm_timer(s, LINGER_S);
}

static const ws_session_binding BINDING = {claim, released};

void gw_handle_webrtc_control(gw_request *r)
{
    if (unavailable_answered(r))
        return;
    char id[64];
    snprintf(id, sizeof id, "%s", r->nparams > 0 ? r->params[0] : "");
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    if (ws_upgrade_accept(r, &evcon, &bev) == 0)
        ws_session_start_bound(r, evcon, bev, &BINDING, id);
}

/* ---- start ---- */

void gw_webrtc_probe(gw_server *gw, char *why, size_t cap)
{
    char reason[300];
    if (gst_runtime_load(reason, sizeof reason) != 0 || webrtc_peers_start(gw->base, reason, sizeof reason) != 0) {
        snprintf(unavailable, sizeof unavailable, "%s; " INSTALL_HINT, reason);
        ss_info(NULL, "WebRTC: unavailable: %s", unavailable);
    } else {
        unavailable[0] = '\0';
        ss_info(NULL, "WebRTC: available (GStreamer webrtcbin loaded at run time)");
    }
    if (why)
        snprintf(why, cap, "%s", unavailable);
}
