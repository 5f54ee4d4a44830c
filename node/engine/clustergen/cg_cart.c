/* Walking a flite CART for one item (see cg_cart.h). */
#include "node/engine/clustergen/cg_cart.h"

#include <cst_features.h>
#include <cst_regex.h>
#include <cst_val.h>
#include <stdio.h>

/* One feature table entry per possible index (feat is an unsigned char). */
#define SS_CG_CART_MAX_FEATS 256

typedef int (*ss_cart_compare_fn)(const cst_val *feature, const cst_val *tree_val);

static int cmp_is(const cst_val *f, const cst_val *t) { return val_equal(f, t); }
static int cmp_in(const cst_val *f, const cst_val *t) { return val_member(f, t); }
static int cmp_less(const cst_val *f, const cst_val *t) { return val_less(f, t); }
static int cmp_greater(const cst_val *f, const cst_val *t) { return val_greater(f, t); }
static int cmp_matches(const cst_val *f, const cst_val *t)
{
    return cst_regex_match(cst_regex_table[val_int(t)], val_string(f));
}

/* Indexed by CST_CART_OP_*. */
static const ss_cart_compare_fn compare_by_op[] = {
    [CST_CART_OP_IS] = cmp_is,         [CST_CART_OP_IN] = cmp_in,
    [CST_CART_OP_LESS] = cmp_less,     [CST_CART_OP_GREATER] = cmp_greater,
    [CST_CART_OP_MATCHES] = cmp_matches,
};

const cst_val *ss_cg_cart_eval(const cst_cart *tree, cst_item *item, ss_cg_feature_paths *paths, char *err,
                               size_t errlen)
{
    /* The cache owns the values ffeature computes (flite's values are
     * reference counted; a features set releases them when deleted). */
    const cst_val *cached[SS_CG_CART_MAX_FEATS] = {0};
    cst_features *hold = new_features();
    const cst_val *answer = NULL;
    if (!hold) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int node = 0, failed = 0;
    for (int steps = 0; steps < 1 << 20; steps++) {
        const cst_cart_node *n = &tree->rule_table[node];
        if (n->op == CST_CART_OP_LEAF) {
            answer = n->val;
            break;
        }
        if (n->op >= sizeof compare_by_op / sizeof compare_by_op[0] || !compare_by_op[n->op]) {
            snprintf(err, errlen, "cart: unknown op %d at node %d", n->op, node);
            failed = 1;
            break;
        }
        if (!cached[n->feat]) {
            const char *name = tree->feat_table[n->feat];
            const cst_val *v = NULL;
            if (!paths)
                v = ffeature(item, name);
            else if (ss_cg_feature(paths, item, name, &v, err, errlen) != 0) {
                failed = 1;
                break;
            }
            feat_set(hold, name, v);
            cached[n->feat] = v;
        }
        node = compare_by_op[n->op](cached[n->feat], n->val) ? node + 1 : n->no_node;
    }
    if (!answer && !failed)
        snprintf(err, errlen, "cart: walk did not reach a leaf");
    delete_features(hold);
    return answer;
}
