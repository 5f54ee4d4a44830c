/* Unit tests for the voice cache's memory bound (node/voice_cache): LRU
 * order, the bound under 1000 distinct voices, entries in use surviving
 * eviction until released, oversized entries refused. */
#include "node/voice_cache.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int freed;
static void count_free(void *v)
{
    freed++;
    free(v);
}

Test(voice_cache_lru, bound_holds_under_1000_distinct_voices)
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

Test(voice_cache_lru, entry_in_use_outlives_eviction_and_oversize_is_refused)
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
