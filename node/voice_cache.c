/* Voice cache (see voice_cache.h): a mutex-protected linked list of entries
 * in recency order (head = most recently used), so the LRU victim is the
 * tail. A node holds tens to a few hundred voices (each a megabyte or so), so
 * a list is both simple and fast enough; replace with a hash table if a node
 * ever caches many thousands. */
#include "node/voice_cache.h"

#include "common/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ss_voice_entry {
    char *voice_id;
    char *digest;
    void *value;
    ss_voice_value_free free_value;
    size_t bytes;
    int refs;      /* the cache's own reference counts as one while listed */
    ss_voice_entry *next;
};

struct ss_voice_cache {
    pthread_mutex_t mu;
    ss_voice_entry *head;
    size_t used, limit, count;
    ss_metric *hits, *misses, *evictions;
};

static void entry_destroy(ss_voice_entry *e)
{
    if (e->free_value)
        e->free_value(e->value);
    free(e->voice_id);
    free(e->digest);
    free(e);
}

/* Drops one reference under c->mu; returns the entry when it must be
 * destroyed (outside the lock). */
static ss_voice_entry *unref_locked(ss_voice_entry *e)
{
    return --e->refs == 0 ? e : NULL;
}

ss_voice_cache *ss_voice_cache_new(void)
{
    ss_voice_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->limit = SS_VOICE_CACHE_DEFAULT_BYTES;
    c->evictions = ss_metrics_counter("scaispeak_node_voice_cache_evictions_total",
                                      "voice cache entries dropped to stay within the memory bound", "");
    c->hits = ss_metrics_counter("scaispeak_node_voice_cache_total",
                                 "voice cache lookups by result", "result=\"hit\"");
    c->misses = ss_metrics_counter("scaispeak_node_voice_cache_total",
                                   "voice cache lookups by result", "result=\"miss\"");
    return c;
}

void ss_voice_cache_free(ss_voice_cache *c)
{
    if (!c)
        return;
    ss_voice_entry *e = c->head;
    while (e) {
        ss_voice_entry *n = e->next;
        entry_destroy(e);
        e = n;
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Unlinks the entry after *pp (under c->mu); returns it when it must be
 * destroyed (outside the lock). */
static ss_voice_entry *unlink_locked(ss_voice_cache *c, ss_voice_entry **pp)
{
    ss_voice_entry *e = *pp;
    *pp = e->next;
    e->next = NULL;
    c->used -= e->bytes;
    c->count--;
    return unref_locked(e);
}

/* Drops least recently used entries (never `keep`) until used <= limit;
 * the ones to destroy are chained onto *dead through next. */
static void shrink_locked(ss_voice_cache *c, const ss_voice_entry *keep, ss_voice_entry **dead)
{
    while (c->limit && c->used > c->limit) {
        ss_voice_entry **pp = &c->head, **victim = NULL;
        for (; *pp; pp = &(*pp)->next)
            if (*pp != keep)
                victim = pp;
        if (!victim)
            break;
        ss_voice_entry *d = unlink_locked(c, victim);
        ss_metric_add(c->evictions, 1);
        if (d) {
            d->next = *dead;
            *dead = d;
        }
    }
}

static void destroy_chain(ss_voice_entry *dead)
{
    while (dead) {
        ss_voice_entry *n = dead->next;
        entry_destroy(dead);
        dead = n;
    }
}

void ss_voice_cache_set_limit(ss_voice_cache *c, size_t max_bytes)
{
    ss_voice_entry *dead = NULL;
    pthread_mutex_lock(&c->mu);
    c->limit = max_bytes;
    shrink_locked(c, NULL, &dead);
    pthread_mutex_unlock(&c->mu);
    destroy_chain(dead);
}

size_t ss_voice_cache_bytes(ss_voice_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->used;
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t ss_voice_cache_count(ss_voice_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->count;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int ss_voice_cache_put(ss_voice_cache *c, const char *voice_id, const char *digest, void *value,
                       ss_voice_value_free free_value)
{
    return ss_voice_cache_put_sized(c, voice_id, digest, value, free_value, 0);
}

int ss_voice_cache_put_sized(ss_voice_cache *c, const char *voice_id, const char *digest, void *value,
                             ss_voice_value_free free_value, size_t bytes)
{
    pthread_mutex_lock(&c->mu);
    bool too_big = c->limit && bytes > c->limit;
    pthread_mutex_unlock(&c->mu);
    if (too_big) {
        if (free_value)
            free_value(value);
        return -1;
    }
    ss_voice_entry *e = calloc(1, sizeof *e);
    if (e) {
        e->voice_id = strdup(voice_id ? voice_id : "");
        e->digest = strdup(digest ? digest : "");
    }
    if (!e || !e->voice_id || !e->digest || !voice_id || !*voice_id) {
        if (e) {
            free(e->voice_id);
            free(e->digest);
            free(e);
        }
        if (free_value)
            free_value(value);
        return -1;
    }
    e->value = value;
    e->free_value = free_value;
    e->bytes = bytes;
    e->refs = 1;
    ss_voice_entry *dead = NULL;
    pthread_mutex_lock(&c->mu);
    for (ss_voice_entry **pp = &c->head; *pp; pp = &(*pp)->next) {
        if (same((*pp)->voice_id, voice_id) && same((*pp)->digest, digest)) {
            dead = unlink_locked(c, pp);
            break;
        }
    }
    e->next = c->head;
    c->head = e;
    c->used += bytes;
    c->count++;
    shrink_locked(c, e, &dead);
    pthread_mutex_unlock(&c->mu);
    destroy_chain(dead);
    return 0;
}

ss_voice_entry *ss_voice_cache_acquire(ss_voice_cache *c, const char *voice_id, const char *digest)
{
    ss_voice_entry *found = NULL;
    pthread_mutex_lock(&c->mu);
    for (ss_voice_entry **pp = &c->head; *pp; pp = &(*pp)->next)
        if (same((*pp)->voice_id, voice_id) && same((*pp)->digest, digest)) {
            found = *pp;
            found->refs++;
            *pp = found->next; /* to the front: most recently used */
            found->next = c->head;
            c->head = found;
            break;
        }
    pthread_mutex_unlock(&c->mu);
    ss_metric_add(found ? c->hits : c->misses, 1);
    return found;
}

void *ss_voice_entry_value(const ss_voice_entry *e)
{
    return e->value;
}

void ss_voice_cache_release(ss_voice_cache *c, ss_voice_entry *e)
{
    pthread_mutex_lock(&c->mu);
    ss_voice_entry *dead = unref_locked(e);
    pthread_mutex_unlock(&c->mu);
    if (dead)
        entry_destroy(dead);
}

bool ss_voice_cache_has(ss_voice_cache *c, const char *voice_id, const char *digest)
{
    bool found = false;
    pthread_mutex_lock(&c->mu);
    for (ss_voice_entry *e = c->head; e && !found; e = e->next)
        found = same(e->voice_id, voice_id) && (!digest || same(e->digest, digest));
    pthread_mutex_unlock(&c->mu);
    return found;
}

bool ss_voice_cache_evict(ss_voice_cache *c, const char *voice_id)
{
    ss_voice_entry *dead = NULL; /* chained through next */
    bool any = false;
    pthread_mutex_lock(&c->mu);
    ss_voice_entry **pp = &c->head;
    while (*pp) {
        ss_voice_entry *e = *pp;
        if (same(e->voice_id, voice_id)) {
            any = true;
            ss_voice_entry *d = unlink_locked(c, pp);
            if (d) {
                d->next = dead;
                dead = d;
            }
        } else {
            pp = &e->next;
        }
    }
    pthread_mutex_unlock(&c->mu);
    while (dead) {
        ss_voice_entry *n = dead->next;
        entry_destroy(dead);
        dead = n;
    }
    return any;
}

void ss_voice_cache_ids_free(char **ids, long n)
{
    for (long i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

long ss_voice_cache_ids(ss_voice_cache *c, char ***ids)
{
    *ids = NULL;
    long n = 0;
    pthread_mutex_lock(&c->mu);
    size_t cap = 0;
    for (ss_voice_entry *e = c->head; e; e = e->next)
        cap++;
    char **out = calloc(cap ? cap : 1, sizeof *out);
    if (!out) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    for (ss_voice_entry *e = c->head; e; e = e->next) {
        bool dup = false;
        for (long i = 0; i < n && !dup; i++)
            dup = strcmp(out[i], e->voice_id) == 0;
        if (dup)
            continue;
        out[n] = strdup(e->voice_id);
        if (!out[n]) {
            pthread_mutex_unlock(&c->mu);
            ss_voice_cache_ids_free(out, n);
            return -1;
        }
        n++;
    }
    pthread_mutex_unlock(&c->mu);
    *ids = out;
    return n;
}
