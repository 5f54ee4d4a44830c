/* One EvictVoice call to one node (NODE.md), asynchronous on a libevent
 * loop: the erasure fan-out in the gateway sends it over the gateway's
 * HTTP/2 client (ss_evict_call_start_h2: the node's connection that its
 * Synthesize calls use; a node that is down leaves no connection behind, it
 * is reopened only by the next call), the reconciler in the worker over
 * the gRPC C-core bridge (ss_evict_call_start).
 *
 * Over the bridge each call opens its own channel to the node and closes it
 * when the call ends: erasure is rare, and a node that is down must not
 * keep a cached channel reconnecting. The deadline bounds the whole call; `done` runs
 * exactly once on the loop thread, with ok (the node answered; was_cached
 * says whether it held the voice) or the gRPC code and message. */
#ifndef SS_COMMON_EVICT_CALL_H
#define SS_COMMON_EVICT_CALL_H

#include "common/grpc_client.h"
#include "common/h2_client.h"

#include <stdbool.h>

#define SS_EVICT_METHOD "/scaiinfer.tts.v1.TtsNode/EvictVoice"

typedef void (*ss_evict_done_fn)(void *user, bool ok, bool was_cached, int grpc_code, const char *message);

/* Starts the call. 0, or -1 + err (nothing is called back then).
 * authorization: "Bearer <node_call_token>". */
int ss_evict_call_start(ss_grpc_evclient *client, const char *address, const char *authorization,
                        const char *request_id, const char *voice_id, int timeout_ms, ss_evict_done_fn done,
                        void *user, char *err, size_t errlen);
/* The same over the loop-native HTTP/2 client. */
int ss_evict_call_start_h2(ss_h2_client *client, const char *address, const char *authorization,
                           const char *request_id, const char *voice_id, int timeout_ms, ss_evict_done_fn done,
                           void *user, char *err, size_t errlen);

#endif
