/* Unit tests for node/work_pool: admission into `slots` worker threads and a
 * bounded wait queue (full beyond it, closed after close), and free waiting
 * for every admitted job. */
#include "node/work_pool.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

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

Test(work_pool, slots_then_queue_then_full)
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

Test(work_pool, zero_queue_depth_and_close)
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

Test(work_pool, rejects_bad_sizes)
{
    char err[128] = "";
    cr_assert_null(ss_work_pool_new(0, 4, err, sizeof err));
    cr_assert(strstr(err, "slots") != NULL);
    cr_assert_null(ss_work_pool_new(1, -1, err, sizeof err));
}

Test(work_pool, free_waits_for_admitted_jobs)
{
    char err[128];
    ss_work_pool *p = ss_work_pool_new(1, 2, err, sizeof err);
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .release = true};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ss_work_pool_submit(p, gated_job, &g), SS_POOL_OK);
    ss_work_pool_free(p);
    cr_assert_eq(atomic_load(&g.done), 3);
}
