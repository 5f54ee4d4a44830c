/* Evaluation of flat CART tables (see phrasing_cart.h). */
#include "node/engine/frontend/phrasing_cart.h"

#include <string.h>

const char *ss_cart_predict(const ss_cart_node *tree, int len,
                            const char *(*feat)(const char *name, void *ctx, char *buf, int buflen),
                            void *ctx)
{
    int i = 0;
    /* The tables are trees (every edge goes forward), so this ends within len steps. */
    for (int steps = 0; steps < len && i >= 0 && i < len; steps++) {
        const ss_cart_node *n = &tree[i];
        if (!n->feature) return n->value;
        char buf[32];
        const char *v = feat(n->feature, ctx, buf, (int)sizeof buf);
        i = strcmp(v, n->value) == 0 ? n->yes : n->no;
    }
    return "NONE";
}
