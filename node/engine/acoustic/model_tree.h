/* Decision trees of an HTS model (one tree file of a .htsvoice).
 *
 * A tree file is text: "QS name { "glob", ... }" question definitions, then
 * one or more trees, each "{heads}[state]" followed by either a braced list
 * of nodes "index question no-child yes-child" (a child is another node's
 * index, 0 or negative, or a quoted leaf name "xxx_N" whose trailing number N
 * is the 1-based PDF index) or a single quoted leaf. Questions are compiled
 * (question_match.h) and resolved to array indices while parsing, so a search
 * is a walk over a flat node array with no string lookups. A parsed set is
 * immutable and safe to search from many threads. */
#ifndef SS_ENGINE_MODEL_TREE_H
#define SS_ENGINE_MODEL_TREE_H

#include "node/engine/acoustic/question_match.h"

#include <stddef.h>

typedef struct {
    int question;   /* index into the set's questions */
    int no, yes;    /* >= 0: node position; < 0: leaf, PDF index = -child */
} ss_tree_node;

typedef struct {
    int state;              /* HMM state the tree serves (2..N+1) */
    ss_pattern *heads;      /* label patterns selecting the tree ("*" = all) */
    size_t nheads;
    ss_tree_node *nodes;    /* node 0 is the root; empty when leaf_pdf > 0 */
    size_t nnodes;
    int leaf_pdf;           /* > 0 for a tree that is a single leaf */
} ss_tree;

typedef struct {
    ss_question *questions;
    size_t nquestions;
    ss_tree *trees;
    size_t ntrees;
    unsigned field_runs;    /* bit k: some question or head has a field pattern of
                             * k runs (label_tokens.h); set by ss_tree_set_index_fields */
} ss_tree_set;

/* Parses text[0..len). 0 ok; -1 with a message (what and where) in err. */
int ss_tree_set_parse(const char *text, size_t len, ss_tree_set *out, char *err, size_t errlen);
void ss_tree_set_free(ss_tree_set *ts);

/* Classifies every pattern of ts (ss_pattern_index_field) and sets
 * ts->field_runs: done by ss_tree_set_parse; a set built otherwise (a
 * prepared voice's) calls it once before it is searched. */
void ss_tree_set_index_fields(ss_tree_set *ts);

/* Finds the tree for (state, label) as HTS does (first tree in file order
 * whose state matches and one of whose heads matches; trees are numbered
 * from 0) and walks it. Returns 0 and sets *tree_index and *pdf_index
 * (1-based) or -1 when no tree serves the state. memo (may be NULL)
 * remembers answers in memo[nquestions] (0 = not asked yet, 1 = no,
 * 2 = yes). The caller zeroes memo for each new label; the state trees of
 * one label share most questions, so each is evaluated once per label. */
int ss_tree_set_search_memo(const ss_tree_set *ts, int state, const char *label, size_t label_len,
                            unsigned char *memo, size_t *tree_index, int *pdf_index);
/* Same, the patterns matched through tokens (ss_question_match_tokens),
 * which must index this label; for the answers to come from the index its
 * runs mask should include ts->field_runs. tokens may be NULL. */
int ss_tree_set_search_tokens(const ss_tree_set *ts, int state, const char *label, size_t label_len,
                              const ss_label_tokens *tokens, unsigned char *memo, size_t *tree_index,
                              int *pdf_index);

#endif
