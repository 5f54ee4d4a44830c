/* Unit tests for cli/cli_files.c: a whole file read with its length and a
 * NUL after it; empty files; files over the bound and missing files refused
 * with a message naming the file. */
#include "cli/cli_files.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *temp_file(const char *content, size_t len)
{
    char *path = strdup("/tmp/ss_cli_files_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

Test(cli_files, reads_whole_file_past_the_first_buffer)
{
    size_t n = 10000;
    char *content = malloc(n);
    for (size_t i = 0; i < n; i++)
        content[i] = (char)('a' + i % 26);
    char *path = temp_file(content, n), err[256];
    size_t len = 0;
    char *got = ss_cli_read_file(path, 1 << 20, &len, err, sizeof err);
    cr_assert_not_null(got, "%s", err);
    cr_expect_eq(len, n);
    cr_expect_eq(memcmp(got, content, n), 0);
    cr_expect_eq(got[n], '\0');
    free(got);
    free(content);
    unlink(path);
    free(path);
}

Test(cli_files, empty_file_is_empty_string)
{
    char *path = temp_file("", 0), err[256];
    size_t len = 99;
    char *got = ss_cli_read_file(path, 100, &len, err, sizeof err);
    cr_assert_not_null(got, "%s", err);
    cr_expect_eq(len, 0);
    cr_expect_str_eq(got, "");
    free(got);
    unlink(path);
    free(path);
}

Test(cli_files, over_the_bound_and_missing_are_refused)
{
    char big[9000];
    memset(big, 'x', sizeof big);
    char *path = temp_file(big, sizeof big), err[256];
    cr_expect_null(ss_cli_read_file(path, 8192, NULL, err, sizeof err));
    cr_expect(strstr(err, "larger than 8192 bytes") != NULL, "%s", err);
    unlink(path);
    cr_expect_null(ss_cli_read_file(path, 8192, NULL, err, sizeof err));
    cr_expect(strstr(err, "cannot open") != NULL && strstr(err, path) != NULL, "%s", err);
    free(path);
}
