/* A generic gRPC C-core server: one completion queue drained by N threads,
 * calls dispatched on their method path ("/package.Service/Method") to
 * handlers registered before start. Used by the node (TtsNode) and by the
 * gateway (HeartbeatService). Messages are raw bytes; the handlers pack and
 * unpack their protobuf-c types themselves.
 *
 * Unary handlers run synchronously on a server thread and return the status
 * (or, registered as blocking, on the server's one handler thread).
 * Streaming handlers receive a call object (ss_grpc_stream) and may return at
 * once, handing the call to a worker thread: ss_grpc_stream_write() may be
 * called from any thread (one write at a time per call; a second concurrent
 * writer waits for the first) and blocks until the message was handed to the
 * transport or the call died. Every stream must be ended with exactly one
 * ss_grpc_stream_finish(); the loop frees the call once that status was sent,
 * no batch is pending and the close-on-server op completed. Writing inline
 * from the handler blocks one server thread, so long streams belong on a
 * worker.
 *
 * A method with no handler is answered UNIMPLEMENTED. Request bytes that fail
 * to parse are the handler's business (INVALID_ARGUMENT by convention). */
#ifndef SS_COMMON_GRPC_SERVER_H
#define SS_COMMON_GRPC_SERVER_H

#include "common/grpc_status.h"

#include <grpc/grpc.h>
#include <grpc/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ss_grpc_server ss_grpc_server;
typedef struct ss_grpc_stream ss_grpc_stream;

/* What the handler knows about the call. Strings are NUL-terminated copies
 * owned by the call: for unary handlers valid during the handler, for streams
 * until ss_grpc_stream_finish(). */
typedef struct {
    const char *method;        /* "/scaiinfer.v1.HeartbeatService/Heartbeat" */
    const char *authorization; /* the `authorization` metadata value, or NULL */
    const char *request_id;    /* the `x-request-id` metadata value, or NULL */
    const char *peer;          /* "ipv4:127.0.0.1:53211" */
    int64_t deadline_unix_ms;  /* absolute wall-clock deadline; 0 = none */
} ss_grpc_call_info;

/* Unary handler: runs on a server thread. On OK it sets *resp (malloc'd, freed
 * by the loop; may be NULL with *resp_len 0 for an empty message). On any
 * other code it may write a status message into status_msg. */
typedef grpc_status_code (*ss_grpc_unary_fn)(void *user, const ss_grpc_call_info *info,
                                             const uint8_t *req, size_t req_len,
                                             uint8_t **resp, size_t *resp_len,
                                             char *status_msg, size_t msglen);

/* Server-streaming handler: runs on a server thread; `req` is valid only
 * during the call of the handler. The handler (or a thread it hands the call
 * to) must call ss_grpc_stream_finish(call, ...) exactly once. */
typedef void (*ss_grpc_stream_fn)(void *user, ss_grpc_stream *call, const ss_grpc_call_info *info,
                                  const uint8_t *req, size_t req_len);

/* Creates a server listening on listen_addr ("0.0.0.0:50061", "127.0.0.1:0").
 * Calls grpc_init() (balanced by _free). NULL + err when the port cannot be
 * bound. */
ss_grpc_server *ss_grpc_server_new(const char *listen_addr, char *err, size_t errlen);

/* The same, accepting request messages up to max_receive bytes (0: gRPC's
 * default, 4 MiB; larger ones end RESOURCE_EXHAUSTED before any handler
 * runs). */
ss_grpc_server *ss_grpc_server_new_sized(const char *listen_addr, size_t max_receive, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int ss_grpc_server_port(const ss_grpc_server *srv);

/* Requires `authorization: Bearer <token>` on every call but the open ones
 * (ss_grpc_server_add_unary_open; compared in
 * constant time); others are answered UNAUTHENTICATED before their request is
 * read or any handler runs. Only before start; the token is copied. 0, or -1
 * (started, empty token, out of memory). */
int ss_grpc_server_require_bearer(ss_grpc_server *srv, const char *token);

/* Registers handlers; only before start. `method` is copied. 0, or -1 when
 * the method is already registered or the server started. */
int ss_grpc_server_add_unary(ss_grpc_server *srv, const char *method, ss_grpc_unary_fn fn,
                             void *user);
int ss_grpc_server_add_stream(ss_grpc_server *srv, const char *method, ss_grpc_stream_fn fn,
                              void *user);
/* Like ss_grpc_server_add_unary, for a handler that may block (a
 * synchronous Redis write): it runs on the server's one handler thread
 * (ss-grpc-hdl, started only when such a method is registered), one call
 * at a time in arrival order, never on a completion-queue thread, whose
 * other calls (every heartbeat stream) must not wait behind a slow
 * handler. Same wire answer as unary. */
int ss_grpc_server_add_unary_blocking(ss_grpc_server *srv, const char *method,
                                     ss_grpc_unary_fn fn, void *user);
/* Like ss_grpc_server_add_unary, but the method is answered without the
 * bearer that ss_grpc_server_require_bearer() demands of every other call:
 * for grpc.health.v1.Health/Check, which load balancers and orchestrators
 * call without credentials and which reveals only SERVING / NOT_SERVING. */
int ss_grpc_server_add_unary_open(ss_grpc_server *srv, const char *method, ss_grpc_unary_fn fn,
                                  void *user);

/* Starts serving with nthreads (>= 1) threads draining the completion queue. */
int ss_grpc_server_start(ss_grpc_server *srv, int nthreads, char *err, size_t errlen);

/* Stops accepting calls, lets in-flight calls finish for up to grace_ms, then
 * cancels the rest (their writes return -1; handlers still must finish) and
 * waits until every call is finished and freed, then joins the threads.
 * Idempotent; also fine on a server never started. */
void ss_grpc_server_shutdown(ss_grpc_server *srv, int grace_ms);

/* Shuts down (grace 0) if still running, then frees. NULL is fine. */
void ss_grpc_server_free(ss_grpc_server *srv);

/* --- streaming calls (any thread) */

/* Sends one message; blocks until it is sent. 0, or -1 when the client
 * cancelled, the deadline passed, or the server is shutting the call down. */
int ss_grpc_stream_write(ss_grpc_stream *call, const uint8_t *msg, size_t len);
/* The same, with gRPC's GRPC_WRITE_BUFFER_HINT: the message may wait in the
 * call's write buffer and leave with the next write (or the status) instead
 * of on its own. It completes once buffered, so this returns as the plain
 * write does; the caller must follow it with a plain write or the status,
 * or the message waits until the buffer fills. For a small message that is
 * always followed at once (a header before its first audio chunk). */
int ss_grpc_stream_write_buffered(ss_grpc_stream *call, const uint8_t *msg, size_t len);

/* True once the client cancelled, the deadline passed or the call was
 * cancelled by shutdown. Cheap; meant to be polled between chunks. */
bool ss_grpc_stream_cancelled(const ss_grpc_stream *call);

/* Ends the call with a status (msg may be NULL). Waits for a write in flight.
 * The call object must not be used afterwards. */
void ss_grpc_stream_finish(ss_grpc_stream *call, grpc_status_code code, const char *msg);

#endif
