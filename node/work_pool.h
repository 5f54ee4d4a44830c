/* Admission and execution of synthesis calls: a fixed number of worker
 * threads (`slots`) and a bounded wait queue (`queue_depth`).
 *
 * A job is admitted while running + waiting < slots + queue_depth; beyond
 * that submit answers SS_POOL_FULL and the caller answers RESOURCE_EXHAUSTED
 * (the gateway then tries another node). After ss_work_pool_close() (drain)
 * submit answers SS_POOL_CLOSED and the jobs already admitted still run. A
 * queued job whose call was cancelled still runs: it must check for the
 * cancel first and return at once. */
#ifndef SS_NODE_WORK_POOL_H
#define SS_NODE_WORK_POOL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ss_work_pool ss_work_pool;

typedef void (*ss_work_fn)(void *arg);

typedef enum { SS_POOL_OK = 0, SS_POOL_FULL = -1, SS_POOL_CLOSED = -2 } ss_pool_result;

/* slots >= 1, queue_depth >= 0. NULL + err on failure. */
ss_work_pool *ss_work_pool_new(int slots, int queue_depth, char *err, size_t errlen);

/* Admits fn(arg) or says why not (the job is then not run: the caller still
 * owns arg). */
ss_pool_result ss_work_pool_submit(ss_work_pool *p, ss_work_fn fn, void *arg);

/* Jobs running now and jobs waiting for a slot. */
void ss_work_pool_counts(ss_work_pool *p, int *running, int *waiting);

/* Stops admitting (idempotent). */
void ss_work_pool_close(ss_work_pool *p);

/* Waits until no job runs or waits, up to timeout_ms (< 0: no bound).
 * Returns true when idle. */
bool ss_work_pool_wait_idle(ss_work_pool *p, int timeout_ms);

/* Closes, waits for every admitted job (unbounded), joins the threads and
 * frees. NULL is fine. */
void ss_work_pool_free(ss_work_pool *p);

#endif
