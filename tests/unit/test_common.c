/* Unit tests for common/config: defaults, file and environment, unknown keys
 * and bad types. */
#include "common/config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(config, defaults_env_and_file)
{
    char err[256];
    unsetenv("SCAISPEAK_HTTP_PORT");
    ss_config *c = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(ss_config_int(c, "http_port"), 8080);
    ss_config_free(c);

    char path[] = "/tmp/sscfgXXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nhttp_port = 9000\n  grpc_port=9001 # trailing\n");
    fclose(f);
    setenv("SCAISPEAK_GRPC_PORT", "9002", 1);
    c = ss_config_load(path, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(ss_config_int(c, "http_port"), 9000);
    cr_assert_eq(ss_config_int(c, "grpc_port"), 9002, "environment overrides the file");
    ss_config_free(c);
    unsetenv("SCAISPEAK_GRPC_PORT");
    unlink(path);
}

Test(config, rejects_unknown_keys_and_bad_types)
{
    char err[256];
    char path[] = "/tmp/sscfgXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "no_such_key = 1\n");
    fclose(f);
    cr_assert_null(ss_config_load(path, err, sizeof err));
    cr_assert(strstr(err, "no_such_key") != NULL, "%s", err);
    unlink(path);

    setenv("SCAISPEAK_HTTP_PORT", "eighty", 1);
    cr_assert_null(ss_config_load(NULL, err, sizeof err));
    cr_assert(strstr(err, "http_port") != NULL, "%s", err);
    unsetenv("SCAISPEAK_HTTP_PORT");
}
