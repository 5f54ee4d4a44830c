/* See cli_files.h. */
#include "cli/cli_files.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ss_cli_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = 0, cap = 4096;
    char *b = malloc(cap);
    bool too_big = false;
    while (b) {
        n += fread(b + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break; /* end of file or an error: ferror below */
        if (n > max_bytes) {
            too_big = true;
            break;
        }
        char *nb = realloc(b, cap * 2);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    bool read_error = ferror(f);
    fclose(f);
    if (!b) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    if (too_big || n > max_bytes || read_error) {
        free(b);
        if (read_error)
            snprintf(err, errlen, "cannot read %s", path);
        else
            snprintf(err, errlen, "%s is larger than %zu bytes", path, max_bytes);
        return NULL;
    }
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}
