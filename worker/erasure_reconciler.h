/* The erasure reconciler (API.md §4 DELETE, §6 audit): finishes every
 * erasure the gateway could not finish at once.
 *
 * Every erasure_reconcile_interval_ms it walks ss:erasures:open (one row at
 * a time, so a tick never floods Redis or the nodes) and, for a row:
 *   * deletes the row's objects (reference, consent) from the object store
 *     and marks them deleted (a missing object counts as deleted);
 *   * for each node still pending: a node that no longer has the voice in
 *     its ss:node:{id}:evict set acknowledged it (a heartbeat without the
 *     voice) and is marked evicted; a node whose registry record expired
 *     (offline longer than offline_retention_s) is marked evicted too, since
 *     node caches live in memory and a node that returns starts empty; a
 *     node that is online gets EvictVoice directly, with a backoff per node
 *     (1 s doubling to erasure_retry_max_ms) while it keeps failing; an
 *     offline node waits for its heartbeat, whose answer carries the
 *     eviction.
 * The row completes (erasure_store.h) when the last node and the objects are
 * done. Nothing is kept between ticks but the backoff table, so a worker
 * restart, or several workers, only repeat idempotent steps.
 *
 * Disk work (object deletion) runs on the worker's loop thread: the worker
 * serves no clients, and a delete is one unlink and one fsync. */
#ifndef SS_WORKER_ERASURE_RECONCILER_H
#define SS_WORKER_ERASURE_RECONCILER_H

#include "common/grpc_client.h"
#include "common/object_store.h"
#include "common/redis_async.h"
#include "common/settings.h"

#include <event2/event.h>

typedef struct erasure_reconciler erasure_reconciler;

/* authorization: "Bearer <node_call_token>". NULL + err on failure. */
erasure_reconciler *erasure_reconciler_start(struct event_base *base, ss_redis *redis, const ss_settings *settings,
                                             ss_grpc_evclient *grpc, ss_object_store *objects,
                                             const char *authorization, char *err, size_t errlen);
/* Stops the timer; calls in flight end through the gRPC client's shutdown. */
void erasure_reconciler_free(erasure_reconciler *rc);

#endif
