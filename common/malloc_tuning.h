/* Heap settings for a long-running service; the node and the worker use
 * them (the gateway took 0-2 page faults per request in the same
 * measurements and keeps glibc's defaults).
 *
 * glibc adapts its mmap threshold to the largest block freed so far and
 * sets the heap's trim threshold to twice that. Which block that was
 * depends on the order of the requests a process happened to serve: a node
 * whose first request was "Hi." kept a threshold so low that every later
 * sentence's working set was handed back to the kernel when the request
 * ended (the heap trimmed) and faulted in again by the next one: ~260 page
 * faults and twice the CPU per one-sentence Synthesize (7-8 ms against
 * 3.5-4 ms), for as long as the process lived. The same node started with
 * a long text first never did. The worker, after a short first job, took
 * 60-94 faults per one-sentence job. docs/PERFORMANCE.md has the
 * measurements.
 *
 * ss_malloc_tune_service() fixes both thresholds: blocks up to
 * SS_MALLOC_MMAP_THRESHOLD come from the heap, and freed heap memory is
 * kept (not trimmed) up to SS_MALLOC_TRIM_THRESHOLD, so a service's
 * steady-state working set stays mapped whatever it served first. The
 * price is that a process keeps the memory of its busiest moment (up to
 * the trim threshold per arena) instead of returning it. */
#ifndef SS_MALLOC_TUNING_H
#define SS_MALLOC_TUNING_H

#include <stddef.h>

#define SS_MALLOC_MMAP_THRESHOLD (4 << 20)
#define SS_MALLOC_TRIM_THRESHOLD (64 << 20)

/* Sets both thresholds (mallopt), before the service starts its threads:
 * 0, or -1 with err saying which one glibc refused. */
int ss_malloc_tune_service(char *err, size_t errlen);

#endif
