/* Whole-file reads and writes for unit tests that damage files on purpose
 * (the voice readers' truncation and mutation tests). Header-only; a
 * failure is a test failure. */
#ifndef SS_TEST_FILE_BYTES_H
#define SS_TEST_FILE_BYTES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static inline char *file_bytes_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len ? *len : 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static inline void file_bytes_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

#endif
