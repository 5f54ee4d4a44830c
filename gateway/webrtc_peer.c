/* WebRTC peer connections on the GLib thread (see webrtc_peer.h).
 *
 * A peer's negotiation is a chain of small steps, each run on the GLib
 * thread (g_idle_add): build → remote description set → answer created →
 * local description set (+ ICE gathering complete) → the answer goes to the
 * loop. webrtcbin's promises and notifications fire on its own threads;
 * their callbacks only post the next step. Each posted step holds a
 * reference to the peer.
 *
 * Global state (documented): the GLib thread's loop, the queue of answers
 * for the event loop (under `done_lock`) and the event that drains it. */
#include "gateway/webrtc_peer.h"

#include "gateway/gst_runtime.h"

#include "common/log.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GATHER_DEADLINE_MS 3000 /* the answer goes with what was gathered by then */

struct webrtc_peer {
    atomic_int refs;
    webrtc_peer *next_done;       /* in the answer queue */
    char request_id[64];
    /* loop thread */
    webrtc_answer_fn done;
    void *user;
    bool stopped;
    uint64_t next_pts;            /* no packet goes before the end of the previous one */
    bool push_refused;
    /* GLib thread */
    char *offer;
    int opus_pt;
    webrtc_ice_settings ice;
    char ice_address[64];
    void *pipeline, *webrtc, *appsrc;
    double playing_at_s;          /* monotonic s when the pipeline started: running time 0 */
    bool local_set, answered, torn_down;
    /* handed to the loop (under done_lock, then the loop's) */
    int ok, bad_offer;
    char *answer;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static webrtc_peer *done_head, *done_tail;
static struct event *done_event;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void peer_ref(webrtc_peer *p)
{
    atomic_fetch_add(&p->refs, 1);
}

static void peer_unref(webrtc_peer *p)
{
    if (atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    free(p->offer);
    free(p->answer);
    free(p);
}

/* ---- the offer, read on the loop ---- */

int webrtc_offer_opus_pt(const char *sdp)
{
    if (strncmp(sdp, "v=0", 3) != 0 || !strstr(sdp, "m=audio "))
        return -1;
    for (const char *l = strstr(sdp, "a=rtpmap:"); l; l = strstr(l + 1, "a=rtpmap:")) {
        int pt = -1, n = 0;
        if (sscanf(l, "a=rtpmap:%d %n", &pt, &n) == 1 && n > 0 && pt >= 0 && pt < 128 &&
            strncasecmp(l + n, "opus/48000", 10) == 0)
            return pt;
    }
    return -1;
}

/* ---- answers back to the loop ---- */

/* GLib thread: hands the outcome to the loop (once per peer). */
static void deliver(webrtc_peer *p, int ok, int bad_offer, const char *text)
{
    if (p->answered)
        return;
    p->answered = true;
    p->ok = ok;
    p->bad_offer = bad_offer;
    p->answer = strdup(text ? text : "out of memory");
    peer_ref(p);
    pthread_mutex_lock(&done_lock);
    if (done_tail)
        done_tail->next_done = p;
    else
        done_head = p;
    done_tail = p;
    pthread_mutex_unlock(&done_lock);
    event_active(done_event, EV_READ, 0);
}

static void on_done_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    pthread_mutex_lock(&done_lock);
    webrtc_peer *p = done_head;
    done_head = done_tail = NULL;
    pthread_mutex_unlock(&done_lock);
    while (p) {
        webrtc_peer *next = p->next_done;
        if (!p->stopped)
            p->done(p->user, p->ok, p->bad_offer, p->answer ? p->answer : "out of memory");
        peer_unref(p);
        p = next;
    }
}

/* ---- the steps on the GLib thread ---- */

typedef struct {
    webrtc_peer *peer;
    void *promise;
    unsigned mline;
    char *candidate;
} step;

static step *step_new(webrtc_peer *p)
{
    step *s = calloc(1, sizeof *s);
    if (s) {
        peer_ref(p);
        s->peer = p;
    }
    return s;
}

static gboolean step_end(step *s)
{
    if (s->promise)
        gst.gst_mini_object_unref(s->promise);
    peer_unref(s->peer);
    free(s->candidate);
    free(s);
    return 0; /* G_SOURCE_REMOVE */
}

/* Posts fn(step) on the GLib thread; the step (and its reference) is fn's. */
static void post(step *s, GSourceFunc fn)
{
    gst.g_idle_add(fn, s);
}

static void post_new(webrtc_peer *p, GSourceFunc fn)
{
    step *s = step_new(p);
    if (s)
        post(s, fn);
    else
        ss_error(p->request_id, "webrtc: out of memory posting a step");
}

/* A promise's change callback (webrtcbin's thread): run `fn` on ours. */
typedef struct {
    step *s;
    GSourceFunc fn;
} promise_wait;

static void on_promise(void *promise, gpointer data)
{
    (void)promise;
    promise_wait *w = data;
    post(w->s, w->fn);
    free(w);
}

/* A promise whose completion posts fn with it; NULL when out of memory. */
static void *promise_to(webrtc_peer *p, GSourceFunc fn)
{
    promise_wait *w = calloc(1, sizeof *w);
    step *s = w ? step_new(p) : NULL;
    if (!s) {
        free(w);
        return NULL;
    }
    w->s = s;
    w->fn = fn;
    s->promise = gst.gst_promise_new_with_change_func(on_promise, w, NULL);
    return s->promise;
}

/* The promise's error, or NULL when it has none (why is a buffer). */
static const char *promise_error(step *s, char *why, size_t cap)
{
    const void *reply = gst.gst_promise_get_reply(s->promise);
    if (!reply || !gst.gst_structure_has_field(reply, "error"))
        return NULL;
    GError *e = NULL;
    gst.gst_structure_get(reply, "error", gst.g_error_get_type(), &e, NULL);
    snprintf(why, cap, "%s", e && e->message ? e->message : "webrtcbin refused it");
    if (e)
        gst.g_error_free(e);
    return why;
}

static void teardown(webrtc_peer *p)
{
    if (p->torn_down)
        return;
    p->torn_down = true;
    if (p->pipeline)
        gst.gst_element_set_state(p->pipeline, GST_STATE_NULL_);
    if (p->appsrc)
        gst.gst_object_unref(p->appsrc);
    if (p->webrtc)
        gst.gst_object_unref(p->webrtc);
    if (p->pipeline)
        gst.gst_object_unref(p->pipeline);
    p->pipeline = p->webrtc = p->appsrc = NULL;
}

static void fail(webrtc_peer *p, int bad_offer, const char *fmt, const char *detail)
{
    char why[400];
    snprintf(why, sizeof why, fmt, detail);
    ss_warn(p->request_id, "webrtc: %s", why);
    deliver(p, 0, bad_offer, why);
    teardown(p);
}

static gboolean step_answer_ready(gpointer data)
{
    step *s = data;
    webrtc_peer *p = s->peer;
    if (!p->torn_down && !p->answered && p->local_set) {
        gst_webrtc_sdp *desc = NULL;
        gst.g_object_get(p->webrtc, "local-description", &desc, NULL);
        char *text = desc ? gst.gst_sdp_message_as_text(desc->sdp) : NULL;
        if (text && strstr(text, "a=sendonly"))
            deliver(p, 1, 0, text);
        else if (text)
            fail(p, 1, "the offer has no audio m-line the gateway can send to (answer: %.200s)", text);
        else
            fail(p, 0, "%s", "webrtcbin gave no local description");
        if (text)
            gst.g_free(text);
        if (desc)
            gst.gst_webrtc_session_description_free(desc);
    }
    return step_end(s);
}

static gboolean step_gather_deadline(gpointer data)
{
    return step_answer_ready(data);
}

/* ICE gathering state changed (webrtcbin's thread). */
static void on_gathering(void *obj, void *pspec, gpointer data)
{
    (void)pspec;
    int state = 0;
    gst.g_object_get(obj, "ice-gathering-state", &state, NULL);
    if (state == GST_WEBRTC_ICE_GATHERING_COMPLETE_)
        post_new(data, step_answer_ready);
}

static gboolean step_local_set(gpointer data)
{
    step *s = data;
    webrtc_peer *p = s->peer;
    char why[300];
    if (!p->torn_down && !p->answered) {
        const char *err = promise_error(s, why, sizeof why);
        if (err)
            fail(p, 1, "the answer could not be applied: %s", err);
        else {
            p->local_set = true;
            int state = 0;
            gst.g_object_get(p->webrtc, "ice-gathering-state", &state, NULL);
            step *d = step_new(p);
            if (state == GST_WEBRTC_ICE_GATHERING_COMPLETE_)
                post_new(p, step_answer_ready);
            if (d)
                gst.g_timeout_add(GATHER_DEADLINE_MS, step_gather_deadline, d);
        }
    }
    return step_end(s);
}

static gboolean step_answer_created(gpointer data)
{
    step *s = data;
    webrtc_peer *p = s->peer;
    char why[300];
    if (!p->torn_down && !p->answered) {
        const char *err = promise_error(s, why, sizeof why);
        const void *reply = gst.gst_promise_get_reply(s->promise);
        gst_webrtc_sdp *answer = NULL;
        if (!err && reply)
            gst.gst_structure_get(reply, "answer", gst.gst_webrtc_session_description_get_type(), &answer, NULL);
        void *promise = answer ? promise_to(p, step_local_set) : NULL;
        if (err)
            fail(p, 1, "the offer cannot be answered: %s", err);
        else if (!answer)
            fail(p, 1, "%s", "the offer cannot be answered: webrtcbin made no answer");
        else if (!promise)
            fail(p, 0, "%s", "out of memory");
        else
            gst.g_signal_emit_by_name(p->webrtc, "set-local-description", answer, promise);
        if (answer)
            gst.gst_webrtc_session_description_free(answer);
    }
    return step_end(s);
}

static gboolean step_remote_set(gpointer data)
{
    step *s = data;
    webrtc_peer *p = s->peer;
    char why[300];
    if (!p->torn_down && !p->answered) {
        const char *err = promise_error(s, why, sizeof why);
        void *promise = err ? NULL : promise_to(p, step_answer_created);
        if (err)
            fail(p, 1, "the offer was refused: %s", err);
        else if (!promise)
            fail(p, 0, "%s", "out of memory");
        else
            gst.g_signal_emit_by_name(p->webrtc, "create-answer", NULL, promise);
    }
    return step_end(s);
}

/* The send-only Opus transceiver behind webrtcbin's sink pad. */
static void configure_transceiver(webrtc_peer *p)
{
    void *pad = gst.gst_element_get_static_pad(p->webrtc, "sink_0");
    void *trans = NULL;
    if (pad)
        gst.g_object_get(pad, "transceiver", &trans, NULL);
    if (trans) {
        char caps_text[160];
        snprintf(caps_text, sizeof caps_text,
                 "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=%d", p->opus_pt);
        void *caps = gst.gst_caps_from_string(caps_text);
        gst.g_object_set(trans, "direction", GST_WEBRTC_DIRECTION_SENDONLY_, "codec-preferences", caps, NULL);
        if (caps)
            gst.gst_mini_object_unref(caps);
        gst.g_object_unref(trans);
    }
    if (pad)
        gst.gst_object_unref(pad);
}

static void configure_ice(webrtc_peer *p)
{
    void *ice = NULL;
    gst.g_object_get(p->webrtc, "ice-agent", &ice, NULL);
    if (!ice)
        return;
    if (p->ice.min_port > 0 && p->ice.max_port >= p->ice.min_port)
        gst.g_object_set(ice, "min-rtp-port", (unsigned)p->ice.min_port, "max-rtp-port", (unsigned)p->ice.max_port,
                         NULL);
    if (p->ice_address[0]) {
        int added = 0;
        gst.g_signal_emit_by_name(ice, "add-local-ip-address", p->ice_address, &added);
        if (!added)
            ss_warn(p->request_id, "webrtc: ICE cannot use address %s; gathering on every interface",
                    p->ice_address);
    }
    gst.gst_object_unref(ice);
}

static gboolean step_build(gpointer data)
{
    step *s = data;
    webrtc_peer *p = s->peer;
    char launch[600], why[300];
    snprintf(launch, sizeof launch,
             "appsrc name=src is-live=true format=time do-timestamp=false "
             "caps=audio/x-opus,rate=48000,channels=1,channel-mapping-family=0 "
             "! rtpopuspay pt=%d ! capsfilter caps=application/x-rtp,media=audio,encoding-name=OPUS,"
             "clock-rate=48000,payload=%d ! webrtcbin name=webrtc bundle-policy=max-bundle",
             p->opus_pt, p->opus_pt);
    GError *gerr = NULL;
    void *sdp = NULL;
    gst_webrtc_sdp *offer = NULL;
    void *promise = NULL;
    if (p->torn_down)
        return step_end(s);
    p->pipeline = gst.gst_parse_launch(launch, &gerr);
    if (!p->pipeline || gerr) {
        snprintf(why, sizeof why, "%s", gerr ? gerr->message : "no reason given");
        if (gerr)
            gst.g_error_free(gerr);
        fail(p, 0, "cannot build the WebRTC pipeline: %s", why);
        return step_end(s);
    }
    p->webrtc = gst.gst_bin_get_by_name(p->pipeline, "webrtc");
    p->appsrc = gst.gst_bin_get_by_name(p->pipeline, "src");
    if (!p->webrtc || !p->appsrc) {
        fail(p, 0, "%s", "the WebRTC pipeline lacks its elements");
        return step_end(s);
    }
    configure_transceiver(p);
    configure_ice(p);
    gst.g_signal_connect_data(p->webrtc, "notify::ice-gathering-state", (GCallback)on_gathering, p, NULL, 0);
    p->playing_at_s = now_s();
    if (gst.gst_element_set_state(p->pipeline, GST_STATE_PLAYING_) == GST_STATE_CHANGE_FAILURE_) {
        fail(p, 0, "%s", "the WebRTC pipeline does not start");
        return step_end(s);
    }
    if (gst.gst_sdp_message_new_from_text(p->offer, &sdp) != GST_SDP_OK_ || !sdp) {
        fail(p, 1, "%s", "sdp_offer is not an SDP message");
        return step_end(s);
    }
    offer = gst.gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER_, sdp); /* takes sdp */
    promise = offer ? promise_to(p, step_remote_set) : NULL;
    if (!promise)
        fail(p, 0, "%s", "out of memory");
    else
        gst.g_signal_emit_by_name(p->webrtc, "set-remote-description", offer, promise);
    if (offer)
        gst.gst_webrtc_session_description_free(offer);
    return step_end(s);
}

static gboolean step_add_ice(gpointer data)
{
    step *s = data;
    if (!s->peer->torn_down && s->peer->webrtc)
        gst.g_signal_emit_by_name(s->peer->webrtc, "add-ice-candidate", s->mline, s->candidate);
    return step_end(s);
}

static gboolean step_teardown(gpointer data)
{
    step *s = data;
    teardown(s->peer);
    return step_end(s);
}

/* ---- the loop's side ---- */

/* Loads the pipeline's plugins (webrtcbin, nice, DTLS, SRTP, RTP) once at
 * start, on the GLib thread, so the first session does not wait for them. */
static gboolean warm_up(gpointer data)
{
    (void)data;
    GError *gerr = NULL;
    void *pipeline = gst.gst_parse_launch("appsrc ! rtpopuspay ! webrtcbin", &gerr);
    if (gerr) {
        ss_warn(NULL, "webrtc: warming up the plugins: %s", gerr->message);
        gst.g_error_free(gerr);
    }
    if (pipeline)
        gst.gst_object_unref(pipeline);
    return 0;
}

static void *glib_thread(void *loop)
{
    gst.g_main_loop_run(loop);
    return NULL;
}

int webrtc_peers_start(struct event_base *base, char *why, size_t cap)
{
    done_event = event_new(base, -1, 0, on_done_event, NULL);
    void *loop = done_event ? gst.g_main_loop_new(NULL, 0) : NULL;
    pthread_t t;
    if (!loop) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    if (pthread_create(&t, NULL, glib_thread, loop) != 0) {
        snprintf(why, cap, "cannot start the GStreamer thread");
        return -1;
    }
    pthread_detach(t);
    gst.g_idle_add(warm_up, NULL);
    return 0;
}

webrtc_peer *webrtc_peer_new(const char *offer, int opus_pt, const webrtc_ice_settings *ice,
                             const char *request_id, webrtc_answer_fn done, void *user)
{
    webrtc_peer *p = calloc(1, sizeof *p);
    if (!p || !(p->offer = strdup(offer))) {
        free(p);
        return NULL;
    }
    atomic_init(&p->refs, 1); /* the loop's */
    snprintf(p->request_id, sizeof p->request_id, "%s", request_id);
    p->done = done;
    p->user = user;
    p->opus_pt = opus_pt;
    p->ice = *ice;
    snprintf(p->ice_address, sizeof p->ice_address, "%s", ice->address ? ice->address : "");
    p->ice.address = NULL;
    step *s = step_new(p);
    if (!s) {
        peer_unref(p);
        return NULL;
    }
    post(s, step_build);
    return p;
}

void webrtc_peer_push(webrtc_peer *p, const uint8_t *packet, size_t len, double start_s, double secs)
{
    if (p->stopped || !p->appsrc)
        return;
    /* GStreamer's system clock is CLOCK_MONOTONIC: start_s maps onto the
     * pipeline's running time, so RTP timestamps follow real time (gaps in
     * the speech included) and a syncing sink sends each packet when due. */
    double rel = start_s - p->playing_at_s;
    uint64_t pts = rel > 0 ? (uint64_t)(rel * 1e9) : 0;
    if (pts < p->next_pts)
        pts = p->next_pts;
    void *buf = gst.gst_buffer_new_allocate(NULL, len, NULL);
    if (!buf) {
        ss_error(p->request_id, "webrtc: out of memory (an audio packet is dropped)");
        return;
    }
    gst.gst_buffer_fill(buf, 0, packet, len);
    gst_buffer_head *head = buf;
    head->pts = pts;
    head->dts = UINT64_MAX; /* GST_CLOCK_TIME_NONE */
    head->duration = (uint64_t)(secs * 1e9);
    p->next_pts = pts + head->duration;
    int flow = gst.gst_app_src_push_buffer(p->appsrc, buf); /* takes buf */
    if (flow != GST_FLOW_OK_ && !p->push_refused) {
        p->push_refused = true; /* once per peer: every later packet would say the same */
        ss_warn(p->request_id, "webrtc: the pipeline refused an audio packet (flow %d)", flow);
    }
}

int webrtc_peer_add_ice(webrtc_peer *p, unsigned mline, const char *candidate)
{
    step *s = step_new(p);
    if (!s || !(s->candidate = strdup(candidate))) {
        if (s)
            step_end(s);
        return -1;
    }
    s->mline = mline;
    post(s, step_add_ice);
    return 0;
}

void webrtc_peer_stop(webrtc_peer *p)
{
    p->stopped = true;
    step *s = step_new(p);
    if (s)
        post(s, step_teardown);
    else
        ss_error(p->request_id, "webrtc: out of memory stopping a peer (its pipeline stays)");
    peer_unref(p); /* the loop's */
}
