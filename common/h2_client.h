/* A gRPC client over HTTP/2 cleartext (h2c) that runs entirely on one
 * libevent loop: nghttp2 sessions driven by the loop's own socket events,
 * no thread and no completion queue. Not yet used by the gateway: it is
 * meant to replace the gRPC C-core bridge (common/grpc_client.h) for node
 * calls, at about half the client CPU per call
 * (tests/prototype/h2_node_calls/README.txt).
 *
 * Contract: the same as the libevent bridge of common/grpc_client.h, whose
 * callback types it reuses. Every function is for the loop thread; every
 * callback runs on it, from a libevent event, never from inside a function
 * of this file (but ss_h2_client_free, which delivers the live calls'
 * status on the calling thread). A callback must not free the client.
 *
 *   - on_message per reply message (unary: exactly one before OK), then
 *     on_status exactly once and last; the call handle is invalid after it.
 *   - pause: no further on_message; the received bytes are handed back to
 *     HTTP/2 flow control only as their messages are delivered, so the
 *     server's writes stop once the 64 KiB stream window is full. on_status
 *     is held while paused. resume delivers what waits (from the loop).
 *   - cancel: RST_STREAM CANCEL; on_status(CANCELLED) follows from the loop.
 *   - timeout_ms > 0: grpc-timeout is sent and a timer resets the stream
 *     at the deadline -> DEADLINE_EXCEEDED.
 *   - NULL + err when a call cannot start (bad target, out of memory): no
 *     callback then. Transport failures (no server, connection lost, GOAWAY
 *     for the stream) end the call with UNAVAILABLE through on_status.
 *
 * Connections: one per target ("host:port"), opened on first use,
 * non-blocking, TCP_NODELAY; a call started while it connects goes out once
 * connected. The connection window is raised to 1 MiB so one paused stream
 * cannot starve the others; stream windows stay 64 KiB. A connection that
 * failed, closed or got GOAWAY takes no new calls; the next call opens a new
 * one. Limitation: the host must be a numeric address, "127.0.0.1:50051" or
 * "[::1]:50051"; a hostname is refused with an error (a product version
 * would resolve it with evdns).
 */
#ifndef SS_COMMON_H2_CLIENT_H
#define SS_COMMON_H2_CLIENT_H

#include "common/grpc_client.h"

#include <grpc/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct ss_h2_client ss_h2_client;
typedef struct ss_h2_call ss_h2_call;

#define SS_H2_DEFAULT_MAX_MESSAGE (4u << 20)

/* max_message: the largest reply message accepted (0: 4 MiB); a larger one
 * ends its call with RESOURCE_EXHAUSTED. NULL + err on failure. */
ss_h2_client *ss_h2_client_new(struct event_base *base, size_t max_message, char *err, size_t errlen);

/* Cancels every live call and delivers its on_status (CANCELLED, or the
 * status it had already ended with) on the calling thread, which must be
 * the loop thread or the loop must not be running; then closes the
 * connections. NULL is fine. */
void ss_h2_client_free(ss_h2_client *cl);

/* Starts a call: target "ip:port" or "[ipv6]:port", method "/pkg.Service/Method",
 * md optional (authorization, x-request-id). The request bytes are copied.
 * streaming false: unary; true: server streaming. */
ss_h2_call *ss_h2_call_start(ss_h2_client *cl, const char *target, const char *method,
                             const ss_grpc_metadata *md, int timeout_ms, const uint8_t *req,
                             size_t req_len, bool streaming, ss_grpc_on_message on_message,
                             ss_grpc_on_status on_status, void *user, char *err, size_t errlen);

/* Loop thread, before the call's on_status (see above). */
void ss_h2_call_pause(ss_h2_call *call);
void ss_h2_call_resume(ss_h2_call *call);
void ss_h2_call_cancel(ss_h2_call *call);

/* Calls started whose on_status has not been delivered yet. */
size_t ss_h2_client_live(const ss_h2_client *cl);

#endif
