/* Unit tests for common/loop_pool: jobs run off the loop thread, every done
 * comes back on the loop thread exactly once, also when the pool is freed
 * with jobs still queued, and jobs their dones submit during the free
 * run too. */
#include "common/loop_pool.h"

#include <criterion/criterion.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

typedef struct {
    pthread_t loop_thread;
    atomic_int ran_off_loop;
    int done;
    int done_on_loop;
} counts;

typedef struct {
    counts *c;
    int spin_ms;
} job_arg;

static void run_job(void *arg)
{
    job_arg *a = arg;
    if (!pthread_equal(pthread_self(), a->c->loop_thread))
        atomic_fetch_add(&a->c->ran_off_loop, 1);
    if (a->spin_ms) {
        struct timespec ts = {0, a->spin_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void job_done(void *arg)
{
    job_arg *a = arg;
    a->c->done++;
    if (pthread_equal(pthread_self(), a->c->loop_thread))
        a->c->done_on_loop++;
}

Test(loop_pool, jobs_run_on_threads_and_finish_on_the_loop)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *p = ss_loop_pool_new(base, 3, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    counts c = {.loop_thread = pthread_self()};
    job_arg args[40];
    for (int i = 0; i < 40; i++) {
        args[i] = (job_arg){&c, i % 4};
        cr_assert_eq(ss_loop_pool_submit(p, run_job, job_done, &args[i]), 0);
    }
    cr_assert_eq(ss_loop_pool_pending(p), 40);
    for (int spins = 0; c.done < 40 && spins < 5000; spins++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), nanosleep(&(struct timespec){0, 1000000}, NULL);
    cr_assert_eq(c.done, 40);
    cr_assert_eq(c.done_on_loop, 40);
    cr_assert_eq(atomic_load(&c.ran_off_loop), 40);
    cr_assert_eq(ss_loop_pool_pending(p), 0);
    ss_loop_pool_free(p);
    event_base_free(base);
}

Test(loop_pool, free_runs_what_is_queued_and_calls_every_done)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *p = ss_loop_pool_new(base, 1, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    counts c = {.loop_thread = pthread_self()};
    job_arg args[10];
    for (int i = 0; i < 10; i++) {
        args[i] = (job_arg){&c, 2};
        cr_assert_eq(ss_loop_pool_submit(p, run_job, job_done, &args[i]), 0);
    }
    ss_loop_pool_free(p); /* the loop never ran */
    cr_assert_eq(c.done, 10);
    cr_assert_eq(atomic_load(&c.ran_off_loop), 10);
    event_base_free(base);
}

/* A done that submits the next step of its work, as a job sink's
 * batch_written does; steps_left counts down to the last. */
typedef struct {
    ss_loop_pool *pool;
    int steps_left, runs, dones;
} chain;

static void chain_run(void *arg)
{
    ((chain *)arg)->runs++;
}

static void chain_done(void *arg)
{
    chain *ch = arg;
    ch->dones++;
    if (--ch->steps_left > 0)
        cr_assert_eq(ss_loop_pool_submit(ch->pool, chain_run, chain_done, ch), 0);
}

/* Seen as a LeakSanitizer report when a worker stopped mid-job: the job a
 * done submitted while the pool was being freed was never run. */
Test(loop_pool, free_runs_the_jobs_that_dones_submit)
{
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    char err[128];
    ss_loop_pool *p = ss_loop_pool_new(base, 2, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    chain ch = {.pool = p, .steps_left = 5};
    cr_assert_eq(ss_loop_pool_submit(p, chain_run, chain_done, &ch), 0);
    ss_loop_pool_free(p); /* the loop never ran: every step happens in free */
    cr_assert_eq(ch.runs, 5);
    cr_assert_eq(ch.dones, 5);
    event_base_free(base);
}

Test(loop_pool, refuses_a_thread_count_out_of_range)
{
    struct event_base *base = event_base_new();
    char err[128];
    cr_assert_null(ss_loop_pool_new(base, 0, err, sizeof err));
    cr_assert(strstr(err, "1..64"), "%s", err);
    cr_assert_null(ss_loop_pool_new(base, 65, err, sizeof err));
    event_base_free(base);
}
