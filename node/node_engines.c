/* The list of engines a node serves (see node_engine.h). This is the one
 * place an engine implementation is plugged in: add its constructor here.
 * Today: the HTS engine when voice_path names a .htsvoice; no engine when
 * voice_path is empty (the node still registers with the gateways, answers
 * ListEngines with an empty list and Synthesize with FAILED_PRECONDITION
 * "no engine loaded"). Every engine gets the node's kernel route (the
 * selected kernel ops and, on CUDA, the node's batch scheduler). */
#include "node/node_engine.h"

#include "common/log.h"
#include "node/hts_node_engine.h"

#include <stdio.h>
#include <stdlib.h>

int ss_node_engines_load(const ss_settings *settings, const ss_kernel_route *kernels,
                         ss_node_engine ***out, size_t *n, char *err, size_t errlen)
{
    const char *kernels_name = kernels && kernels->ops ? kernels->ops->name : "cpu";
    *out = NULL;
    *n = 0;
    const char *voice_path = settings->voice_path;
    if (!voice_path[0]) {
        ss_info(NULL, "voice_path is empty: serving no engine");
        return 0;
    }
    ss_node_engine **list = calloc(1, sizeof *list);
    if (!list) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    list[0] = ss_hts_node_engine_new(voice_path, kernels_name, err, errlen);
    if (!list[0]) {
        free(list);
        return -1;
    }
    ss_hts_node_engine_use_kernels(list[0], kernels);
    ss_info(NULL, "engine %s (%s %s) loaded from %s, %u Hz, kernels %s%s", list[0]->info.engine_id,
            list[0]->info.kind, list[0]->info.version, voice_path, list[0]->info.sample_rate,
            kernels_name, kernels && kernels->scheduler ? " through the batch scheduler" : "");
    *out = list;
    *n = 1;
    return 0;
}

void ss_node_engines_free(ss_node_engine **engines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (engines[i] && engines[i]->destroy)
            engines[i]->destroy(engines[i]);
    free(engines);
}
