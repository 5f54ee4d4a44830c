/* Voice cache (see voice_cache.h): a mutex-protected linked list of entries.
 * A node holds a handful of voices, so a list is both simple and fast enough;
 * replace with a hash table if a node ever caches thousands. */
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
    int refs;      /* the cache's own reference counts as one while listed */
    ss_voice_entry *next;
};

struct ss_voice_cache {
    pthread_mutex_t mu;
    ss_voice_entry *head;
    ss_metric *hits, *misses;
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

int ss_voice_cache_put(ss_voice_cache *c, const char *voice_id, const char *digest, void *value,
                       ss_voice_value_free free_value)
{
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
    e->refs = 1;
    ss_voice_entry *dead = NULL;
    pthread_mutex_lock(&c->mu);
    for (ss_voice_entry **pp = &c->head; *pp; pp = &(*pp)->next) {
        if (same((*pp)->voice_id, voice_id) && same((*pp)->digest, digest)) {
            ss_voice_entry *old = *pp;
            *pp = old->next;
            dead = unref_locked(old);
            break;
        }
    }
    e->next = c->head;
    c->head = e;
    pthread_mutex_unlock(&c->mu);
    if (dead)
        entry_destroy(dead);
    return 0;
}

ss_voice_entry *ss_voice_cache_acquire(ss_voice_cache *c, const char *voice_id, const char *digest)
{
    ss_voice_entry *found = NULL;
    pthread_mutex_lock(&c->mu);
    for (ss_voice_entry *e = c->head; e; e = e->next)
        if (same(e->voice_id, voice_id) && same(e->digest, digest)) {
            e->refs++;
            found = e;
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
            *pp = e->next;
            any = true;
            if (unref_locked(e)) {
                e->next = dead;
                dead = e;
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
