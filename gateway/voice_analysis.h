/* Intake's node-side analysis of a cloned voice (issue 13 point 5): before
 * POST /voices answers 201, one short Synthesize ("Ready.") goes to a node
 * of backend A with the voice id, the reference digest and the reference
 * bytes, so the node analyses the clip and caches the conditioned voice; the
 * first real synthesis then hits the node's cache.
 *
 * The node is chosen like /speak chooses (gateway/backend_resolve.h: online,
 * not draining, serving the voice's engine, power of two choices on load),
 * up to GW_MAX_NODE_TRIES nodes. The outcome is the voice's
 * embedding_status:
 *   "ready"                         a node conditioned the voice;
 *   "failed" + "analysis_failed"    a node refused the clip (INVALID_ARGUMENT:
 *                                   the engine's analysis found it unusable,
 *                                   or the digest did not match the bytes);
 *   "failed" + "reference_unavailable"
 *                                   no node could be given the reference: none
 *                                   is registered/online for the engine, or every
 *                                   node tried failed otherwise (unavailable,
 *                                   busy, deadline, internal error).
 * A failed voice is still created (201); repromote re-runs the analysis
 * from the stored reference. The audio of the call is dropped. */
#ifndef SS_GATEWAY_VOICE_ANALYSIS_H
#define SS_GATEWAY_VOICE_ANALYSIS_H

#include "gateway/gateway.h"

#include <stddef.h>
#include <stdint.h>

#define VOICE_ANALYSIS_TEXT "Ready."

/* status "ready" or "failed"; reason NULL when ready; detail says what
 * happened (for the log). */
typedef void (*voice_analysis_done_fn)(void *user, const char *status, const char *reason, const char *detail);

/* Starts the analysis (loop thread). The strings and bytes are borrowed and
 * must stay valid until done is called (exactly once, never from inside
 * this call). Returns 0, or -1 when out of memory (done not called). */
int voice_analysis_start(gw_server *gw, const char *request_id, const char *engine_id, const char *voice_id,
                         const char *reference_sha256, const uint8_t *reference, size_t reference_len,
                         voice_analysis_done_fn done, void *user);

#endif
