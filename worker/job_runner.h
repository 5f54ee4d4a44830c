/* One attempt of one job, in scaispeak-worker (gateway/job_store.h has the
 * states and the scripts).
 *
 * An attempt: job_start (the record; or nothing to do) → the voice and the
 * tenant policy as they are now → the text cut into parts (job_parts.h),
 * each synthesised in turn through the same backend resolution as /speak
 * (gateway/backend_resolve.h with the registry of that moment: the policy's
 * order, A nodes by load with the next node when one fails before its
 * first audio byte, then B) → every part's PCM into one job_sink (encoded,
 * written to jobs/{id}/{attempt}.{format}) → progress after each part →
 * job_complete.
 *
 * One job keeps one backend: the first part's backend serves every part
 * (the relay's voice is not ours, and a job must not change voice half-way).
 * A failure after a part's first audio byte, or of the job's backend, ends
 * the attempt retryably: the job goes back to the queue while attempts are
 * left and starts over with a fresh object. Refusals that a retry cannot
 * change (the voice erased or no longer ready, the text refused by the
 * engine) end the job failed at once. Nodes that are all busy are waited
 * for (1 s steps, up to job_lease_ms), which costs no attempt.
 *
 * A heartbeat every job_heartbeat_ms renews the lease and reads the job's
 * status: cancelled (DELETE), superseded (another worker took the job over
 * after this one looked dead) or gone stop the attempt at once — the node
 * call is cancelled, the object dropped. */
#ifndef SS_WORKER_JOB_RUNNER_H
#define SS_WORKER_JOB_RUNNER_H

#include "gateway/gateway.h"

typedef struct job_run job_run;

/* What the consumer lends every attempt. */
typedef struct {
    gw_server *gw;          /* base, settings, redis, audio pool, objects, node calls, relay */
    const char *consumer;   /* this worker's consumer name in the group */
} job_env;

typedef enum {
    JOB_RUN_SKIPPED,    /* nothing to run (ended, replaced or gone) */
    JOB_RUN_COMPLETED,
    JOB_RUN_FAILED,     /* ended failed */
    JOB_RUN_REQUEUED,   /* back in the queue (retryable failure or handed back) */
    JOB_RUN_STOPPED,    /* cancelled or superseded: stopped as told */
    JOB_RUN_UNKNOWN,    /* Redis could not record the end: the lease decides */
} job_run_outcome;

typedef void (*job_run_done_fn)(void *user, job_run_outcome outcome);

/* Starts an attempt for the stream entry msg_id naming job_id (a valid
 * id). NULL when out of memory or Redis is not connected (the entry stays
 * pending; its lease expires and it is taken again); else done follows
 * exactly once, later. */
job_run *job_run_start(const job_env *env, const char *msg_id, const char *job_id, job_run_done_fn done,
                       void *user);

/* Stops the attempt and hands the job back to the queue without counting
 * the attempt (a stopping worker); done follows. */
void job_run_hand_back(job_run *run);

const char *job_run_outcome_name(job_run_outcome o);

#endif
