/* A gRPC client over HTTP/2 cleartext (h2c) that runs entirely on one
 * libevent loop: nghttp2 sessions driven by the loop's own socket events,
 * no thread and no completion queue. The gateway's node calls
 * (gateway/node_call.c: Synthesize; EvictVoice of the erasure fan-out) use
 * it instead of the gRPC C-core bridge (common/grpc_client.h), at about
 * half the client CPU per call (docs/PERFORMANCE.md, 2026-12-07).
 *
 * Contract: the same as the libevent bridge of common/grpc_client.h, whose
 * callback types it reuses. Every function is for the loop thread; every
 * callback runs on it, from a libevent event, never from inside a function
 * of this file (but ss_h2_client_free, which delivers the live calls'
 * status on the calling thread). A callback must not free the client.
 *
 *   - on_message per reply message, then on_status exactly once and last;
 *     the call handle is invalid after it. A unary reply must carry exactly
 *     one message: 0 or 2+ end the call INTERNAL (as gRPC C-core).
 *   - pause: no further on_message; the received bytes are handed back to
 *     HTTP/2 flow control only as their messages are delivered, so the
 *     server's writes stop once the 64 KiB stream window is full. on_status
 *     is held while paused. resume delivers what waits (from the loop).
 *   - cancel: RST_STREAM CANCEL; on_status(CANCELLED) follows from the loop,
 *     also for a paused call whose status had already arrived.
 *   - timeout_ms > 0: grpc-timeout is sent and a timer resets the stream
 *     at the deadline -> DEADLINE_EXCEEDED.
 *   - NULL + err when a call cannot start (bad target, out of memory): no
 *     callback then. Transport failures (no server, a name that does not
 *     resolve, connection lost, GOAWAY for the stream: REFUSED_STREAM) end
 *     the call with UNAVAILABLE through on_status.
 *   - the reply: :status other than 200 -> the HTTP-to-gRPC mapping;
 *     content-type not application/grpc[+...|;...] -> UNKNOWN (a
 *     trailers-only reply, grpc-status in the one HEADERS frame, is read as
 *     such); no grpc-status -> INTERNAL.
 *
 * Connections: one per target ("host:port"), opened on first use,
 * non-blocking. The host is a numeric address ("127.0.0.1:50051",
 * "[::1]:50051") or a DNS name ("node-1:50051", "localhost:50051"),
 * resolved on the loop by evdns (/etc/hosts first, then the resolv.conf
 * name servers, read once when the client is made, or the one name server
 * of ss_h2_client_set_resolver); the addresses are
 * tried in order until one connects. A call started while the connection
 * resolves or connects goes out once connected. Calls beyond the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS wait in nghttp2's queue (they are not
 * failed) and go out as streams end. The connection window is raised to
 * 1 MiB so one paused stream cannot starve the others; stream windows stay
 * 64 KiB. A connection that failed, closed, got GOAWAY or was retired
 * (ss_h2_client_retire_connection) takes no new calls (the next call opens a new one);
 * its calls at or below GOAWAY's last-stream-id go on to their end.
 *
 * Dead peers: no HTTP/2 PING. The node's gRPC C-core server counts a PING
 * from a client while it sends nothing (a paused call's stalled stream) as
 * a strike and answers GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") after
 * two within 5 minutes, so a PING keepalive short enough to matter would
 * tear down healthy connections. Instead every socket has TCP keepalive
 * (SS_H2_TCP_KEEPIDLE_S idle, then SS_H2_TCP_KEEPCNT probes
 * SS_H2_TCP_KEEPINTVL_S apart: a silent peer is found in about 35 s) and
 * TCP_USER_TIMEOUT (sent data unacknowledged for that long breaks the
 * connection), and every node call has its deadline (timeout_ms). A
 * vanished node's calls end UNAVAILABLE (or DEADLINE_EXCEEDED, whichever
 * comes first), and its connection is replaced on the next call.
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

#define SS_H2_TCP_KEEPIDLE_S 20
#define SS_H2_TCP_KEEPINTVL_S 5
#define SS_H2_TCP_KEEPCNT 3
#define SS_H2_TCP_USER_TIMEOUT_MS 30000

/* max_message: the largest reply message accepted (0: 4 MiB); a larger one
 * ends its call with RESOURCE_EXHAUSTED. NULL + err on failure. */
ss_h2_client *ss_h2_client_new(struct event_base *base, size_t max_message, char *err, size_t errlen);

/* The names of targets are asked of `nameserver` ("ip", "ip:port" or
 * "[ipv6]:port", UDP) alone instead of resolv.conf's name servers
 * (/etc/hosts still comes first): a gateway whose node names only one
 * resolver knows, and tests. Before the first call. 0, or -1 + err (the
 * client then has no name server: free it). */
int ss_h2_client_set_resolver(ss_h2_client *cl, const char *nameserver, char *err, size_t errlen);

/* Cancels every live call and delivers its on_status (CANCELLED, or the
 * status it had already ended with) on the calling thread, which must be
 * the loop thread or the loop must not be running; then closes the
 * connections, cancelling their DNS lookups in flight. evdns answers a
 * cancelled lookup later, from the loop: the resolver is freed after that
 * answer (run the loop once more before freeing the event base, or it
 * stays allocated, as libevent's own record of the lookup does). NULL is
 * fine. */
void ss_h2_client_free(ss_h2_client *cl);

/* Starts a call: target "ip:port", "[ipv6]:port" or "name:port", method "/pkg.Service/Method",
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

/* The id of the connection the call went out on (or waits on), unique
 * within the client and never reused; read it before on_status, after
 * which the handle is invalid. */
uint64_t ss_h2_call_connection(const ss_h2_call *call);

/* Connection `id` takes no new call: the next call to its target opens a
 * new connection (or takes one opened since); calls already on it go on,
 * and it closes once they have ended. An id already retired, closed or
 * unknown: nothing happens, so that several calls that failed on one
 * connection, each retiring it, retire nothing else. (A node restarted on
 * the same address: the retry of gateway/node_call.h goes on a fresh
 * connection.) */
void ss_h2_client_retire_connection(ss_h2_client *cl, uint64_t id);

/* Whether the call went out on a connection that was already connected
 * when it started. false: the call opened the connection, or joined one
 * still resolving or connecting, so an UNAVAILABLE of that connection
 * (a name that does not resolve, a refused connect) is the target's
 * answer now, not a stale connection's: a new connection would only fail
 * again. true: the connection may have been stale (its peer gone since),
 * which a retry on a new connection can cure. Read it before on_status. */
bool ss_h2_call_reused_connection(const ss_h2_call *call);

/* Calls started whose on_status has not been delivered yet. */
size_t ss_h2_client_live(const ss_h2_client *cl);

#endif
