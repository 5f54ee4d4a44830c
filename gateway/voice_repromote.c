/* POST /voices/{id}/repromote (API.md §4): re-runs a cloned voice's intake
 * from its stored reference, and the voice ends `ready` or `failed` with a
 * reason.
 *
 *   1. loop: the record is read (404 invisible, 403 not the caller's to
 *      change, 422 a voice that is not a clone: only clones have a reference);
 *   2. audio thread: the reference object is read (missing or unreadable
 *      store: `reference_unavailable`), decoded and measured (undecodable:
 *      `analysis_failed`; shorter than preflight_min_duration_s:
 *      `reference_too_short`);
 *   3. loop: a clip that passed goes through the node-side analysis again
 *      (voice_analysis.h: `ready`, or `failed` with `analysis_failed` /
 *      `reference_unavailable`);
 *   4. loop: embedding_status and embedding_status_reason are written with
 *      the record's compare-and-set update (a concurrent change of the
 *      record answers 503 "try again"), and the voice is answered 200.
 * Any earlier status can be repromoted, legacy ones included (`processing`,
 * `tokeniser_unavailable`, `ecapa_cosine_below_threshold:<x>`). */
#include "gateway/gateway.h"
#include "gateway/voice_analysis.h"
#include "gateway/voice_clips.h"
#include "gateway/voice_index.h"
#include "gateway/voice_record.h"
#include "gateway/voice_store.h"

#include "common/audio_input.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"
#include "common/wall_clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_request *r;
    json_t *record;
    char *raw;
    char key[SS_OBJECT_KEY_MAX + 1];
    double min_duration_s;
    /* the audio thread's outcome */
    uint8_t *bytes;
    size_t len;
    const char *reason; /* NULL: the clip passed */
    char detail[900];
} repromote;

static void repromote_free(void *p)
{
    repromote *rp = p;
    if (!rp)
        return;
    json_decref(rp->record);
    free(rp->raw);
    free(rp->bytes);
    free(rp);
}

static void on_written(gw_request *r, void *user, bool ok)
{
    repromote *rp = user;
    if (!ok) {
        repromote_free(rp);
        gw_reply_error(r, SS_ERR_SERVICE_UNAVAILABLE, "the voice changed while it was repromoted; try again", NULL);
        return;
    }
    json_t *pub = voice_record_public(rp->record);
    repromote_free(rp);
    if (!pub) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_ok(r, pub);
}

/* Writes the outcome into a copy of the record and stores it. */
static void conclude(repromote *rp, const char *status, const char *reason)
{
    gw_request *r = rp->r;
    json_t *patch = json_pack("{s:s,s:s?}", "embedding_status", status, "embedding_status_reason", reason);
    json_t *next = patch ? voice_record_patched(rp->record, patch, ss_wall_ms()) : NULL;
    json_decref(patch);
    if (!next) {
        repromote_free(rp);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ss_info(r->id, "voice %s repromoted: %s%s%s", json_string_value(json_object_get(next, "voice_id")), status,
            reason ? " " : "", reason ? reason : "");
    json_t *old = rp->record;
    rp->record = next;
    voice_index_update(r, rp->raw, old, next, on_written, rp, repromote_free);
    json_decref(old);
}

static void on_analysed(void *user, const char *status, const char *reason, const char *detail)
{
    repromote *rp = user;
    ss_info(rp->r->id, "repromote analysis: %s", detail);
    conclude(rp, status, reason);
}

/* Audio thread: the stored reference, read and measured. */
static void check_run(void *arg)
{
    repromote *rp = arg;
    char err[256];
    gw_server *gw = rp->r->gw;
    ss_object_status st = ss_object_get(gw->objects, rp->key, SS_AUDIO_MAX_BYTES, &rp->bytes, &rp->len, err, sizeof err);
    if (st != SS_OBJECT_OK) {
        rp->reason = "reference_unavailable";
        snprintf(rp->detail, sizeof rp->detail, "the reference object %s: %s", rp->key, err);
        return;
    }
    ss_audio a;
    if (ss_audio_decode(rp->bytes, rp->len, &a, NULL, err, sizeof err) != 0) {
        rp->reason = "analysis_failed";
        snprintf(rp->detail, sizeof rp->detail, "the stored reference does not decode: %s", err);
        return;
    }
    double seconds = a.sample_rate > 0 ? (double)a.nsamples / a.sample_rate : 0;
    ss_audio_free(&a);
    if (seconds < rp->min_duration_s) {
        rp->reason = "reference_too_short";
        snprintf(rp->detail, sizeof rp->detail, "the reference holds %.1f s (at least %.1f s)", seconds,
                 rp->min_duration_s);
    }
}

static void check_done(void *arg)
{
    repromote *rp = arg;
    if (rp->reason) {
        ss_warn(rp->r->id, "repromote: %s", rp->detail);
        conclude(rp, "failed", rp->reason);
        return;
    }
    const json_t *v = rp->record;
    const char *engine = json_string_value(json_object_get(v, "engine"));
    const char *sha = json_string_value(json_object_get(json_object_get(v, "reference"), "sha256"));
    if (voice_analysis_start(rp->r->gw, rp->r->id, engine ? engine : PLATFORM_ENGINE_ID,
                             json_string_value(json_object_get(v, "voice_id")), sha ? sha : "", rp->bytes, rp->len,
                             on_analysed, rp) != 0) {
        gw_request *r = rp->r;
        repromote_free(rp);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    }
}

static void on_read(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)user;
    if (!record || !voice_visible(record, r->caller.tenant_id, r->caller.user_id)) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND, "no such voice", NULL);
        return;
    }
    if (!voice_may_change(record, &r->caller)) {
        gw_reply_error(r, SS_ERR_AUTHZ_PERMISSION_DENIED, "the caller may not change this voice", NULL);
        return;
    }
    const char *key = json_string_value(json_object_get(record, VOICE_REFERENCE_KEY_FIELD));
    const char *mode = json_string_value(json_object_get(record, "intake_mode"));
    if (!mode || strcmp(mode, "clone") || !key) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "only a cloned voice has a reference to re-run intake on", NULL);
        return;
    }
    repromote *rp = calloc(1, sizeof *rp);
    ss_preflight_thresholds t;
    voice_preflight_thresholds(r->gw->settings, &t);
    if (!rp || !(rp->raw = strdup(raw))) {
        free(rp);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    rp->r = r;
    rp->record = json_incref(record);
    rp->min_duration_s = t.min_duration_s;
    snprintf(rp->key, sizeof rp->key, "%s", key);
    if (ss_loop_pool_submit(r->gw->audio_pool, check_run, check_done, rp) != 0) {
        repromote_free(rp);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    }
}

void gw_handle_voice_repromote(gw_request *r)
{
    voice_index_read(r, r->params[0], on_read, NULL, NULL);
}
