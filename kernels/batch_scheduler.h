/* Batching of kernel work from concurrent synthesis calls.
 *
 * Calls on worker threads hand their MLPG problems, excitation jobs or MLSA
 * jobs to the scheduler and block until their results are written. One
 * dispatcher thread collects what arrives within a short window (default
 * SS_BATCH_DEFAULT_WINDOW_MS after the first waiting request, or sooner
 * when max_jobs are waiting) and runs each kind as ONE kernel call over
 * everything collected: all the dimensions of all the utterances in one
 * MLPG launch (grouped by identical windows), all the phrases in one
 * excitation launch and one MLSA launch. Results land in each caller's own
 * buffers (the problems/jobs point there), so routing back is just waking
 * the callers.
 *
 * Works with any ss_kernel_ops (kernels_select.h): on CUDA this is what
 * makes the GPU worth using (one launch of thousands of threads instead of
 * thousands of tiny launches); on the CPU kernels the result is bit-identical
 * to calling them one request at a time (each problem/job is independent),
 * which is what the unit test checks. A CPU node keeps calling the kernels
 * directly from its worker slots (a scheduler would only add the window);
 * the scheduler is for the GPU and for testing.
 *
 * Lanes (the GPU's workers): the scheduler runs `lanes` dispatcher threads
 * on the one queue. When the ops have lanes (CUDA), each dispatcher owns
 * one: its own CUDA stream, device memory pool and pinned host buffers
 * (kernels_select.h), so while one batch is copied and computed on one
 * stream the next batch gathers and launches on another, and no call
 * allocates once the pools have grown to the working size. Device memory is
 * bounded: each lane's pool by lane_memory_limit, the scheduler's by lanes x
 * that; a batch larger than a lane's bound runs in parts. Whichever idle
 * dispatcher wakes first takes the queue after the window.
 *
 * Validation: every request is checked on the caller's thread with the
 * shared checks (kernels/kernels_validate.h) before it is queued, so a bad
 * request is rejected with the CPU kernel's own message and never reaches
 * (or spoils) a launch. If a batched launch itself fails (device error),
 * every request in it gets that error. */
#ifndef SS_KERNELS_BATCH_SCHEDULER_H
#define SS_KERNELS_BATCH_SCHEDULER_H

#include "kernels/kernels_select.h"

#include <stddef.h>

#define SS_BATCH_DEFAULT_WINDOW_MS 2.0
#define SS_BATCH_DEFAULT_MAX_JOBS 4096

typedef struct ss_batch_scheduler ss_batch_scheduler;

#define SS_BATCH_MAX_LANES 16

typedef struct {
    double window_ms;          /* >= 0 (0: no waiting, still batches what is queued) */
    size_t max_jobs;           /* >= 1: a batch starts at once when this many wait */
    int lanes;                 /* 1..SS_BATCH_MAX_LANES dispatcher threads */
    size_t lane_memory_limit;  /* device bytes per lane (ops with lanes); 0 = unbounded */
} ss_batch_options;

typedef struct {
    size_t launches;  /* kernel calls made */
    size_t requests;  /* requests served */
    size_t jobs;      /* problems + jobs in those calls */
    size_t largest;   /* most requests in one kernel call */
    int lanes;        /* dispatcher threads */
    ss_kernel_lane_usage memory; /* summed over the lanes (zero without lanes) */
} ss_batch_stats;

/* Defaults: SS_BATCH_DEFAULT_WINDOW_MS, SS_BATCH_DEFAULT_MAX_JOBS, 1 lane,
 * unbounded. */
ss_batch_options ss_batch_default_options(void);

/* Starts the dispatchers (and makes their lanes when the ops have lanes).
 * NULL + err on failure (bad options, a lane that cannot be made). */
ss_batch_scheduler *ss_batch_scheduler_new(const ss_kernel_ops *ops, const ss_batch_options *o,
                                           char *err, size_t errlen);
/* Stops the dispatchers after the queued requests ran. NULL is fine. */
void ss_batch_scheduler_free(ss_batch_scheduler *s);

/* Same contract as the kernels.h function (no workspace: the scheduler owns
 * it). Blocks until done. 0, or -1 + err. */
int ss_batch_mlpg(ss_batch_scheduler *s, const ss_mlpg_windows *win, const ss_mlpg_problem *probs,
                  size_t nprobs, char *err, size_t errlen);
int ss_batch_excitation(ss_batch_scheduler *s, const ss_excitation_job *jobs, size_t njobs,
                        char *err, size_t errlen);
int ss_batch_mlsa(ss_batch_scheduler *s, const ss_mlsa_job *jobs, size_t njobs, char *err,
                  size_t errlen);

void ss_batch_scheduler_stats(ss_batch_scheduler *s, ss_batch_stats *out);

#endif
