/* The node's voice cache: conditioning computed from a reference clip, kept
 * per (voice id, reference digest) so later calls for the voice skip the
 * reference bytes. The values are opaque to the cache (the engine owns their
 * meaning) and reference counted: an entry evicted while a synthesis uses it
 * is freed when that synthesis releases it.
 *
 * EvictVoice removes every cached form of a voice (all digests) and is
 * idempotent.
 *
 * Memory bound: every entry carries the bytes its value holds (given by the
 * caller of ss_voice_cache_put_sized; 0 for ss_voice_cache_put). The cache
 * keeps the sum within its limit (SS_VOICE_CACHE_DEFAULT_BYTES until
 * ss_voice_cache_set_limit says otherwise; 0 = no limit) by evicting the
 * least recently used entries (a hit moves an entry to the front) when a new
 * one is stored. An entry larger than the whole limit is refused. Evicted
 * entries still held by a synthesis are freed when it releases them, so the
 * bound covers the cache itself, not values in use. */
#ifndef SS_NODE_VOICE_CACHE_H
#define SS_NODE_VOICE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ss_voice_cache ss_voice_cache;
typedef struct ss_voice_entry ss_voice_entry;

typedef void (*ss_voice_value_free)(void *value);

#define SS_VOICE_CACHE_DEFAULT_BYTES ((size_t)256 * 1024 * 1024)

ss_voice_cache *ss_voice_cache_new(void);
/* Sets the memory bound (0 = none) and evicts down to it at once. */
void ss_voice_cache_set_limit(ss_voice_cache *c, size_t max_bytes);
/* Bytes of the values listed now, and how many entries there are. */
size_t ss_voice_cache_bytes(ss_voice_cache *c);
size_t ss_voice_cache_count(ss_voice_cache *c);
/* Frees every entry; no entry may still be acquired. NULL is fine. */
void ss_voice_cache_free(ss_voice_cache *c);

/* Stores value under (voice_id, digest), replacing an entry with the same
 * key. The cache owns value from now on (free_value may be NULL). 0, or -1
 * (out of memory or empty voice id; value is freed then). */
int ss_voice_cache_put(ss_voice_cache *c, const char *voice_id, const char *digest, void *value,
                       ss_voice_value_free free_value);
/* Same with the value's size in bytes; -1 also when bytes exceed the limit. */
int ss_voice_cache_put_sized(ss_voice_cache *c, const char *voice_id, const char *digest, void *value,
                             ss_voice_value_free free_value, size_t bytes);

/* Finds (voice_id, digest) and takes a reference, or NULL on a miss. Counts
 * hits and misses in the metrics; a hit becomes the most recently used. */
ss_voice_entry *ss_voice_cache_acquire(ss_voice_cache *c, const char *voice_id, const char *digest);
void *ss_voice_entry_value(const ss_voice_entry *e);
void ss_voice_cache_release(ss_voice_cache *c, ss_voice_entry *e);

/* True when (voice_id, digest) is cached; digest NULL: any digest. */
bool ss_voice_cache_has(ss_voice_cache *c, const char *voice_id, const char *digest);

/* Removes every entry of voice_id; returns whether there was any. */
bool ss_voice_cache_evict(ss_voice_cache *c, const char *voice_id);

/* Distinct cached voice ids, for heartbeats. *ids is a malloc'd array of
 * malloc'd strings (free with ss_voice_cache_ids_free). Count, or -1 (no
 * memory). */
long ss_voice_cache_ids(ss_voice_cache *c, char ***ids);
void ss_voice_cache_ids_free(char **ids, long n);

#endif
