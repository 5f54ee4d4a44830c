/* What /speak reads from Redis before it picks a backend: one script, two
 * when the voice is named by its display name.
 *
 *   1. speak_admit — first, when the caller came from the identity cache
 *      (r->identity_fp set, auth.c), the identity's fingerprint
 *      (identity_store.h's IDENTITY_FP_FN over the key, user and tenant
 *      hashes): a difference answers "identity changed" before anything is
 *      counted, and the request is run again from authenticate without the
 *      cache (gw_authenticate_again: user_free frees the caller's state and
 *      done is never called); then the rate limit (rate_limit.h's function, when the
 *      caller is rate limited: /speak counts itself, saving a round trip),
 *      the tenant policy (provisioned on first use), the blocklist, the voice
 *      when its key is known (an id, an OpenAI name that is an id, or the
 *      default voice through its pointer), else the voice ids to match a
 *      name against, the node index and, once the voice is read, the
 *      records of the index's nodes;
 *   2. speak_targets — only for a name to look up: the voices step 1 could
 *      only name, and the records of the nodes of the index (node_registry.h's
 *      function).
 * Step 1 reads the keys of the default voice and of the nodes from prefixes
 * passed in ARGV, not KEYS[] (like identity_store.h's key-and-caller
 * script): one round trip less per request (docs/PERFORMANCE.md, issue 12);
 * fine for one primary with Sentinel, a Redis Cluster would need hash tags.
 *
 * Then, in this order (as before the split): the policy must be JSON (500),
 * the voice must exist and be visible to the caller (404), the text must
 * pass the blocklist (422, or 500 when an entry cannot be read: fail
 * closed), the voice must be ready (409), and a language_hint must be one
 * of the voice's languages (422 VALIDATION_ERROR naming them: a text is
 * never read with another language's rules without saying so). */
#ifndef SS_GATEWAY_SPEAK_CONTEXT_H
#define SS_GATEWAY_SPEAK_CONTEXT_H

#include "gateway/state_call.h"

typedef struct {
    const char *voice_id;   /* "" = the caller names none */
    const char *voice_name; /* an OpenAI voice: an id or a global voice's display name; "" = none */
    const char *text;       /* for the blocklist */
    const char *language_hint; /* "" = none; else the voice must speak it (422) */
    bool rate_limit;        /* count the request (gw_phase_required) */
} speak_lookup;

typedef struct {
    json_t *policy; /* the tenant policy */
    json_t *voice;  /* the voice object, visible and ready */
    json_t *nodes;  /* the registry's node objects */
    const json_t *blocklist; /* [id, entry JSON, ...] (borrowed, valid during done only): for
                              * text that arrives later (a WebSocket session's sentences) */
} speak_context;

/* done(r, user, ctx) gets the context (done owns its three objects); or the
 * request is answered here (429, 404, 409, 422, 500, 503) and user freed
 * with user_free. q's strings are copied. */
typedef void (*speak_context_fn)(gw_request *r, void *user, speak_context *ctx);
void speak_context_read(gw_request *r, const speak_lookup *q, speak_context_fn done, void *user,
                        gw_state_free_fn user_free);

#endif
