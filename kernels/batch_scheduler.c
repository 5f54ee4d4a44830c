/* The batching dispatchers (see batch_scheduler.h).
 *
 * Requests live on their callers' stacks and are linked into one FIFO under
 * the mutex. One dispatcher at a time is the "gatherer": it waits for the
 * first request, then until the window after that request's arrival has
 * passed (or max_jobs are queued, or the scheduler stops), takes the whole
 * queue, hands the gatherer role on, and runs the batch outside the lock on
 * its own lane: requests are grouped by kind (and MLPG by equal windows),
 * each group's problems/jobs are concatenated into one array in arrival
 * order and given to ONE kernel call. Then every request of the batch is
 * marked done and the callers are woken (one condition variable for all;
 * each caller waits for its own flag), and the dispatcher records its lane's
 * memory usage for ss_batch_scheduler_stats (so no other thread ever touches
 * a lane). State: only the scheduler object (no globals). */
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

typedef struct dispatcher {
    struct ss_batch_scheduler *s;
    pthread_t thread;
    bool running;
    ss_kernel_lane *lane;         /* NULL when the ops have no lanes */
    ss_kernel_lane_usage usage;   /* snapshot, written under the mutex */
    /* dispatcher-only scratch (grown as needed) */
    void *items;
    size_t items_cap;     /* bytes */
    double *work;
    size_t work_cap;      /* doubles */
} dispatcher;

struct ss_batch_scheduler {
    const ss_kernel_ops *ops;
    double window_ms;
    size_t max_jobs;
    pthread_mutex_t mu;
    pthread_cond_t queued; /* a request was queued, the gatherer left, or stop */
    pthread_cond_t done;  /* a batch finished */
    request *head, *tail;
    size_t queued_jobs;
    bool gathering;       /* a dispatcher is waiting out the window */
    bool stopping;
    ss_batch_stats stats;
    int ndisp;
    dispatcher disp[SS_BATCH_MAX_LANES];
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

static int reserve_items(dispatcher *d, size_t bytes, char *err, size_t errlen)
{
    if (bytes <= d->items_cap)
        return 0;
    void *n = realloc(d->items, bytes);
    if (!n) {
        snprintf(err, errlen, "batch: out of memory");
        return -1;
    }
    d->items = n;
    d->items_cap = bytes;
    return 0;
}

/* One kernel call over the gathered items: on the dispatcher's lane when
 * the ops have lanes, else a direct call (MLPG with this dispatcher's CPU
 * scratch). */
static int call_kernel(dispatcher *d, request_kind kind, const ss_mlpg_windows *win, size_t n,
                       size_t maxlen, char *err, size_t errlen)
{
    const ss_kernel_ops *ops = d->s->ops;
    switch (kind) {
    case KIND_MLPG:
        if (d->lane)
            return ops->lane_mlpg(d->lane, win, d->items, n, err, errlen);
        size_t wl = ss_kern_mlpg_workspace(maxlen);
        if (wl > d->work_cap) {
            double *nw = realloc(d->work, wl * sizeof(double));
            if (!nw) {
                snprintf(err, errlen, "batch: out of memory");
                return -1;
            }
            d->work = nw;
            d->work_cap = wl;
        }
        return ops->mlpg(win, d->items, n, d->work, d->work_cap, err, errlen);
    case KIND_EXCITATION:
        return d->lane ? ops->lane_excitation(d->lane, d->items, n, err, errlen)
                       : ops->excitation(d->items, n, err, errlen);
    case KIND_MLSA:
        return d->lane ? ops->lane_mlsa(d->lane, d->items, n, err, errlen)
                       : ops->mlsa(d->items, n, err, errlen);
    }
    snprintf(err, errlen, "batch: unknown request kind");
    return -1;
}

static bool in_group(const request *r, const request *lead)
{
    return !r->taken && r->kind == lead->kind &&
           (lead->kind != KIND_MLPG || same_windows(r->win, lead->win));
}

/* Runs every request in batch (a NULL-terminated list) that matches the
 * group of `lead` as one kernel call; marks them taken and sets rc/err.
 * Counts go to *st (the caller adds them to the stats under the lock). */
static void run_group(dispatcher *d, request *batch, request *lead, ss_batch_stats *st)
{
    const size_t isz = item_size(lead->kind);
    size_t n = 0, nreq = 0, maxlen = 0;
    for (request *r = lead; r; r = r->next) {
        if (!in_group(r, lead))
            continue;
        n += r->nitems;
        nreq++;
    }
    char err[256] = "";
    int rc = reserve_items(d, (n ? n : 1) * isz, err, sizeof err);
    if (rc == 0) {
        size_t at = 0;
        for (request *r = lead; r; r = r->next) {
            if (!in_group(r, lead))
                continue;
            memcpy((char *)d->items + at * isz, r->items, r->nitems * isz);
            at += r->nitems;
            if (lead->kind == KIND_MLPG)
                for (size_t i = 0; i < r->nitems; i++) {
                    size_t T = ((const ss_mlpg_problem *)r->items)[i].length;
                    maxlen = T > maxlen ? T : maxlen;
                }
            r->taken = true;
        }
        rc = call_kernel(d, lead->kind, lead->win, n, maxlen, err, sizeof err);
    } else {
        for (request *r = lead; r; r = r->next)
            if (in_group(r, lead))
                r->taken = true;
    }
    for (request *r = batch; r; r = r->next) {
        if (!r->taken || r->ran)
            continue;
        r->rc = rc;
        snprintf(r->err, sizeof r->err, "%s", err);
        r->ran = true;
    }
    st->launches++;
    st->jobs += n;
    if (nreq > st->largest)
        st->largest = nreq;
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
    dispatcher *d = arg;
    ss_batch_scheduler *s = d->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->gathering || (!s->head && !s->stopping))
            pthread_cond_wait(&s->queued, &s->mu);
        if (!s->head)
            break; /* stopping, and nothing is left */
        s->gathering = true;
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
        s->gathering = false;
        pthread_cond_broadcast(&s->queued); /* an idle dispatcher gathers the next batch */
        pthread_mutex_unlock(&s->mu);
        size_t nreq = 0;
        ss_batch_stats st = {0};
        for (request *r = batch; r; r = r->next)
            nreq++;
        for (request *r = batch; r; r = r->next)
            if (!r->taken)
                run_group(d, batch, r, &st);
        ss_kernel_lane_usage usage = {0};
        if (d->lane)
            s->ops->lane_usage(d->lane, &usage);
        /* Publish under the lock; a caller may return (and its request
         * leave its stack) as soon as the lock is released. */
        pthread_mutex_lock(&s->mu);
        for (request *r = batch; r; r = r->next)
            r->done = true;
        s->stats.requests += nreq;
        s->stats.launches += st.launches;
        s->stats.jobs += st.jobs;
        if (st.largest > s->stats.largest)
            s->stats.largest = st.largest;
        d->usage = usage;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

ss_batch_options ss_batch_default_options(void)
{
    return (ss_batch_options){.window_ms = SS_BATCH_DEFAULT_WINDOW_MS,
                              .max_jobs = SS_BATCH_DEFAULT_MAX_JOBS,
                              .lanes = 1,
                              .lane_memory_limit = 0};
}

static void dispatcher_release(const ss_kernel_ops *ops, dispatcher *d)
{
    if (d->lane)
        ops->lane_free(d->lane);
    free(d->items);
    free(d->work);
    memset(d, 0, sizeof *d);
}

/* Stops and joins every running dispatcher, frees them and s. */
static void scheduler_destroy(ss_batch_scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->queued);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->ndisp; i++) {
        if (s->disp[i].running)
            pthread_join(s->disp[i].thread, NULL);
        dispatcher_release(s->ops, &s->disp[i]);
    }
    pthread_cond_destroy(&s->queued);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

ss_batch_scheduler *ss_batch_scheduler_new(const ss_kernel_ops *ops, const ss_batch_options *o,
                                           char *err, size_t errlen)
{
    if (!ops || !o || !(o->window_ms >= 0.0) || o->window_ms > 1000.0 || o->max_jobs < 1 ||
        o->lanes < 1 || o->lanes > SS_BATCH_MAX_LANES) {
        snprintf(err, errlen, "batch: need kernels, window 0..1000 ms, max_jobs >= 1 and 1..%d lanes",
                 SS_BATCH_MAX_LANES);
        return NULL;
    }
    if (ops->lane_new && (!ops->lane_free || !ops->lane_usage || !ops->lane_mlpg ||
                          !ops->lane_excitation || !ops->lane_mlsa)) {
        snprintf(err, errlen, "batch: the %s kernels' lane table is incomplete", ops->name);
        return NULL;
    }
    ss_batch_scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "batch: out of memory");
        return NULL;
    }
    s->ops = ops;
    s->window_ms = o->window_ms;
    s->max_jobs = o->max_jobs;
    s->stats.lanes = o->lanes;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->queued, NULL);
    pthread_cond_init(&s->done, NULL);
    for (int i = 0; i < o->lanes; i++) {
        dispatcher *d = &s->disp[i];
        d->s = s;
        s->ndisp = i + 1;
        if (ops->lane_new) {
            d->lane = ops->lane_new(o->lane_memory_limit, err, errlen);
            if (!d->lane) {
                scheduler_destroy(s);
                return NULL;
            }
            ops->lane_usage(d->lane, &d->usage);
        }
        if (pthread_create(&d->thread, NULL, dispatcher_main, d) != 0) {
            snprintf(err, errlen, "batch: cannot start dispatcher thread %d", i + 1);
            scheduler_destroy(s);
            return NULL;
        }
        d->running = true;
    }
    return s;
}

void ss_batch_scheduler_free(ss_batch_scheduler *s)
{
    if (s)
        scheduler_destroy(s);
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
    pthread_cond_broadcast(&s->queued); /* the gatherer, or an idle dispatcher */
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
    ss_kernel_lane_usage *m = &out->memory;
    for (int i = 0; i < s->ndisp; i++) {
        const ss_kernel_lane_usage *u = &s->disp[i].usage;
        m->device_bytes += u->device_bytes;
        m->device_limit += u->device_limit;
        m->pinned_bytes += u->pinned_bytes;
        m->device_allocs += u->device_allocs;
        m->calls += u->calls;
        m->splits += u->splits;
    }
    pthread_mutex_unlock(&s->mu);
}
