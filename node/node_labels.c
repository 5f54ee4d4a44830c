/* Parser for "k=v,k=v" node labels (see labels.h). */
#include "node/node_labels.h"

#include "common/heartbeat_limits.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static bool key_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '/';
}

void ss_labels_free(ss_labels *labels)
{
    for (size_t i = 0; i < labels->count; i++) {
        free(labels->items[i].key);
        free(labels->items[i].value);
    }
    free(labels->items);
    labels->items = NULL;
    labels->count = 0;
}

/* The checks of one key=value (trimmed) against what heartbeats carry and
 * the labels already read: 0, or -1 + err. */
static int label_ok(const ss_labels *out, const char *k, size_t klen, const char *v, size_t vlen, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < klen; i++)
        if (!key_char_ok(k[i])) {
            snprintf(err, errlen, "node_labels: key '%.*s' has a character outside [A-Za-z0-9_.-/]", (int)klen, k);
            return -1;
        }
    if (klen > SS_HB_MAX_LABEL_KEY || vlen > SS_HB_MAX_LABEL_VALUE) {
        snprintf(err, errlen, "node_labels: key '%.*s': keys are at most %d characters, values at most %d",
                 (int)(klen > 64 ? 64 : klen), k, SS_HB_MAX_LABEL_KEY, SS_HB_MAX_LABEL_VALUE);
        return -1;
    }
    if (out->count >= SS_HB_MAX_LABELS) {
        snprintf(err, errlen, "node_labels: more than %d labels", SS_HB_MAX_LABELS);
        return -1;
    }
    if (memchr(v, '=', vlen)) {
        snprintf(err, errlen, "node_labels: value of '%.*s' contains '='", (int)klen, k);
        return -1;
    }
    for (size_t i = 0; i < out->count; i++)
        if (strlen(out->items[i].key) == klen && memcmp(out->items[i].key, k, klen) == 0) {
            snprintf(err, errlen, "node_labels: key '%.*s' appears twice", (int)klen, k);
            return -1;
        }
    return 0;
}

/* One non-empty entry "key=value" into out: 0, or -1 + err. */
static int parse_entry(const char *entry, size_t elen, ss_labels *out, char *err, size_t errlen)
{
    const char *eq = memchr(entry, '=', elen);
    if (!eq) {
        snprintf(err, errlen, "node_labels: '%.*s' is not key=value", (int)elen, entry);
        return -1;
    }
    const char *k = entry, *v = eq + 1;
    size_t klen = (size_t)(eq - entry), vlen = elen - klen - 1;
    trim(&k, &klen);
    trim(&v, &vlen);
    if (klen == 0) {
        snprintf(err, errlen, "node_labels: '%.*s' has an empty key", (int)elen, entry);
        return -1;
    }
    if (label_ok(out, k, klen, v, vlen, err, errlen) != 0)
        return -1;
    ss_label *ni = realloc(out->items, (out->count + 1) * sizeof *ni);
    if (!ni) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->items = ni;
    char *ks = strndup(k, klen), *vs = strndup(v, vlen);
    if (!ks || !vs) {
        free(ks);
        free(vs);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->items[out->count++] = (ss_label){ks, vs};
    return 0;
}

int ss_labels_parse(const char *spec, ss_labels *out, char *err, size_t errlen)
{
    out->items = NULL;
    out->count = 0;
    const char *p = spec ? spec : "";
    spec = p;
    const char *all = p;
    size_t alllen = strlen(p);
    trim(&all, &alllen);
    if (alllen == 0)
        return 0; /* no labels */
    for (;;) {
        const char *end = strchr(p, ',');
        const char *entry = p;
        size_t elen = end ? (size_t)(end - p) : strlen(p);
        trim(&entry, &elen);
        if (elen == 0) {
            snprintf(err, errlen, "node_labels: empty entry in '%s'", spec);
            ss_labels_free(out);
            return -1;
        }
        if (parse_entry(entry, elen, out, err, errlen) != 0) {
            ss_labels_free(out);
            return -1;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}
