/* One Synthesize call from the gateway to a node, on the gateway's loop.
 *
 * Built on the loop-native HTTP/2 gRPC client (common/h2_client.h): no
 * thread, no completion queue. One HTTP/2 connection per node address
 * (nodes are few; the address may be a DNS name, resolved on the loop, by
 * the node_resolver name server when that setting is set),
 * opened on first use and replaced when it fails, gets GOAWAY, or by the
 * restart retry below. The call hands the stream on as
 * it arrives: on_header once with the PCM rate, on_audio for every audio
 * chunk (the samples are valid during the callback only; nothing is kept
 * here), and reports once at the end (on_done): the status, whether any
 * audio arrived (a failure before the first audio byte may be retried on
 * another node) and the alignment, which is collected. Each message is
 * read against NODE.md's stream contract by node_answer.h: the first broken
 * rule cancels the call, which ends INTERNAL "the node's stream was
 * malformed: <rule>"; an alignment the gateway has no memory to keep ends
 * RESOURCE_EXHAUSTED "out of memory ...". Pause/resume give
 * back-pressure: a paused call delivers nothing and hands no received byte
 * back to HTTP/2 flow control, so the node's writes stop once the call's
 * 64 KiB stream window is full. Cancel stops it and still reports
 * (CANCELLED, also when the node's status had already arrived while
 * paused). A call that ends UNAVAILABLE before any byte of its answer
 * (other than a draining node's) on a connection that was already connected
 * when the call started (ss_h2_call_reused_connection) is sent once more on
 * a fresh connection: a node restarted on the same address leaves the old
 * process's connection lost or going away (GOAWAY: the streams above its
 * last-stream-id end UNAVAILABLE), and its first call would fail. Only that
 * connection is retired (by its id), so calls failing on it together share
 * one new connection. A call that opened its connection itself (or joined
 * one still resolving or connecting) is not retried: a name that does not
 * resolve or a refused connect ends it UNAVAILABLE at once, with the
 * resolver's or connect's message, after one resolution and one connect;
 * the caller may try another node.
 *
 * Cloned voices (NODE.md): the call names the voice's reference digest and,
 * usually, no bytes. A node that has not cached the voice answers
 * FAILED_PRECONDITION "reference_required" before any audio; when the
 * request gave the reference's object key, the call then reads that object
 * on an audio thread (gw_server.objects is blocking) and sends the same
 * request again to the same node, once, with the bytes — logged once with
 * the request id. This is the protocol, not a retry on another node: the
 * caller sees one call. A reference that cannot be read ends the call
 * FAILED_PRECONDITION "reference_unavailable: ..."; a second
 * reference_required is passed on as it came. */
#ifndef SS_GATEWAY_NODE_CALL_H
#define SS_GATEWAY_NODE_CALL_H

#include "gateway/gateway.h"

#include "common/grpc_client.h"
#include "common/h2_client.h"

#include <grpc/status.h>
#include <stdint.h>

typedef struct gw_node_call gw_node_call;

typedef struct {
    grpc_status_code code;
    const char *message;
    bool got_audio;
    uint32_t sample_rate;     /* 0 when no header came */
    json_t *words;            /* [{text,start_ms,end_ms}] (borrowed) */
    json_t *phonemes;         /* [{symbol,start_ms,end_ms}] (borrowed) */
} gw_node_result;

typedef struct {
    void (*on_header)(void *user, uint32_t sample_rate);
    void (*on_audio)(void *user, const int16_t *pcm, size_t samples);
    void (*on_done)(void *user, const gw_node_result *res); /* last; the call is gone after */
} gw_node_events;

typedef struct {
    const char *request_id;
    const char *engine_id;
    const char *text;
    const char *voice_id;
    const char *design_prompt; /* a designed voice's prompt (the node reads it), else NULL */
    const char *reference_sha256; /* a cloned voice's reference digest (hex), else NULL */
    const char *reference_key;    /* its object key: read and sent on reference_required; NULL: never */
    const uint8_t *reference_audio; /* bytes sent with the first try (intake's analysis), else NULL */
    size_t reference_audio_len;
    uint32_t sample_rate;   /* 0 = engine rate */
    float speed, pitch;
    bool want_timestamps;
    int timeout_ms;
    uint32_t chunk_ms;      /* largest audio message the node sends; 0 = the node's default */
} gw_node_request;

/* The message a node's cache miss ends with (FAILED_PRECONDITION). */
#define GW_NODE_REFERENCE_REQUIRED "reference_required"

/* NULL + err when the call cannot start (nothing is called back then). The
 * callbacks may cancel, pause or resume the call. */
gw_node_call *gw_node_call_start(gw_server *gw, const char *address, const gw_node_request *req,
                                 const gw_node_events *ev, void *user, char *err, size_t errlen);
/* on_done follows with CANCELLED (from the loop, never from inside). */
void gw_node_call_cancel(gw_node_call *c);
void gw_node_call_pause(gw_node_call *c);
void gw_node_call_resume(gw_node_call *c);

/* The HTTP/2 client and the node credential ("Bearer <node_call_token>"),
 * for other calls to nodes (the gateway's erasure fan-out, EvictVoice); NULL
 * after shutdown. */
ss_h2_client *gw_node_calls_h2(gw_server *gw);
const char *gw_node_calls_authorization(gw_server *gw);
/* The gRPC C-core libevent bridge, made by gw_node_calls_init only: the
 * worker's erasure reconciler (worker/) stays on the C-core client. NULL
 * after gw_node_calls_init_h2_only, and after shutdown. */
ss_grpc_evclient *gw_node_calls_client(gw_server *gw);

/* The gateway's busy wait queue (gateway/busy_wait.h); NULL after shutdown. */
struct busy_wait_queue *gw_node_busy_queue(gw_server *gw);

/* Process-wide setup and teardown. gw_node_calls_init: the HTTP/2 client
 * and the C-core bridge with its pump thread (worker/main_worker.c);
 * gw_node_calls_init_h2_only: the HTTP/2 client alone (main_gateway.c).
 * Shutdown ends every call still running (their on_done run inside it). */
int gw_node_calls_init(gw_server *gw, char *err, size_t errlen);
int gw_node_calls_init_h2_only(gw_server *gw, char *err, size_t errlen);
void gw_node_calls_shutdown(gw_server *gw);

#endif
