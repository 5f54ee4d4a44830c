/* A completion-queue tag that says who handles it, so that one gRPC "next"
 * queue can carry the calls of several owners in one process.
 *
 * Why: every thread that waits for gRPC completions is also one of gRPC's
 * pollers (iomgr epoll1 in gRPC 1.51), and each completion handed from the
 * thread that read it to another waiting thread costs a futex wake-up. The
 * gateway's node-call bridge therefore puts its calls on the heartbeat
 * server's queue instead of its own queue and pump thread
 * (docs/PERFORMANCE.md, issue 12): the server thread that read the node's
 * answer finds the completion in its own queue and runs it.
 *
 * Contract: a tag put on a shared queue begins with this struct. `run` set:
 * whoever drains the queue calls run(tag, ok) at once on its thread, which
 * must be cheap and must not block (the bridge queues the completion for
 * its loop and may start the call's next reception, which gRPC does
 * without waiting). `run` NULL: the queue's owner handles the tag itself
 * (the server's own tags). */
#ifndef SS_COMMON_GRPC_QUEUE_TAG_H
#define SS_COMMON_GRPC_QUEUE_TAG_H

#include <stdbool.h>

typedef struct ss_grpc_queue_tag {
    void (*run)(struct ss_grpc_queue_tag *tag, bool ok);
} ss_grpc_queue_tag;

#endif
