/* The TtsNode gRPC service (scaiinfer.tts.v1.TtsNode): Synthesize,
 * EvictVoice and ListEngines over an ss_node. Registers its handlers on a
 * generic ss_grpc_server and its metrics in the process registry. */
#ifndef SS_NODE_TTS_SERVICE_H
#define SS_NODE_TTS_SERVICE_H

#include "common/grpc_server.h"
#include "node/node_state.h"

#include <stddef.h>

#define SS_TTS_METHOD_SYNTHESIZE "/scaiinfer.tts.v1.TtsNode/Synthesize"
#define SS_TTS_METHOD_EVICT_VOICE "/scaiinfer.tts.v1.TtsNode/EvictVoice"
#define SS_TTS_METHOD_LIST_ENGINES "/scaiinfer.tts.v1.TtsNode/ListEngines"

/* Registers the three methods (before ss_grpc_server_start). The node must
 * outlive the server. 0, or -1 + err. */
int ss_tts_service_register(ss_grpc_server *srv, ss_node *node, char *err, size_t errlen);

#endif
