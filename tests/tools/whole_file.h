/* Reading a whole file into memory, shared by the test tools that take a text
 * or a reference recording from disk (clone_node_synth, speak_first_chunk).
 * The bytes end with a NUL the length does not count, so a text can be used
 * as a string. Header-only: each tool is one program of its own (Makefile,
 * "Test tools"). */
#ifndef SS_TESTS_WHOLE_FILE_H
#define SS_TESTS_WHOLE_FILE_H

#include <stdio.h>
#include <stdlib.h>

/* The file's bytes (free them), *len their count; NULL when it cannot be
 * opened or read whole, or memory runs out. */
static inline char *whole_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *s = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (!s)
        return NULL;
    s[n] = '\0';
    *len = (size_t)n;
    return s;
}

#endif
