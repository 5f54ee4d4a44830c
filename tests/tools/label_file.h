/* Test tools' reader of label files (festival's "start end label" lines or
 * bare labels), shared so the parity, stream and bench tools read the same
 * input the same way. Header-only: each tool is its own program. */
#ifndef SS_TESTS_LABEL_FILE_H
#define SS_TESTS_LABEL_FILE_H

#include "node/engine/acoustic/label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The non-empty lines of path. strip_times: keep only the label (libHTSEngine
 * would otherwise apply festival's times). NULL when the file cannot be read
 * or memory runs out; free with label_file_free. */
static inline char **label_file_read(const char *path, int strip_times, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **lines = NULL, *buf = NULL;
    size_t cap = 0, bl = 0;
    ssize_t r;
    int ok = 1;
    *n = 0;
    while (ok && (r = getline(&buf, &bl, f)) > 0) {
        while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
            buf[--r] = '\0';
        if (r == 0)
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(lines, ncap * sizeof *grown);
            if (!grown) {
                ok = 0;
                break;
            }
            lines = grown;
            cap = ncap;
        }
        size_t ll = 0;
        const char *name = strip_times ? ss_label_name(buf, &ll) : NULL;
        char *copy = name ? strndup(name, ll) : strdup(buf);
        if (!copy)
            ok = 0;
        else
            lines[(*n)++] = copy;
    }
    free(buf);
    fclose(f);
    if (!ok) {
        for (size_t i = 0; i < *n; i++)
            free(lines[i]);
        free(lines);
        *n = 0;
        return NULL;
    }
    return lines;
}

static inline void label_file_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
}

#endif
