/* A cloned voice on this node (issue 17 point 2): the reference clip of
 * (voice id, reference digest) analysed once, compared with every base
 * voice the node has loaded, the nearest conditioned toward it, and the
 * result cached in the node's voice cache under (voice id, digest).
 *
 * The bases are the node's engines with clone hooks (node_engine.h): the
 * HTS slt voice and each clustergen voice (rms, awb, slt_cg). Each base's
 * own speaker statistics are measured once, on the first clone request
 * that needs them (the engine keeps them). The choice is the nearest by
 * base_choice.h's distance (F0 in semitones plus long-term spectral
 * distance in dB), ties to the earlier engine in the node's order, so it is
 * deterministic for a given engine set. The conditioning is then fitted
 * against the chosen base's statistics in its own terms (rate, all-pass
 * constant; ss_conditioning_fit_at_rate) and built by its engine.
 *
 * Which engine speaks: the chosen base, whatever engine the request named
 * (a clone is a speaker, not an engine; the gateway sends the platform
 * engine for cloned voices). The answer's ChunkHeader.engine_id names it.
 *
 * The reference protocol is the one the HTS engine had (NODE.md): a miss
 * without bytes is SS_NODE_SYNTH_REFERENCE_REQUIRED; bytes whose SHA-256 is
 * not reference_sha256 are INVALID "reference_sha256 does not match the
 * reference bytes" and nothing is cached; a clip that cannot be used is
 * INVALID "analysis_failed: REASON: ..." (reference_analysis.h). */
#ifndef SS_NODE_CLONE_VOICE_H
#define SS_NODE_CLONE_VOICE_H

#include "node/node_engine.h"

/* What the voice cache holds for (voice id, digest). */
typedef struct ss_clone_voice {
    ss_node_engine *base;   /* the engine that speaks it */
    ss_conditioning cond;   /* fitted against base's statistics */
    void *built;            /* base->clone_build(cond) */
    void (*free_built)(void *); /* base->clone_free, kept here: the node may
                                   free its engines before its voice cache */
    double distance;        /* base_choice.h distance of the reference to base */
} ss_clone_voice;

/* Whether e can clone (has the three hooks). */
bool ss_clone_capable(const ss_node_engine *e);

/* The cached clone of (req->voice_id, req->reference_sha256), computing and
 * caching it on a miss with the bases among engines[0..n) that can clone.
 * OK with *entry acquired (release it with ss_voice_cache_release; its
 * value is an ss_clone_voice), or another status with err. A cached clone
 * whose base is not among engines is FAILED. */
ss_node_synth_status ss_clone_voice_resolve(ss_node_engine *const *engines, size_t n,
                                            const ss_node_synth_request *req, ss_voice_entry **entry,
                                            char *err, size_t errlen);

#endif
