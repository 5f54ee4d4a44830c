/* Unit tests for node/voice_cache: put, acquire and evict (an acquired entry
 * survives eviction until released; eviction is idempotent), and the memory
 * bound: LRU order, the bound under 1000 distinct voices, oversized entries
 * refused. */
#include "node/voice_cache.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int freed;
static void count_free(void *v)
{
    free(v);
    atomic_fetch_add(&freed, 1);
}

Test(voice_cache, put_acquire_evict_idempotent)
{
    atomic_store(&freed, 0);
    ss_voice_cache *c = ss_voice_cache_new();
    cr_assert_not_null(c);
    cr_assert_eq(ss_voice_cache_put(c, "vc_a", "d1", strdup("A1"), count_free), 0);
    cr_assert_eq(ss_voice_cache_put(c, "vc_a", "d2", strdup("A2"), count_free), 0);
    cr_assert_eq(ss_voice_cache_put(c, "vc_b", "d1", strdup("B1"), count_free), 0);
    cr_assert(ss_voice_cache_has(c, "vc_a", "d1"));
    cr_assert(ss_voice_cache_has(c, "vc_a", NULL));
    cr_assert_not(ss_voice_cache_has(c, "vc_a", "d3"));

    ss_voice_entry *e = ss_voice_cache_acquire(c, "vc_a", "d2");
    cr_assert_not_null(e);
    cr_assert_str_eq(ss_voice_entry_value(e), "A2");
    cr_assert_null(ss_voice_cache_acquire(c, "vc_a", "zz"));

    char **ids;
    long n = ss_voice_cache_ids(c, &ids);
    cr_assert_eq(n, 2, "ids must be distinct voices");
    ss_voice_cache_ids_free(ids, n);

    cr_assert(ss_voice_cache_evict(c, "vc_a"));
    cr_assert_not(ss_voice_cache_has(c, "vc_a", NULL));
    cr_assert_eq(atomic_load(&freed), 1, "the acquired entry must survive until released");
    cr_assert_str_eq(ss_voice_entry_value(e), "A2");
    ss_voice_cache_release(c, e);
    cr_assert_eq(atomic_load(&freed), 2);
    cr_assert_not(ss_voice_cache_evict(c, "vc_a"), "second evict must report not cached");

    /* replacing the same key frees the old value */
    cr_assert_eq(ss_voice_cache_put(c, "vc_b", "d1", strdup("B1bis"), count_free), 0);
    cr_assert_eq(atomic_load(&freed), 3);
    e = ss_voice_cache_acquire(c, "vc_b", "d1");
    cr_assert_str_eq(ss_voice_entry_value(e), "B1bis");
    ss_voice_cache_release(c, e);

    cr_assert_eq(ss_voice_cache_put(c, "", "d", strdup("x"), count_free), -1);
    cr_assert_eq(atomic_load(&freed), 4, "a refused value is freed");
    ss_voice_cache_free(c);
    cr_assert_eq(atomic_load(&freed), 5);
}

Test(voice_cache, bound_holds_under_1000_distinct_voices)
{
    ss_voice_cache *c = ss_voice_cache_new();
    const size_t each = 1300 * 1024, limit = 64u * 1024 * 1024;
    ss_voice_cache_set_limit(c, limit);
    freed = 0;
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "vc_%04d", i);
        cr_assert_eq(ss_voice_cache_put_sized(c, id, "digest", malloc(16), count_free, each), 0);
        cr_assert(ss_voice_cache_bytes(c) <= limit, "%zu bytes after %d", ss_voice_cache_bytes(c), i);
        /* voice 0 is used all the time: it must stay */
        ss_voice_entry *e = ss_voice_cache_acquire(c, "vc_0000", "digest");
        cr_assert_not_null(e, "the busiest voice was evicted at %d", i);
        ss_voice_cache_release(c, e);
    }
    size_t n = ss_voice_cache_count(c);
    cr_assert_eq(n, limit / each, "%zu entries", n);
    cr_assert_eq(freed, 1000 - (int)n);
    cr_assert(ss_voice_cache_has(c, "vc_0999", "digest"));
    cr_assert_not(ss_voice_cache_has(c, "vc_0500", "digest"));
    char **ids;
    long k = ss_voice_cache_ids(c, &ids);
    cr_assert_eq(k, (long)n);
    ss_voice_cache_ids_free(ids, k);
    ss_voice_cache_set_limit(c, 10 * each); /* shrinking evicts at once */
    cr_assert_eq(ss_voice_cache_count(c), 10);
    cr_assert(ss_voice_cache_has(c, "vc_0000", "digest"));
    ss_voice_cache_free(c);
    cr_assert_eq(freed, 1000);
}

Test(voice_cache, entry_in_use_outlives_eviction_and_oversize_is_refused)
{
    ss_voice_cache *c = ss_voice_cache_new();
    ss_voice_cache_set_limit(c, 100);
    freed = 0;
    cr_assert_eq(ss_voice_cache_put_sized(c, "vc_a", "d", strdup("A"), count_free, 60), 0);
    ss_voice_entry *a = ss_voice_cache_acquire(c, "vc_a", "d");
    cr_assert_eq(ss_voice_cache_put_sized(c, "vc_b", "d", strdup("B"), count_free, 60), 0);
    cr_assert_not(ss_voice_cache_has(c, "vc_a", "d")); /* evicted ... */
    cr_assert_eq(freed, 0);                            /* ... but still in use */
    cr_assert_str_eq(ss_voice_entry_value(a), "A");
    ss_voice_cache_release(c, a);
    cr_assert_eq(freed, 1);
    cr_assert_eq(ss_voice_cache_bytes(c), 60);
    cr_assert_eq(ss_voice_cache_put_sized(c, "vc_big", "d", strdup("X"), count_free, 101), -1);
    cr_assert_eq(freed, 2);
    cr_assert(ss_voice_cache_has(c, "vc_b", "d"));
    /* replacing the same key does not double-count */
    cr_assert_eq(ss_voice_cache_put_sized(c, "vc_b", "d", strdup("B2"), count_free, 50), 0);
    cr_assert_eq(ss_voice_cache_bytes(c), 50);
    cr_assert(ss_voice_cache_evict(c, "vc_b"));
    cr_assert_eq(ss_voice_cache_bytes(c), 0);
    cr_assert_eq(ss_voice_cache_count(c), 0);
    cr_assert_not(ss_voice_cache_evict(c, "vc_b"));
    ss_voice_cache_set_limit(c, 0); /* unbounded */
    cr_assert_eq(ss_voice_cache_put_sized(c, "vc_huge", "d", strdup("H"), count_free, (size_t)1 << 40), 0);
    ss_voice_cache_free(c);
}
