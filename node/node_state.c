/* Small accessors over ss_node (see node_state.h). */
#include "node/node_state.h"

#include "common/log.h"

#include <string.h>

int ss_node_in_flight(ss_node *node)
{
    if (!node->pool)
        return 0;
    int running = 0, waiting = 0;
    ss_work_pool_counts(node->pool, &running, &waiting);
    return running + waiting;
}

ss_node_engine *ss_node_find_engine(ss_node *node, const char *engine_id)
{
    if (node->nengines == 0)
        return NULL;
    if (!engine_id || !*engine_id)
        return node->engines[0];
    for (size_t i = 0; i < node->nengines; i++)
        if (strcmp(node->engines[i]->info.engine_id, engine_id) == 0)
            return node->engines[i];
    return NULL;
}

bool ss_node_set_draining(ss_node *node, const char *why)
{
    bool was = atomic_exchange(&node->draining, true);
    if (!was) {
        if (node->pool)
            ss_work_pool_close(node->pool);
        ss_info(NULL, "node %s draining (%s): new Synthesize calls are refused", node->node_id,
                why);
    }
    return !was;
}
