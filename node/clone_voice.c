/* Cloned voices: reference -> nearest base -> conditioning, cached; see
 * clone_voice.h. */
#include "node/clone_voice.h"

#include "common/hex_codec.h"
#include "common/log.h"
#include "node/engine/voice/base_choice.h"
#include "node/engine/voice/reference_analysis.h"

#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BASES 16

bool ss_clone_capable(const ss_node_engine *e)
{
    return e && e->clone_base && e->clone_build && e->clone_free;
}

static void clone_voice_free(void *p)
{
    ss_clone_voice *cv = p;
    if (cv) {
        if (cv->built)
            cv->free_built(cv->built);
        free(cv);
    }
}

/* Whether data's SHA-256 is the hex digest `hex` (upper or lower case). */
static bool digest_matches(const uint8_t *data, size_t len, const char *hex)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    char want[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256(data, len, d);
    ss_hex_encode(d, sizeof d, want);
    return strcasecmp(hex, want) == 0;
}

/* The capable engines' statistics; *nb bases (<= MAX_BASES). 0, or -1 +
 * err when one cannot be measured. */
typedef struct {
    ss_node_engine *engine;
    ss_speaker_stats stats;
    double alpha;
    int rate;
} base_voice;

static int gather_bases(ss_node_engine *const *engines, size_t n, base_voice *bases, size_t *nb,
                        const char *rid, char *err, size_t errlen)
{
    *nb = 0;
    for (size_t i = 0; i < n && *nb < MAX_BASES; i++) {
        if (!ss_clone_capable(engines[i]))
            continue;
        base_voice *b = &bases[*nb];
        b->engine = engines[i];
        char why[256];
        if (engines[i]->clone_base(engines[i], &b->stats, &b->alpha, &b->rate, why, sizeof why) != 0) {
            snprintf(err, errlen, "engine %s: its own statistics: %s", engines[i]->info.engine_id, why);
            ss_error(rid, "%s", err);
            return -1;
        }
        (*nb)++;
    }
    if (!*nb) {
        snprintf(err, errlen, "no engine of this node can clone a voice");
        return -1;
    }
    return 0;
}

/* The nearest base to ref; logs every candidate's distance. */
static const base_voice *choose(const base_voice *bases, size_t nb, const ss_speaker_stats *ref,
                                double *distance, const ss_node_synth_request *req)
{
    const ss_speaker_stats *list[MAX_BASES];
    char seen[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < nb; i++) {
        list[i] = &bases[i].stats;
        if (used < sizeof seen)
            used += (size_t)snprintf(seen + used, sizeof seen - used, "%s%s %.2f (F0 %.1f st, spectrum %.1f dB)",
                                     i ? ", " : "", bases[i].engine->info.engine_id,
                                     ss_choice_distance(ref, list[i]), ss_choice_f0_semitones(ref, list[i]),
                                     ss_choice_spectral_db(ref, list[i]));
    }
    long k = ss_choice_nearest(ref, list, nb, distance);
    if (k < 0)
        return NULL;
    ss_info(req->request_id, "voice %s: reference F0 %.0f Hz; base distances: %s; chose %s", req->voice_id,
            exp(ref->lf0_mean), seen, bases[k].engine->info.engine_id);
    return &bases[k];
}

/* A new clone of the reference bytes in req, chosen among engines. */
static ss_node_synth_status compute(ss_node_engine *const *engines, size_t n, const ss_node_synth_request *req,
                                    ss_clone_voice **out, size_t *bytes, char *err, size_t errlen)
{
    ss_reference_report rep;
    char reason[64];
    if (ss_reference_analyse(req->reference_audio, req->reference_audio_len, &rep, reason, sizeof reason, err,
                             errlen) != 0) {
        ss_warn(req->request_id, "voice %s: reference not usable: %s", req->voice_id, err);
        return SS_NODE_SYNTH_INVALID;
    }
    base_voice bases[MAX_BASES];
    size_t nb;
    if (gather_bases(engines, n, bases, &nb, req->request_id, err, errlen) != 0)
        return SS_NODE_SYNTH_FAILED;
    double distance;
    const base_voice *b = choose(bases, nb, &rep.stats, &distance, req);
    if (!b) {
        snprintf(err, errlen, "no base voice is comparable with the reference");
        return SS_NODE_SYNTH_FAILED;
    }
    ss_clone_voice *cv = calloc(1, sizeof *cv);
    if (!cv) {
        snprintf(err, errlen, "out of memory");
        return SS_NODE_SYNTH_FAILED;
    }
    cv->base = b->engine;
    cv->free_built = b->engine->clone_free;
    cv->distance = distance;
    char msg[384];
    if (ss_conditioning_fit_at_rate(&b->stats, &rep.stats, b->alpha, b->rate, &cv->cond, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "analysis_failed: fit_failed: %s", msg);
        free(cv);
        return SS_NODE_SYNTH_INVALID;
    }
    *bytes = 0;
    cv->built = b->engine->clone_build(b->engine, &cv->cond, bytes, err, errlen);
    if (!cv->built) {
        free(cv);
        return SS_NODE_SYNTH_FAILED;
    }
    ss_info(req->request_id,
            "voice %s: conditioned from a %.1f s reference (base %s, F0 %.0f Hz, alpha %.4f, durations x%.2f, "
            "fit %.1f dB)",
            req->voice_id, rep.preflight.duration_s, b->engine->info.engine_id, cv->cond.ref_f0_hz,
            cv->cond.alpha, cv->cond.duration_scale, cv->cond.fit_rms_db);
    *out = cv;
    return SS_NODE_SYNTH_OK;
}

static bool listed(ss_node_engine *const *engines, size_t n, const ss_node_engine *e)
{
    for (size_t i = 0; i < n; i++)
        if (engines[i] == e)
            return true;
    return false;
}

/* A hit: fine when its base is one of engines. */
static ss_node_synth_status check_hit(ss_node_engine *const *engines, size_t n, const ss_node_synth_request *req,
                                      ss_voice_entry **entry, char *err, size_t errlen)
{
    const ss_clone_voice *cv = ss_voice_entry_value(*entry);
    if (cv && listed(engines, n, cv->base))
        return SS_NODE_SYNTH_OK;
    snprintf(err, errlen, "voice %s is cached for engine %s, which cannot speak it here", req->voice_id,
             cv ? cv->base->info.engine_id : "-");
    ss_voice_cache_release(req->voices, *entry);
    *entry = NULL;
    return SS_NODE_SYNTH_FAILED;
}

ss_node_synth_status ss_clone_voice_resolve(ss_node_engine *const *engines, size_t n,
                                            const ss_node_synth_request *req, ss_voice_entry **entry,
                                            char *err, size_t errlen)
{
    *entry = ss_voice_cache_acquire(req->voices, req->voice_id, req->reference_sha256);
    if (*entry)
        return check_hit(engines, n, req, entry, err, errlen);
    if (!req->reference_audio_len)
        return SS_NODE_SYNTH_REFERENCE_REQUIRED;
    if (!digest_matches(req->reference_audio, req->reference_audio_len, req->reference_sha256)) {
        snprintf(err, errlen, "reference_sha256 does not match the reference bytes");
        ss_warn(req->request_id, "voice %s: %s (%zu bytes); nothing cached", req->voice_id, err,
                req->reference_audio_len);
        return SS_NODE_SYNTH_INVALID;
    }
    ss_clone_voice *cv = NULL;
    size_t bytes = 0;
    ss_node_synth_status st = compute(engines, n, req, &cv, &bytes, err, errlen);
    if (st != SS_NODE_SYNTH_OK)
        return st;
    if (ss_voice_cache_put_sized(req->voices, req->voice_id, req->reference_sha256, cv, clone_voice_free,
                                 bytes + sizeof *cv) != 0) {
        snprintf(err, errlen, "voice %s does not fit in the voice cache (%zu bytes)", req->voice_id, bytes);
        return SS_NODE_SYNTH_FAILED;
    }
    *entry = ss_voice_cache_acquire(req->voices, req->voice_id, req->reference_sha256);
    if (!*entry) {
        snprintf(err, errlen, "voice %s was evicted at once (voice cache too small)", req->voice_id);
        return SS_NODE_SYNTH_FAILED;
    }
    return SS_NODE_SYNTH_OK;
}
