/* The HTS speech engine (node/engine/) behind the node's engine interface
 * (node/node_engine.h): text -> front end -> labels -> ss_synthesize,
 * sentence by sentence, phrase by phrase (stream mode), chunks converted to
 * s16 and handed to the node's sink as they are vocoded. */
#ifndef SS_NODE_HTS_NODE_ENGINE_H
#define SS_NODE_HTS_NODE_ENGINE_H

#include "node/node_engine.h"

#include <stddef.h>

/* The engine id ListEngines and heartbeats report (issue 4: the English HTS
 * voice of ScaiSpeak); SynthesizeRequest.engine_id names it or is empty. */
#define SS_HTS_NODE_ENGINE_ID "scaispeak-hts-en"

/* Loads the .htsvoice at voice_path and the text front end. NULL + err. */
ss_node_engine *ss_hts_node_engine_new(const char *voice_path, const char *kernels, char *err,
                                       size_t errlen);

/* Where this engine's syntheses run their kernel work from now on (copied;
 * the ops and scheduler it names are borrowed and must outlive e). NULL or
 * never called: the CPU kernels, called directly. Call before the first
 * synthesis. */
void ss_hts_node_engine_use_kernels(ss_node_engine *e, const ss_kernel_route *kernels);

#endif
