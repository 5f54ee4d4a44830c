/* The API-key caller cache (see identity_cache.h).
 *
 * Entries live in one array used as a ring: insertion takes the slot at
 * `next` (the oldest insertion once the ring has gone round), so the cache
 * never grows. Lookups go through a chained hash index over the same slots
 * (buckets of slot numbers, -1 ends a chain); the key is already a SHA-256,
 * so its first hex digits are the hash. */
#include "gateway/identity_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool used;
    char key[IDENTITY_CACHE_KEY_LEN + 1];
    char fp[IDENTITY_CACHE_FP_MAX + 1];
    gw_caller caller;
    double stored_at;
    long chain; /* next slot of the same bucket, -1 = none */
} entry;

struct identity_cache {
    entry *slots;
    long *buckets;
    size_t capacity, nbuckets, next, used;
    double ttl_s;
};

identity_cache *identity_cache_new(size_t capacity, double ttl_s)
{
    if (capacity < 1 || !(ttl_s > 0))
        return NULL;
    identity_cache *ic = calloc(1, sizeof *ic);
    if (!ic)
        return NULL;
    ic->capacity = capacity;
    ic->nbuckets = 1;
    while (ic->nbuckets < capacity)
        ic->nbuckets <<= 1;
    ic->ttl_s = ttl_s;
    ic->slots = calloc(capacity, sizeof *ic->slots);
    ic->buckets = malloc(ic->nbuckets * sizeof *ic->buckets);
    if (!ic->slots || !ic->buckets) {
        identity_cache_free(ic);
        return NULL;
    }
    for (size_t i = 0; i < ic->nbuckets; i++)
        ic->buckets[i] = -1;
    return ic;
}

void identity_cache_free(identity_cache *ic)
{
    if (!ic)
        return;
    free(ic->slots);
    free(ic->buckets);
    free(ic);
}

static size_t bucket_of(const identity_cache *ic, const char *key)
{
    size_t h = 5381;
    for (int i = 0; i < 16 && key[i]; i++)
        h = h * 33 + (unsigned char)key[i];
    return h & (ic->nbuckets - 1);
}

/* The slot holding key, or -1. */
static long find(const identity_cache *ic, const char *key)
{
    for (long s = ic->buckets[bucket_of(ic, key)]; s >= 0; s = ic->slots[s].chain)
        if (!strcmp(ic->slots[s].key, key))
            return s;
    return -1;
}

/* Takes slot s out of its bucket's chain and marks it unused. */
static void unlink_slot(identity_cache *ic, long s)
{
    entry *e = &ic->slots[s];
    if (!e->used)
        return;
    long *link = &ic->buckets[bucket_of(ic, e->key)];
    while (*link >= 0 && *link != s)
        link = &ic->slots[*link].chain;
    if (*link == s)
        *link = e->chain;
    e->used = false;
    e->chain = -1;
    ic->used--;
}

static bool fits(const char *s, size_t max)
{
    return s && *s && strnlen(s, max + 1) <= max;
}

int identity_cache_put(identity_cache *ic, const char *key_hash, const gw_caller *caller, const char *fp,
                       double now)
{
    if (!fits(key_hash, IDENTITY_CACHE_KEY_LEN) || !fits(fp, IDENTITY_CACHE_FP_MAX))
        return -1;
    long s = find(ic, key_hash);
    if (s < 0) {
        s = (long)ic->next;
        ic->next = (ic->next + 1) % ic->capacity;
        unlink_slot(ic, s);
        entry *e = &ic->slots[s];
        snprintf(e->key, sizeof e->key, "%s", key_hash);
        size_t b = bucket_of(ic, key_hash);
        e->chain = ic->buckets[b];
        ic->buckets[b] = s;
        e->used = true;
        ic->used++;
    }
    entry *e = &ic->slots[s];
    snprintf(e->fp, sizeof e->fp, "%s", fp);
    e->caller = *caller;
    e->stored_at = now;
    return 0;
}

bool identity_cache_get(identity_cache *ic, const char *key_hash, double now, gw_caller *caller, char *fp)
{
    long s = key_hash ? find(ic, key_hash) : -1;
    if (s < 0)
        return false;
    const entry *e = &ic->slots[s];
    if (!(now - e->stored_at < ic->ttl_s) || now < e->stored_at)
        return false;
    *caller = e->caller;
    memcpy(fp, e->fp, sizeof e->fp);
    return true;
}

void identity_cache_drop(identity_cache *ic, const char *key_hash)
{
    long s = key_hash ? find(ic, key_hash) : -1;
    if (s >= 0)
        unlink_slot(ic, s);
}

size_t identity_cache_size(const identity_cache *ic)
{
    return ic->used;
}
