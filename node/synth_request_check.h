/* The node's checks of a decoded SynthesizeRequest that need no engine: the
 * first thing done with the bytes a gateway sends (after protobuf-c's
 * unpack), so a bad request is INVALID_ARGUMENT with a message naming the
 * field before it takes a slot or reaches the engine.
 *
 * protobuf-c checks the wire format but not the UTF-8 of `string` fields,
 * so the strings the node reads (text, engine and voice ids, the design
 * prompt) are checked here; the request id is taken or replaced by
 * tts_service.c's resolve_request_id. Pure: no state, any thread; fuzzed by
 * tests/fuzz/fuzz_synth_request.c. */
#ifndef SS_NODE_SYNTH_REQUEST_CHECK_H
#define SS_NODE_SYNTH_REQUEST_CHECK_H

#include "proto/tts_node.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* true when r's fields are fine; else false and msg says which field and why. */
bool ss_synth_request_check(const Scaiinfer__Tts__V1__SynthesizeRequest *r, char *msg, size_t msglen);

#endif
