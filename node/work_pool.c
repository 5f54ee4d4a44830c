/* Fixed worker threads over a bounded FIFO (see work_pool.h). The FIFO is a
 * ring of slots + queue_depth entries, so admission is "the ring has room":
 * an idle worker takes a job at once, so at most queue_depth jobs ever wait
 * while every slot is busy. */
#include "node/work_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    ss_work_fn fn;
    void *arg;
} job;

struct ss_work_pool {
    pthread_mutex_t mu;
    pthread_cond_t work;  /* a job was queued, or the pool stops */
    pthread_cond_t idle;  /* a job ended */
    job *ring;
    size_t cap, head, len;
    int running;
    bool closed;
    bool stopping;
    pthread_t *threads;
    int nthreads;
};

static void *worker_main(void *arg)
{
    ss_work_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->len == 0 && !p->stopping)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->len == 0)
            break; /* stopping and nothing left */
        job j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        p->running++;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
        p->running--;
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ss_work_pool *ss_work_pool_new(int slots, int queue_depth, char *err, size_t errlen)
{
    if (slots < 1 || queue_depth < 0) {
        snprintf(err, errlen, "slots must be >= 1 and queue_depth >= 0 (got %d, %d)", slots,
                 queue_depth);
        return NULL;
    }
    ss_work_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->cap = (size_t)slots + (size_t)queue_depth;
    p->ring = calloc(p->cap, sizeof *p->ring);
    p->threads = calloc((size_t)slots, sizeof *p->threads);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->idle, NULL);
    if (!p->ring || !p->threads) {
        snprintf(err, errlen, "out of memory");
        ss_work_pool_free(p);
        return NULL;
    }
    for (int i = 0; i < slots; i++) {
        int e = pthread_create(&p->threads[i], NULL, worker_main, p);
        if (e != 0) {
            snprintf(err, errlen, "cannot start worker thread: %s", strerror(e));
            ss_work_pool_free(p);
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

ss_pool_result ss_work_pool_submit(ss_work_pool *p, ss_work_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    ss_pool_result r = SS_POOL_OK;
    if (p->closed)
        r = SS_POOL_CLOSED;
    else if (p->len + (size_t)p->running >= p->cap)
        r = SS_POOL_FULL;
    else {
        p->ring[(p->head + p->len) % p->cap] = (job){fn, arg};
        p->len++;
        pthread_cond_signal(&p->work);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

void ss_work_pool_counts(ss_work_pool *p, int *running, int *waiting)
{
    pthread_mutex_lock(&p->mu);
    *running = p->running;
    *waiting = (int)p->len;
    pthread_mutex_unlock(&p->mu);
}

void ss_work_pool_close(ss_work_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_mutex_unlock(&p->mu);
}

bool ss_work_pool_wait_idle(ss_work_pool *p, int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    if (timeout_ms > 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&p->mu);
    while (p->running > 0 || p->len > 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&p->idle, &p->mu);
        else if (pthread_cond_timedwait(&p->idle, &p->mu, &dl) != 0)
            break;
    }
    bool idle = p->running == 0 && p->len == 0;
    pthread_mutex_unlock(&p->mu);
    return idle;
}

void ss_work_pool_free(ss_work_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    p->stopping = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    free(p->ring);
    free(p->threads);
    free(p);
}
