/* CPU work pool bridged to a libevent loop (see loop_pool.h). Not the node's
 * node/work_pool.h, which admits synthesis jobs into fixed slots and blocks.
 *
 * Two lists under one mutex: `queue` (submitted, not yet taken by a thread)
 * and `finished` (run, done not yet called). Workers sleep on a condition
 * variable; a worker that finishes a job appends it to `finished` and, when
 * that list was empty, activates the pool's event, whose callback on the
 * loop takes the whole list and calls each done. Jobs carry their own node
 * (one allocation per job). The pool's state is its own; nothing global. */
#include "common/loop_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    ss_loop_run_fn run;
    ss_loop_done_fn done;
    void *arg;
    struct job *next;
} job;

struct ss_loop_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job *queue, *queue_tail;
    job *finished, *finished_tail;
    bool stopping;
    size_t pending;            /* loop thread only */
    struct event *handback;
    pthread_t *threads;
    int nthreads;
};

static void list_append(job **head, job **tail, job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static void *worker_main(void *arg)
{
    ss_loop_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->queue && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        job *j = p->queue;
        if (!j)
            break; /* stopping and nothing left */
        p->queue = j->next;
        if (!p->queue)
            p->queue_tail = NULL;
        pthread_mutex_unlock(&p->lock);
        j->run(j->arg);
        pthread_mutex_lock(&p->lock);
        bool was_empty = p->finished == NULL;
        list_append(&p->finished, &p->finished_tail, j);
        if (was_empty && !p->stopping)
            event_active(p->handback, EV_READ, 0);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Takes the finished list and calls each done (loop thread). */
static void deliver_finished(ss_loop_pool *p)
{
    pthread_mutex_lock(&p->lock);
    job *j = p->finished;
    p->finished = p->finished_tail = NULL;
    pthread_mutex_unlock(&p->lock);
    while (j) {
        job *next = j->next;
        p->pending--;
        j->done(j->arg);
        free(j);
        j = next;
    }
}

static void on_handback(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    deliver_finished(arg);
}

static void stop_threads(ss_loop_pool *p, int started)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

static void pool_release(ss_loop_pool *p)
{
    if (p->handback)
        event_free(p->handback);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

ss_loop_pool *ss_loop_pool_new(struct event_base *base, int threads, char *err, size_t errlen)
{
    if (threads < 1 || threads > 64) {
        snprintf(err, errlen, "work pool threads must be 1..64 (got %d)", threads);
        return NULL;
    }
    ss_loop_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->handback = event_new(base, -1, 0, on_handback, p);
    if (!p->threads || !p->handback) {
        pool_release(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < threads; i++) {
        int rc = pthread_create(&p->threads[i], NULL, worker_main, p);
        if (rc == 0)
            pthread_setname_np(p->threads[i], "ss-audio");
        if (rc != 0) {
            stop_threads(p, i);
            pool_release(p);
            snprintf(err, errlen, "pthread_create: %s", strerror(rc));
            return NULL;
        }
    }
    p->nthreads = threads;
    return p;
}

static job *job_new(ss_loop_run_fn run, ss_loop_done_fn done, void *arg)
{
    job *j = malloc(sizeof *j);
    if (j) {
        j->run = run;
        j->done = done;
        j->arg = arg;
    }
    return j;
}

int ss_loop_pool_submit(ss_loop_pool *p, ss_loop_run_fn run, ss_loop_done_fn done, void *arg)
{
    job *j = job_new(run, done, arg);
    if (!j)
        return -1;
    pthread_mutex_lock(&p->lock);
    list_append(&p->queue, &p->queue_tail, j);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    p->pending++;
    return 0;
}

int ss_loop_pool_run_here(ss_loop_pool *p, ss_loop_run_fn run, ss_loop_done_fn done, void *arg)
{
    job *j = job_new(run, done, arg);
    if (!j)
        return -1;
    run(arg);
    pthread_mutex_lock(&p->lock);
    bool was_empty = p->finished == NULL;
    list_append(&p->finished, &p->finished_tail, j);
    pthread_mutex_unlock(&p->lock);
    p->pending++;
    if (was_empty)
        event_active(p->handback, EV_READ, 0); /* from the loop thread: no wake-up needed */
    return 0;
}

size_t ss_loop_pool_pending(const ss_loop_pool *p)
{
    return p->pending;
}

void ss_loop_pool_free(ss_loop_pool *p)
{
    if (!p)
        return;
    stop_threads(p, p->nthreads); /* workers drain the queue before they exit */
    /* A done may submit the next step of its work (a job sink's next batch,
     * its final drop): with the threads gone, such jobs run here, in
     * order, until nothing is queued or finished. Every chain in this code
     * base ends (each step moves its work towards its end). */
    for (;;) {
        deliver_finished(p);
        pthread_mutex_lock(&p->lock);
        job *j = p->queue;
        p->queue = p->queue_tail = NULL;
        pthread_mutex_unlock(&p->lock);
        if (!j)
            break;
        while (j) {
            job *next = j->next;
            j->run(j->arg);
            pthread_mutex_lock(&p->lock);
            list_append(&p->finished, &p->finished_tail, j);
            pthread_mutex_unlock(&p->lock);
            j = next;
        }
    }
    pool_release(p);
}
