/* Voices in Redis, as far as synthesis needs them today: the platform default
 * voice and visibility (the lookup /speak does is in speak_context.c; the
 * voice library's API — cloning, design, sharing, erasure — builds on the
 * same records later).
 *
 * Keys: ss:voice:{id} STRING JSON voice object (API.md §4);
 *       ss:voices:global SET of global voice ids;
 *       ss:platform:default_voice STRING the platform default voice id.
 * The platform default (global scope, the built-in slt voice of the
 * scaispeak-hts-en engine) is created at the gateway's first start (SET NX, so
 * several gateways agree). */
#ifndef SS_GATEWAY_VOICE_STORE_H
#define SS_GATEWAY_VOICE_STORE_H

#include "gateway/gateway.h"

#include <jansson.h>
#include <stdbool.h>

#define PLATFORM_DEFAULT_VOICE_ID "vc_platform_slt"
#define PLATFORM_ENGINE_ID "scaispeak-hts-en"
/* CMU ARCTIC slt is a US English speaker. */
#define PLATFORM_DEFAULT_ACCENT "us"
/* Its member in the global index (voice_index.h): time 0, so it sorts after
 * every global voice added later. */
#define PLATFORM_DEFAULT_VOICE_MEMBER "0000000000000000:" PLATFORM_DEFAULT_VOICE_ID

/* The default voice object (caller decrefs). */
json_t *voice_store_platform_default(void);

/* Creates the platform default voice when absent (idempotent), and the
 * engine voices "rms", "awb" and "slt_cg" (global, builtin, engine = the
 * voice id, with gender_hint, accent and language as their engines report
 * them), each in the global index, so the voice library lists them as
 * platform global voices (records an earlier version made get their index
 * entry and missing fields then). Registered as
 * the Redis client's on-connect hook; `gw` is the gw_server. */
void voice_store_ensure_defaults(void *gw);

/* Visibility (API.md §4): global to everyone, tenant scope to the tenant,
 * user scope to its owner. Invisible voices answer 404 like absent ones. */
bool voice_visible(const json_t *voice, const char *tenant_id, const char *user_id);

/* Whether a caller may change (or erase) a voice it can see: user voices
 * their owner; tenant voices their owner or a tenant admin (the admin
 * permission); global voices a super_admin only. */
bool voice_may_change(const json_t *voice, const gw_caller *caller);

/* A designed voice's prompt (the node conditions on it), else NULL. */
const char *voice_design_prompt(const json_t *voice);

/* A cloned voice's internal record fields (docs/STATE.md): the object keys
 * of its reference and its consent clip. */
#define VOICE_REFERENCE_KEY_FIELD "_reference_key"
#define VOICE_CONSENT_KEY_FIELD "_consent_key"

/* A cloned voice's reference digest (reference.sha256) and the object key
 * of its reference; NULL for other voices. Synthesis sends both to the
 * node call (node_call.h). */
const char *voice_reference_sha256(const json_t *voice);
const char *voice_reference_key(const json_t *voice);

#endif
