/* flite feature paths ("R:SylStructure.parent.p.stress", "n.name", ...)
 * parsed once and kept, for the clustergen CART walks.
 *
 * flite's ffeature() parses its path string on every call (a strchr per
 * character, a strcmp per directive per token) and then finds the feature
 * function by name in the utterance's list of them (a strcmp per entry);
 * a clustergen sentence asks it hundreds of thousands of times, and that
 * string work was ~30 % of the sentence's CPU. A table of compiled paths,
 * one per distinct path string a tree asks for, gives the same values
 * without it: the directives as steps, the last token's feature function
 * found once per list of functions.
 *
 * Exactness: the steps and the lookup are flite 2.2's (src/hrg/
 * cst_ffeature.c): n, p, nn, pp, parent, daughter/daughter1, daughtern,
 * first, last, R:<relation>; a path that walks off the items gives the
 * string "0", as flite's does; a feature function of that name wins over
 * an item feature. A path with anything else in it (an unknown directive,
 * a relation move at its end, more than MAX_STEPS steps) is not compiled:
 * it goes to ffeature() itself, whatever that does.
 *
 * Mutable state: the table grows as paths are first seen, and a path's
 * function lookup is cached per list of functions. Every caller holds
 * ss_flite_lock (the clustergen prediction runs under it), which is what
 * serialises these writes. The lists of feature functions must not change
 * after a voice is loaded (nothing here registers any). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_FEATURE_PATH_H
#define SS_ENGINE_CLUSTERGEN_CG_FEATURE_PATH_H

#include <cst_item.h>
#include <cst_val.h>
#include <stddef.h>

typedef struct ss_cg_feature_paths ss_cg_feature_paths;

/* An empty table, or NULL when out of memory. */
ss_cg_feature_paths *ss_cg_feature_paths_new(void);
void ss_cg_feature_paths_free(ss_cg_feature_paths *t);

/* *value = ffeature(item, path), the same value (NULL where ffeature()
 * gives NULL). path is looked up by its address, so it must be a string
 * that lives as long as the table and never changes (a tree's feat_table
 * entry, which lives in the voice's library; never a buffer); it is
 * compiled the first time. 0, or -1 with "out of memory" in err (the
 * first sight of a path allocates; ffeature() itself does not). */
int ss_cg_feature(ss_cg_feature_paths *t, const cst_item *item, const char *path, const cst_val **value,
                  char *err, size_t errlen);

#endif
