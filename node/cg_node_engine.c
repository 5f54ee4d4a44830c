/* Adapter from a clustergen voice to ss_node_engine (see cg_node_engine.h).
 *
 * Per call: the options are checked against the node's limits (the HTS
 * engine's: ss_synth_options_validate), a cloned voice is resolved, and
 * the text is spoken by the clustergen orchestration (engine/clustergen/
 * cg_speak.h: sentence by sentence or SSML run by run, vocoded chunk_ms at
 * a time and resampled to the asked rate) straight into the node's sink;
 * the node packs the audio into chunk_ms chunks.
 *
 * Cloning (node/clone_voice.h): the voice is a base the node may choose
 * for a cloned voice; then req->clone carries conditioning fitted against
 * this voice's own statistics (cg_profile.h, measured on first use under
 * the impl's mutex and kept), applied to the frames by
 * cg_conditioning.h, its duration scale folded into the pace. Not
 * supported, answered INVALID_ARGUMENT rather than ignored: voice design,
 * which conditions the HTS model. SSML <phoneme> and <emphasis> are read
 * but not honoured (cg_ssml_runs.h). */
#include "node/cg_node_engine.h"

#include "common/log.h"
#include "node/clone_voice.h"
#include "node/engine/clustergen/cg_profile.h"
#include "node/engine/clustergen/cg_speak.h"
#include "node/engine/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const ss_cg_voice_spec *spec;
    ss_cg_voice *voice;
    pthread_mutex_t mu;         /* guards the profile */
    bool have_profile;
    ss_speaker_stats profile;   /* the voice's own statistics (cg_profile.h) */
} cg_impl;

static int cg_options(const ss_node_synth_request *req, int native_rate, ss_synth_options *o,
                      char *err, size_t errlen)
{
    ss_synth_options_init(o);
    o->speed = req->speed;
    o->pitch = req->pitch;
    o->sample_rate = req->sample_rate ? (int)req->sample_rate : native_rate;
    return ss_synth_options_validate(o, err, errlen);
}

/* What this engine refuses (INVALID_ARGUMENT); 0 or -1 + err. */
static int cg_check(ss_node_engine *e, const ss_node_synth_request *req, char *err, size_t errlen)
{
    ss_synth_options o;
    if (cg_options(req, (int)e->info.sample_rate, &o, err, errlen) != 0)
        return -1;
    const ss_voice_design *d = &req->design;
    if (req->has_design && ((d->prompt && d->prompt[0]) || d->f0_shift_semitones != 0 ||
                            (d->f0_range_scale != 0 && d->f0_range_scale != 1) || d->alpha_shift != 0 ||
                            d->brightness != 0 || d->energy != 0 ||
                            (d->rate_scale != 0 && d->rate_scale != 1))) {
        snprintf(err, errlen, "engine %s has no voice design", e->info.engine_id);
        return -1;
    }
    return 0;
}

/* The node's sink as the clustergen orchestration's (cg_speak.h). */
static int sink_audio(void *user, const int16_t *pcm, size_t n, uint64_t start)
{
    const ss_node_synth_sink *s = user;
    return s->audio(s->user, pcm, n, start, false);
}

static int sink_alignment(void *user, const ss_word_timing *w, size_t nw, const ss_phoneme_timing *p,
                          size_t np)
{
    const ss_node_synth_sink *s = user;
    return s->alignment(s->user, w, nw, p, np);
}

static bool sink_cancelled(void *user)
{
    const ss_node_synth_sink *s = user;
    return s->cancelled(s->user);
}

/* The clone req names, resolved against this engine's voice when the node
 * did not resolve it (node_engine.h). OK with *clone (NULL: none) and
 * *entry to release, or another status with err. */
static ss_node_synth_status resolve_clone(ss_node_engine *e, const ss_node_synth_request *req,
                                          const ss_clone_voice **clone, ss_voice_entry **entry, char *err,
                                          size_t errlen)
{
    *clone = req->clone;
    *entry = NULL;
    if (!*clone && req->voice_id[0] && req->reference_sha256[0]) {
        ss_node_synth_status vs = ss_clone_voice_resolve(&e, 1, req, entry, err, errlen);
        if (vs != SS_NODE_SYNTH_OK)
            return vs;
        *clone = ss_voice_entry_value(*entry);
    }
    if (*clone && (*clone)->base != e) {
        snprintf(err, errlen, "a clone of engine %s given to engine %s", (*clone)->base->info.engine_id,
                 e->info.engine_id);
        if (*entry)
            ss_voice_cache_release(req->voices, *entry);
        *entry = NULL;
        return SS_NODE_SYNTH_FAILED;
    }
    return SS_NODE_SYNTH_OK;
}

static ss_node_synth_status cg_synthesize(ss_node_engine *e, const ss_node_synth_request *req,
                                          const ss_node_synth_sink *sink, char *err, size_t errlen)
{
    cg_impl *g = e->impl;
    if (cg_check(e, req, err, errlen) != 0)
        return SS_NODE_SYNTH_INVALID;
    if (ss_cg_speak_check(req->text, err, errlen) != 0) /* before a clone's analysis */
        return strcmp(err, "out of memory") ? SS_NODE_SYNTH_INVALID : SS_NODE_SYNTH_FAILED;
    const ss_clone_voice *clone;
    ss_voice_entry *entry;
    ss_node_synth_status vs = resolve_clone(e, req, &clone, &entry, err, errlen);
    if (vs != SS_NODE_SYNTH_OK)
        return vs;
    const ss_cg_speak_options o = {.speed = req->speed, .pitch = req->pitch, .sample_rate = (int)req->sample_rate,
                                   .chunk_ms = req->chunk_ms, .timestamps = req->want_timestamps,
                                   .cond = clone ? clone->built : NULL};
    const ss_cg_speak_sink s = {(void *)sink, sink_audio, sink_alignment, sink_cancelled};
    ss_cg_speak_status rc = ss_cg_speak(g->voice, req->text, &o, &s, err, errlen);
    if (entry)
        ss_voice_cache_release(req->voices, entry);
    switch (rc) {
    case SS_CG_SPEAK_OK: return SS_NODE_SYNTH_OK;
    case SS_CG_SPEAK_STOPPED: return SS_NODE_SYNTH_CANCELLED;
    case SS_CG_SPEAK_INVALID: return SS_NODE_SYNTH_INVALID;
    case SS_CG_SPEAK_FAILED: break;
    }
    ss_error(req->request_id, "engine %s: %s", e->info.engine_id, err);
    return SS_NODE_SYNTH_FAILED;
}

/* Clone hooks (node_engine.h): the voice's own statistics, measured on
 * first use; conditioning fitted at the voice's rate and all-pass
 * constant; what a clone needs is its conditioning alone. */
static int cg_clone_base(ss_node_engine *e, ss_speaker_stats *stats, double *alpha, int *rate, char *err,
                         size_t errlen)
{
    cg_impl *g = e->impl;
    int rc = 0;
    pthread_mutex_lock(&g->mu);
    if (!g->have_profile) {
        rc = ss_cg_profile_compute(g->voice, &g->profile, err, errlen);
        g->have_profile = rc == 0;
    }
    if (rc == 0)
        *stats = g->profile;
    pthread_mutex_unlock(&g->mu);
    *alpha = g->voice->db->mlsa_alpha;
    *rate = g->voice->db->sample_rate;
    return rc;
}

static void *cg_clone_build(ss_node_engine *e, const ss_conditioning *c, size_t *bytes, char *err,
                            size_t errlen)
{
    (void)e;
    ss_conditioning *copy = malloc(sizeof *copy);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *copy = *c;
    if (bytes)
        *bytes = sizeof *copy;
    return copy;
}

static void cg_clone_free(void *built)
{
    free(built);
}

static void cg_destroy(ss_node_engine *e)
{
    cg_impl *g = e->impl;
    if (g) {
        pthread_mutex_destroy(&g->mu);
        ss_cg_voice_free(g->voice);
        free(g);
    }
    free(e);
}

ss_node_engine *ss_cg_node_engine_new(const char *engine_id, char *err, size_t errlen)
{
    const ss_cg_voice_spec *spec = ss_cg_voice_spec_find(engine_id);
    if (!spec) {
        snprintf(err, errlen, "unknown clustergen voice '%.32s' (known: %s)", engine_id, SS_CG_ENGINE_IDS);
        return NULL;
    }
    ss_node_engine *e = calloc(1, sizeof *e);
    cg_impl *g = calloc(1, sizeof *g);
    if (!e || !g) {
        free(e);
        free(g);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->impl = g;
    e->destroy = cg_destroy;
    e->synthesize = cg_synthesize;
    e->check = cg_check;
    e->clone_base = cg_clone_base;
    e->clone_build = cg_clone_build;
    e->clone_free = cg_clone_free;
    pthread_mutex_init(&g->mu, NULL);
    g->spec = spec;
    g->voice = ss_cg_voice_load(spec->cg_name, err, errlen);
    if (!g->voice) {
        cg_destroy(e);
        return NULL;
    }
    snprintf(e->info.engine_id, sizeof e->info.engine_id, "%s", spec->engine_id);
    snprintf(e->info.kind, sizeof e->info.kind, "clustergen");
    snprintf(e->info.version, sizeof e->info.version, "1.0");
    snprintf(e->info.gender, sizeof e->info.gender, "%s", spec->gender);
    snprintf(e->info.accent, sizeof e->info.accent, "%s", spec->accent);
    snprintf(e->info.language, sizeof e->info.language, "%s", spec->language);
    e->info.sample_rate = (uint32_t)g->voice->db->sample_rate;
    return e;
}
