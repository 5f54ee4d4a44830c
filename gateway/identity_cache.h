/* A bounded cache of API-key callers, so that a /speak whose key was seen
 * recently skips the identity read (docs/PERFORMANCE.md, issue 12).
 *
 * Keyed by the key's SHA-256 hex; an entry holds the gw_caller that auth.c
 * built from the key record, its user and its tenant, plus the fingerprint
 * (IDENTITY_FP_FN, identity_store.h) of those three hashes as they were
 * read. The cache never decides anything on its own: a route that uses an
 * entry (GW_ROUTE_VERIFIES_IDENTITY) sends the fingerprint to its first
 * script, which recomputes it before counting anything and refuses with
 * "identity changed" when it differs; the request then runs again without
 * the cache (auth.c, request_phases.h). So a revoked or edited identity is
 * noticed on its next request, on any gateway.
 *
 * Bounded: `capacity` entries allocated at creation; when full, the oldest
 * insertion is replaced (a ring). An entry older than ttl_s is not served.
 * Not thread-safe: one instance per gateway, used on the loop thread only. */
#ifndef SS_GATEWAY_IDENTITY_CACHE_H
#define SS_GATEWAY_IDENTITY_CACHE_H

#include "gateway/gateway.h"

#define IDENTITY_CACHE_KEY_LEN 64 /* SHA-256 hex */
#define IDENTITY_CACHE_FP_MAX 64  /* a fingerprint's length (sha1 hex: 40) */
#define IDENTITY_CACHE_ENTRIES 4096 /* the gateway's cache: ~2 MB */
#define IDENTITY_CACHE_TTL_S 60.0

typedef struct identity_cache identity_cache;

/* NULL when out of memory (or capacity < 1 / ttl_s <= 0). */
identity_cache *identity_cache_new(size_t capacity, double ttl_s);
void identity_cache_free(identity_cache *ic);

/* Stores (or refreshes) the caller of key_hash read at `now` (monotonic
 * seconds) with fingerprint fp. -1 when key_hash or fp do not fit (nothing
 * stored), else 0. */
int identity_cache_put(identity_cache *ic, const char *key_hash, const gw_caller *caller, const char *fp,
                       double now);

/* The entry of key_hash, when present and younger than ttl_s at `now`: true
 * with *caller and fp (IDENTITY_CACHE_FP_MAX + 1 bytes) filled. */
bool identity_cache_get(identity_cache *ic, const char *key_hash, double now, gw_caller *caller, char *fp);

/* Forgets key_hash's entry (if any). */
void identity_cache_drop(identity_cache *ic, const char *key_hash);

/* Entries held (expired ones included until replaced or dropped). */
size_t identity_cache_size(const identity_cache *ic);

#endif
