/* Retention of finished jobs (API.md §2 Jobs: results kept job_retention_s).
 *
 * A job that ends (completed, failed, cancelled) gets its deletion time in
 * the ZSET ss:jobs:expiry (gateway/job_store.h). Every job_sweep_interval_ms
 * the sweeper takes the ids that are due (100 at a time), deletes the audio
 * objects of every attempt (jobs/{id}/{n}.{format}, n = 1..attempts: also
 * an attempt that lost its race and could not delete its own), on the pool,
 * and then the record and the id (JOB_FORGET). A crash in between only
 * repeats the deletes next time (a missing object is not an error). */
#ifndef SS_WORKER_JOB_SWEEPER_H
#define SS_WORKER_JOB_SWEEPER_H

#include "gateway/gateway.h"

typedef struct job_sweeper job_sweeper;

job_sweeper *job_sweeper_start(gw_server *gw, char *err, size_t errlen);
void job_sweeper_free(job_sweeper *s);

#endif
