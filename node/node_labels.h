/* Node labels: the `node_labels` configuration value "k=v,k=v" parsed into
 * pairs for heartbeats (zone=eu-west,tier=gpu). Keys are non-empty, unique and
 * made of [A-Za-z0-9_.-/]; values may be empty and may not contain ',' or '='.
 * Blanks around keys and values are trimmed. An empty string is no labels. */
#ifndef SS_NODE_LABELS_H
#define SS_NODE_LABELS_H

#include <stddef.h>

typedef struct {
    char *key;
    char *value;
} ss_label;

typedef struct {
    ss_label *items;
    size_t count;
} ss_labels;

/* Parses `spec` into *out (zeroed first). 0, or -1 with a message naming the
 * offending entry; *out holds nothing on error. */
int ss_labels_parse(const char *spec, ss_labels *out, char *err, size_t errlen);
void ss_labels_free(ss_labels *labels);

#endif
