/* A loop pool: a few CPU threads for work that must not run on an event
 * loop (audio encoding, decoding, resampling), whose results are handed back
 * to that loop.
 *
 * A job is two functions and an argument: `run` on some pool thread, then
 * `done` on the loop thread of the event_base the pool was made for. Jobs
 * start in submission order; with more than one thread they may finish in
 * any order, so a caller that needs order (one encoder's chunks) keeps at
 * most one job of its own in flight (gateway/audio_lane.h does). `done` is
 * always called, exactly once per submitted job, also when the pool is
 * freed with jobs still queued (they run first). The hand-back is one
 * locked list and one event made active from the worker thread, so the
 * base must have been set up for threads (evthread_use_pthreads()). */
#ifndef SS_COMMON_LOOP_POOL_H
#define SS_COMMON_LOOP_POOL_H

#include <event2/event.h>
#include <stddef.h>

typedef struct ss_loop_pool ss_loop_pool;

typedef void (*ss_loop_run_fn)(void *arg);  /* on a pool thread */
typedef void (*ss_loop_done_fn)(void *arg); /* on the loop thread, after run */

/* `threads` 1..64. NULL with err ("out of memory", or the failing call). */
ss_loop_pool *ss_loop_pool_new(struct event_base *base, int threads, char *err, size_t errlen);
/* Queues a job (loop thread). 0, or -1 when no memory for it (nothing runs). */
int ss_loop_pool_submit(ss_loop_pool *p, ss_loop_run_fn run, ss_loop_done_fn done, void *arg);
/* Runs `run` now, on the calling (loop) thread, and queues `done` for the
 * loop's next turn like a pool job's: for work too small to be worth a
 * thread switch (a copy), with the same never-from-inside callback rule.
 * 0, or -1 when no memory (nothing ran). */
int ss_loop_pool_run_here(ss_loop_pool *p, ss_loop_run_fn run, ss_loop_done_fn done, void *arg);
/* Jobs submitted whose done has not been called yet. */
size_t ss_loop_pool_pending(const ss_loop_pool *p);
/* Runs what is queued, joins the threads and calls every outstanding done
 * on the calling thread (the loop thread, or the loop is not running);
 * jobs those dones submit run on the calling thread too, until none is
 * left. NULL is fine. */
void ss_loop_pool_free(ss_loop_pool *p);

#endif
