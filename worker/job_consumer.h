/* The worker's side of the job queue (gateway/job_store.h): reads the
 * stream `ss:jobs` as one consumer of the group "workers", runs up to
 * worker_jobs attempts at once (job_runner.h), and takes over entries
 * whose worker died.
 *
 *   - New entries: XREADGROUP ... BLOCK on a connection of its own (a
 *     blocked read would hold up every other command on a shared one),
 *     COUNT = free slots, so a worker never takes more than it runs.
 *   - Dead workers' entries: every job_lease_ms / 2, XAUTOCLAIM with a
 *     minimum idle time of job_lease_ms (a live worker's heartbeat resets
 *     its entries' idle time every job_heartbeat_ms, so only an entry whose
 *     worker stopped beating qualifies).
 *   - The group is created (XGROUP CREATE ... 0 MKSTREAM: entries queued
 *     before any worker existed are read too) when the worker first reads,
 *     and again if Redis lost it.
 *   - Stopping (SIGTERM): no new entries; the running attempts get
 *     worker_drain_ms to finish, then each is handed back to the queue
 *     (job_run_hand_back: not counted as an attempt), and on_stopped runs
 *     once none is left. Either way a job is never both lost and
 *     half-written: its object is committed whole or not at all. */
#ifndef SS_WORKER_JOB_CONSUMER_H
#define SS_WORKER_JOB_CONSUMER_H

#include "gateway/gateway.h"

#include <stddef.h>

typedef struct job_consumer job_consumer;

/* gw must have base, settings, redis, audio_pool, objects, node calls and
 * relay set up. NULL with err on failure. */
job_consumer *job_consumer_start(gw_server *gw, char *err, size_t errlen);
void job_consumer_stop(job_consumer *c, void (*on_stopped)(void *user), void *user);
/* After on_stopped (or at exit). */
void job_consumer_free(job_consumer *c);
/* "host-pid-xxxx": this worker's consumer name. */
const char *job_consumer_name(const job_consumer *c);

#endif
