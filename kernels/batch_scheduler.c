/* The batching dispatcher (see batch_scheduler.h).
 *
 * Requests live on their callers' stacks and are linked into one FIFO under
 * the mutex. The dispatcher waits for the first request, then until the
 * window after that request's arrival has passed (or max_jobs are queued,
 * or the scheduler stops), takes the whole queue, and runs it outside the
 * lock: requests are grouped by kind (and MLPG by equal windows), each
 * group's problems/jobs are concatenated into one array in arrival order and
 * given to ONE kernel call. Then every request of the batch is marked done
 * and the callers are woken (one condition variable for all; each caller
 * waits for its own flag). State: only the scheduler object (no globals). */
#include "kernels/batch_scheduler.h"

#include "kernels/kernels_validate.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { KIND_MLPG, KIND_EXCITATION, KIND_MLSA } request_kind;

typedef struct request {
    request_kind kind;
    const ss_mlpg_windows *win;
    const void *items;    /* ss_mlpg_problem / ss_excitation_job / ss_mlsa_job */
    size_t nitems;
    int rc;
    char err[256];
    bool done;            /* set and read under the mutex only */
    bool taken;           /* dispatcher only: put into a group */
    bool ran;             /* dispatcher only: its group's call returned */
    struct request *next;
} request;

struct ss_batch_scheduler {
    const ss_kernel_ops *ops;
    double window_ms;
    size_t max_jobs;
    pthread_mutex_t mu;
    pthread_cond_t queued; /* a request was queued, or stop */
    pthread_cond_t done;  /* a batch finished */
    request *head, *tail;
    size_t queued_jobs;
    bool stopping;
    pthread_t thread;
    ss_batch_stats stats;
    /* dispatcher-only scratch (grown as needed) */
    void *items;
    size_t items_cap;     /* bytes */
    double *work;
    size_t work_cap;      /* doubles */
};

static bool same_windows(const ss_mlpg_windows *a, const ss_mlpg_windows *b)
{
    if (a->nwin != b->nwin)
        return false;
    for (int i = 0; i < a->nwin; i++) {
        if (a->left[i] != b->left[i] || a->right[i] != b->right[i])
            return false;
        for (int x = 0; x < 3; x++)
            if (a->coef[i][x] != b->coef[i][x])
                return false;
    }
    return true;
}

static size_t item_size(request_kind k)
{
    return k == KIND_MLPG ? sizeof(ss_mlpg_problem)
                          : k == KIND_EXCITATION ? sizeof(ss_excitation_job) : sizeof(ss_mlsa_job);
}

static int reserve_items(ss_batch_scheduler *s, size_t bytes, char *err, size_t errlen)
{
    if (bytes <= s->items_cap)
        return 0;
    void *n = realloc(s->items, bytes);
    if (!n) {
        snprintf(err, errlen, "batch: out of memory");
        return -1;
    }
    s->items = n;
    s->items_cap = bytes;
    return 0;
}

/* Runs every request in batch (a NULL-terminated list) that matches the
 * group of `lead` as one kernel call; marks them taken and sets rc/err. */
static void run_group(ss_batch_scheduler *s, request *batch, request *lead)
{
    const size_t isz = item_size(lead->kind);
    size_t n = 0, nreq = 0, maxlen = 0;
    for (request *r = lead; r; r = r->next) {
        if (r->taken || r->kind != lead->kind ||
            (lead->kind == KIND_MLPG && !same_windows(r->win, lead->win)))
            continue;
        n += r->nitems;
        nreq++;
    }
    char err[256] = "";
    int rc = reserve_items(s, (n ? n : 1) * isz, err, sizeof err);
    if (rc == 0) {
        size_t at = 0;
        for (request *r = lead; r; r = r->next) {
            if (r->taken || r->kind != lead->kind ||
                (lead->kind == KIND_MLPG && !same_windows(r->win, lead->win)))
                continue;
            memcpy((char *)s->items + at * isz, r->items, r->nitems * isz);
            at += r->nitems;
            if (lead->kind == KIND_MLPG)
                for (size_t i = 0; i < r->nitems; i++) {
                    size_t T = ((const ss_mlpg_problem *)r->items)[i].length;
                    maxlen = T > maxlen ? T : maxlen;
                }
            r->taken = true;
        }
        switch (lead->kind) {
        case KIND_MLPG: {
            size_t wl = ss_kern_mlpg_workspace(maxlen);
            if (wl > s->work_cap) {
                double *nw = realloc(s->work, wl * sizeof(double));
                if (!nw) {
                    snprintf(err, sizeof err, "batch: out of memory");
                    rc = -1;
                    break;
                }
                s->work = nw;
                s->work_cap = wl;
            }
            rc = s->ops->mlpg(lead->win, s->items, n, s->work, s->work_cap, err, sizeof err);
            break;
        }
        case KIND_EXCITATION:
            rc = s->ops->excitation(s->items, n, err, sizeof err);
            break;
        case KIND_MLSA:
            rc = s->ops->mlsa(s->items, n, err, sizeof err);
            break;
        }
    }
    for (request *r = batch; r; r = r->next) {
        if (!r->taken || r->ran)
            continue;
        r->rc = rc;
        snprintf(r->err, sizeof r->err, "%s", err);
        r->ran = true;
    }
    s->stats.launches++;
    s->stats.jobs += n;
    if (nreq > s->stats.largest)
        s->stats.largest = nreq;
}

static void add_ms(struct timespec *t, double ms)
{
    long ns = (long)(ms * 1e6);
    t->tv_sec += ns / 1000000000L;
    t->tv_nsec += ns % 1000000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void *dispatcher_main(void *arg)
{
    ss_batch_scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->queued, &s->mu);
        if (!s->head)
            break;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        add_ms(&deadline, s->window_ms);
        while (s->queued_jobs < s->max_jobs && !s->stopping && s->window_ms > 0) {
            if (pthread_cond_timedwait(&s->queued, &s->mu, &deadline) == ETIMEDOUT)
                break;
        }
        request *batch = s->head;
        s->head = s->tail = NULL;
        s->queued_jobs = 0;
        pthread_mutex_unlock(&s->mu);
        size_t nreq = 0;
        for (request *r = batch; r; r = r->next)
            nreq++;
        for (request *r = batch; r; r = r->next)
            if (!r->taken)
                run_group(s, batch, r);
        /* Publish under the lock; a caller may return (and its request
         * leave its stack) as soon as the lock is released. */
        pthread_mutex_lock(&s->mu);
        for (request *r = batch; r; r = r->next)
            r->done = true;
        s->stats.requests += nreq;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

ss_batch_scheduler *ss_batch_scheduler_new(const ss_kernel_ops *ops, double window_ms,
                                           size_t max_jobs, char *err, size_t errlen)
{
    if (!ops || !(window_ms >= 0.0) || window_ms > 1000.0 || max_jobs < 1) {
        snprintf(err, errlen, "batch: need kernels, window 0..1000 ms and max_jobs >= 1");
        return NULL;
    }
    ss_batch_scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "batch: out of memory");
        return NULL;
    }
    s->ops = ops;
    s->window_ms = window_ms;
    s->max_jobs = max_jobs;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->queued, NULL);
    pthread_cond_init(&s->done, NULL);
    if (pthread_create(&s->thread, NULL, dispatcher_main, s) != 0) {
        snprintf(err, errlen, "batch: cannot start the dispatcher thread");
        pthread_cond_destroy(&s->queued);
        pthread_cond_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

void ss_batch_scheduler_free(ss_batch_scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->queued);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->queued);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
    free(s->items);
    free(s->work);
    free(s);
}

static int submit(ss_batch_scheduler *s, request *r, char *err, size_t errlen)
{
    if (r->nitems == 0)
        return 0;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        snprintf(err, errlen, "batch: scheduler is stopping");
        return -1;
    }
    if (s->tail)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    s->queued_jobs += r->nitems;
    pthread_cond_signal(&s->queued);
    while (!r->done)
        pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
    if (r->rc != 0)
        snprintf(err, errlen, "%s", r->err);
    return r->rc;
}

int ss_batch_mlpg(ss_batch_scheduler *s, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                  size_t nprobs, char *err, size_t errlen)
{
    if (ss_kern_mlpg_validate(win, probs, nprobs, err, errlen) != 0)
        return -1;
    request r = {.kind = KIND_MLPG, .win = win, .items = probs, .nitems = nprobs};
    return submit(s, &r, err, errlen);
}

int ss_batch_excitation(ss_batch_scheduler *s, const ss_excitation_job *jobs, size_t njobs,
                        char *err, size_t errlen)
{
    if (ss_kern_excitation_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    request r = {.kind = KIND_EXCITATION, .items = jobs, .nitems = njobs};
    return submit(s, &r, err, errlen);
}

int ss_batch_mlsa(ss_batch_scheduler *s, const ss_mlsa_job *jobs, size_t njobs, char *err,
                  size_t errlen)
{
    if (ss_kern_mlsa_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    request r = {.kind = KIND_MLSA, .items = jobs, .nitems = njobs};
    return submit(s, &r, err, errlen);
}

void ss_batch_scheduler_stats(ss_batch_scheduler *s, ss_batch_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}
