/* Unit tests for the node's in-process pieces: admission (work pool), label
 * parsing, the voice cache, the GPU probe. */
#include "kernels/device_probe.h"
#include "node/node_labels.h"
#include "node/voice_cache.h"
#include "node/work_pool.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- admission */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool release;
    atomic_int started;
    atomic_int done;
} gate;

static void gated_job(void *arg)
{
    gate *g = arg;
    atomic_fetch_add(&g->started, 1);
    pthread_mutex_lock(&g->mu);
    while (!g->release)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_add(&g->done, 1);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->release = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void wait_started(gate *g, int n)
{
    for (int i = 0; i < 400 && atomic_load(&g->started) < n; i++)
        usleep(5000);
}

Test(node_admission, slots_then_queue_then_full)
{
    char err[128];
    ss_work_pool *p = ss_work_pool_new(2, 3, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_OK, "job %d refused", i);
    wait_started(&g, 2);
    int running, waiting;
    ss_work_pool_counts(p, &running, &waiting);
    cr_assert_eq(running, 2);
    cr_assert_eq(waiting, 3);
    cr_assert_eq(atomic_load(&g.started), 2, "more jobs run than slots");
    cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_FULL);
    cr_assert_not(ss_work_pool_wait_idle(p, 50));
    gate_open(&g);
    cr_assert(ss_work_pool_wait_idle(p, 2000));
    cr_assert_eq(atomic_load(&g.done), 5);
    /* room again once idle */
    cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_OK);
    cr_assert(ss_work_pool_wait_idle(p, 2000));
    ss_work_pool_free(p);
}

Test(node_admission, zero_queue_depth_and_close)
{
    char err[128];
    ss_work_pool *p = ss_work_pool_new(1, 0, err, sizeof err);
    cr_assert_not_null(p);
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_OK);
    wait_started(&g, 1);
    cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_FULL);
    ss_work_pool_close(p);
    cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_CLOSED);
    gate_open(&g);
    cr_assert(ss_work_pool_wait_idle(p, 2000));
    cr_assert_eq(atomic_load(&g.done), 1, "the admitted job must still run after close");
    ss_work_pool_free(p);
}

Test(node_admission, rejects_bad_sizes)
{
    char err[128] = "";
    cr_assert_null(ss_work_pool_new(0, 4, err, sizeof err));
    cr_assert(strstr(err, "slots") != NULL);
    cr_assert_null(ss_work_pool_new(1, -1, err, sizeof err));
}

Test(node_admission, free_waits_for_admitted_jobs)
{
    char err[128];
    ss_work_pool *p = ss_work_pool_new(1, 2, err, sizeof err);
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .release = true};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_OK);
    ss_work_pool_free(p);
    cr_assert_eq(atomic_load(&g.done), 3);
}

/* --- labels */

Test(node_labels, parses_pairs_and_trims)
{
    ss_labels l;
    char err[256];
    cr_assert_eq(ss_labels_parse(" zone = eu-west ,tier=gpu,empty=", &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.count, 3);
    cr_assert_str_eq(l.items[0].key, "zone");
    cr_assert_str_eq(l.items[0].value, "eu-west");
    cr_assert_str_eq(l.items[1].key, "tier");
    cr_assert_str_eq(l.items[1].value, "gpu");
    cr_assert_str_eq(l.items[2].key, "empty");
    cr_assert_str_eq(l.items[2].value, "");
    ss_labels_free(&l);
    cr_assert_eq(ss_labels_parse("", &l, err, sizeof err), 0);
    cr_assert_eq(l.count, 0);
    cr_assert_eq(ss_labels_parse("   ", &l, err, sizeof err), 0);
    cr_assert_eq(l.count, 0);
    ss_labels_free(&l);
}

Test(node_labels, rejects_malformed)
{
    ss_labels l;
    char err[256];
    const char *bad[] = {"zone", "=x", "a=b,,c=d", "a=b,", "a=b,a=c", "a b=c", "a=b=c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        cr_assert_eq(ss_labels_parse(bad[i], &l, err, sizeof err), -1, "accepted '%s'", bad[i]);
        cr_assert(strstr(err, "node_labels") != NULL, "%s", err);
        cr_assert_eq(l.count, 0);
        cr_assert_null(l.items);
    }
}

/* --- voice cache */

static atomic_int freed;
static void count_free(void *v)
{
    free(v);
    atomic_fetch_add(&freed, 1);
}

Test(node_voice_cache, put_acquire_evict_idempotent)
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

/* --- device probe: either a described GPU or a stated reason for none */

Test(node_device_probe, facts_are_consistent)
{
    ss_device_facts f;
    memset(&f, 0x5a, sizeof f);
    ss_device_probe(&f);
    if (f.present) {
        cr_assert_gt(f.count, 0);
        cr_assert_gt(strlen(f.name), 0);
        cr_assert_gt(f.memory_total_mb, 0);
        cr_assert_leq(f.memory_used_mb, f.memory_total_mb);
        cr_assert_eq(f.reason[0], 0);
    } else {
        cr_assert_gt(strlen(f.reason), 0, "no GPU and no reason");
        cr_assert_eq(f.count, 0);
        cr_assert_eq(f.memory_total_mb, 0);
    }
}
