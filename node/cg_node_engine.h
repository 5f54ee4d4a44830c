/* flite's clustergen voices (node/engine/clustergen/: rms, awb, slt CG)
 * behind the node's engine interface (node/node_engine.h), one engine per
 * voice. Their engine ids are what SynthesizeRequest.engine_id names (the
 * gateway sends the voice record's engine): "rms" (US male), "awb"
 * (Scottish male) and "slt_cg" (US female; the HTS "scaispeak-hts-en" slt
 * stays the node's default engine). Which ones a node serves is the
 * cg_voices setting (node_engines.c). */
#ifndef SS_NODE_CG_NODE_ENGINE_H
#define SS_NODE_CG_NODE_ENGINE_H

#include "node/node_engine.h"

#include <stddef.h>

/* Loads the clustergen voice whose engine id is engine_id ("rms", "awb",
 * "slt_cg"). NULL + err for another id or when the voice's library cannot
 * be loaded. */
ss_node_engine *ss_cg_node_engine_new(const char *engine_id, char *err, size_t errlen);

#endif
