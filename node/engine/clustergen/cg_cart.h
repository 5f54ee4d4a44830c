/* A small interpreter for flite's CART node arrays (cst_cart, cst_cart.h),
 * the form in which a clustergen voice stores its duration, F0 and spectral
 * decision trees.
 *
 * A tree is a flat array of nodes; node 0 is the root, a question node's
 * "yes" child is the next node and its "no" child is no_node; a node whose
 * op is CST_CART_OP_LEAF holds the answer in val. A question names a feature
 * (feat_table[feat]) evaluated on the item with flite's generic feature
 * functions (ffeature, or the same through compiled paths), and compares it with val by op (is, in, <, >,
 * matches). Feature values are cached for the one walk, as a feature may be
 * asked at several depths. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_CART_H
#define SS_ENGINE_CLUSTERGEN_CG_CART_H

#include "node/engine/clustergen/cg_feature_path.h"

#include <cst_cart.h>
#include <cst_item.h>
#include <stddef.h>

/* The leaf value for item, or NULL with a message in err (malformed tree,
 * unknown op, out of memory). The value belongs to the tree. Features are
 * read through paths, the voice's compiled feature paths
 * (cg_feature_path.h; the same values as flite's ffeature(), without its
 * string work), or with ffeature() itself when paths is NULL. */
const cst_val *ss_cg_cart_eval(const cst_cart *tree, cst_item *item, ss_cg_feature_paths *paths, char *err,
                               size_t errlen);

#endif
