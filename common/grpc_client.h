/* gRPC C-core client helpers: channels, a blocking unary call, and a bridge
 * that runs calls on a libevent loop.
 *
 * Channels are insecure HTTP/2 with a short reconnect backoff (250 ms .. 2 s)
 * so a peer that comes back is found again quickly; calls are fail-fast (no
 * server -> UNAVAILABLE at once). Messages are raw bytes (protobuf-c packed by
 * the caller).
 *
 * The blocking call (ss_grpc_unary_call) has its own completion queue per call
 * and may be used from any thread.
 *
 * The libevent bridge (ss_grpc_evclient): one pump thread blocks in
 * grpc_completion_queue_next; it keeps a few received messages of each call
 * ahead of the caller, starting the next reception itself, and hands them
 * to the loop through a locked list and an eventfd. Every callback runs on
 * the loop thread and needs no locking. */
#ifndef SS_COMMON_GRPC_CLIENT_H
#define SS_COMMON_GRPC_CLIENT_H

#include "common/grpc_status.h"

#include <grpc/grpc.h>
#include <grpc/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct ss_grpc_channel ss_grpc_channel;

/* Optional per-call metadata; NULL values are skipped. */
typedef struct {
    const char *authorization; /* full value, e.g. "Bearer abc" */
    const char *request_id;    /* sent as x-request-id */
} ss_grpc_metadata;

/* target: "host:port". Calls grpc_init() (balanced by _free). */
ss_grpc_channel *ss_grpc_channel_new(const char *target, char *err, size_t errlen);
void ss_grpc_channel_free(ss_grpc_channel *ch);

/* Blocking unary call. timeout_ms > 0 is the deadline. On OK, *resp is
 * malloc'd (caller frees; may be NULL when the reply is empty, *resp_len 0).
 * Any other code: status_msg holds the server's or the transport's details. */
grpc_status_code ss_grpc_unary_call(ss_grpc_channel *ch, const char *method,
                                    const ss_grpc_metadata *md, int timeout_ms,
                                    const uint8_t *req, size_t req_len,
                                    uint8_t **resp, size_t *resp_len,
                                    char *status_msg, size_t msglen);

/* --- libevent bridge */

typedef struct ss_grpc_evclient ss_grpc_evclient;
typedef struct ss_grpc_evcall ss_grpc_evcall;

/* One message of the reply (unary: exactly one before OK). `msg` is valid
 * during the callback only. */
typedef void (*ss_grpc_on_message)(void *user, const uint8_t *msg, size_t len);
/* Called exactly once per call, last; the call handle is invalid afterwards. */
typedef void (*ss_grpc_on_status)(void *user, grpc_status_code code, const char *msg);

/* Starts the pump thread for `base`. NULL + err on failure. */
ss_grpc_evclient *ss_grpc_evclient_new(struct event_base *base, char *err, size_t errlen);

/* Cancels every live call, delivers their on_status (CANCELLED or whatever
 * they ended with) on the calling thread, which must be the loop thread or
 * the loop must not be running, then stops the pump. NULL is fine. */
void ss_grpc_evclient_free(ss_grpc_evclient *cl);

/* Starts a call on the loop thread. `streaming` false: unary (one reply
 * message); true: server streaming (on_message per message). The request
 * bytes are copied. The channel must outlive the call. NULL + err when the
 * call cannot be started (nothing will be called back then). */
ss_grpc_evcall *ss_grpc_evcall_start(ss_grpc_evclient *cl, ss_grpc_channel *ch,
                                     const char *method, const ss_grpc_metadata *md,
                                     int timeout_ms, const uint8_t *req, size_t req_len,
                                     bool streaming, ss_grpc_on_message on_message,
                                     ss_grpc_on_status on_status, void *user,
                                     char *err, size_t errlen);

/* Flow control (loop thread, before on_status): after pause no further
 * on_message is delivered and gRPC's flow-control window soon blocks the
 * server's writes; resume asks for the next message. While paused, on_status
 * is held back too (messages may still wait in the transport), until resume
 * or cancel. resume may deliver on_status from inside it when the call had
 * already ended. */
void ss_grpc_evcall_pause(ss_grpc_evcall *call);
void ss_grpc_evcall_resume(ss_grpc_evcall *call);

/* Cancels the call (loop thread, before its on_status). on_status follows
 * with CANCELLED, from the loop, never from inside this function. */
void ss_grpc_evcall_cancel(ss_grpc_evcall *call);

/* Number of live calls (started, on_status not yet delivered). */
size_t ss_grpc_evclient_live(const ss_grpc_evclient *cl);

#endif
