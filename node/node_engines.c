/* The list of engines a node serves (see node_engine.h). This is the one
 * place an engine implementation is plugged in: add its constructor here.
 * Until the HTS engine (node/engine/) lands, a node serves no engine: it
 * still registers with gateways, answers ListEngines with an empty list and
 * Synthesize with FAILED_PRECONDITION "no engine loaded". */
#include "node/node_engine.h"

#include "common/log.h"

#include <stdlib.h>

int ss_node_engines_load(const ss_config *cfg, const char *kernels, ss_node_engine ***out,
                         size_t *n, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *out = NULL;
    *n = 0;
    const char *voice_path = ss_config_str(cfg, "voice_path");
    if (voice_path[0])
        ss_warn(NULL, "no engine implementation is built into this node yet; voice_path %s "
                "not loaded, serving no engine (kernels %s)", voice_path, kernels);
    else
        ss_info(NULL, "voice_path is empty: serving no engine");
    return 0;
}

void ss_node_engines_free(ss_node_engine **engines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (engines[i] && engines[i]->destroy)
            engines[i]->destroy(engines[i]);
    free(engines);
}
