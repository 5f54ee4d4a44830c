/* Unit tests for common/: ids, configuration, metrics rendering. */
#include "common/config.h"
#include "common/ids.h"
#include "common/metrics.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(ids, request_id_shape)
{
    char id[64];
    cr_assert_eq(ss_id_new("req_", 20, id, sizeof id), 0);
    cr_assert_eq(strlen(id), 24);
    cr_assert(strncmp(id, "req_", 4) == 0);
    cr_assert(ss_request_id_acceptable(id));
    char other[64];
    ss_id_new("req_", 20, other, sizeof other);
    cr_assert_str_neq(id, other);
}

Test(ids, rejects_bad_incoming_ids)
{
    cr_assert_not(ss_request_id_acceptable(""));
    cr_assert_not(ss_request_id_acceptable("has space"));
    cr_assert_not(ss_request_id_acceptable("quote\"inside"));
    char longid[100];
    memset(longid, 'a', 99);
    longid[99] = 0;
    cr_assert_not(ss_request_id_acceptable(longid));
    cr_assert(ss_request_id_acceptable("abc-123_x.y:z"));
}

Test(ids, buffer_too_small)
{
    char id[8];
    cr_assert_eq(ss_id_new("req_", 20, id, sizeof id), -1);
}

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

Test(metrics, renders_counter_and_histogram)
{
    ss_metric *c = ss_metrics_counter("t_requests_total", "requests", "code=\"200\"");
    ss_metric_add(c, 2);
    cr_assert_eq(ss_metrics_counter("t_requests_total", "requests", "code=\"200\""), c);
    double b[] = {0.1, 1};
    ss_metric *h = ss_metrics_histogram("t_latency_seconds", "latency", "", b, 2);
    ss_metric_observe(h, 0.05);
    ss_metric_observe(h, 0.5);
    ss_metric_observe(h, 5);
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(ss_metrics_render(&out, &len), 0);
    cr_assert(strstr(out, "t_requests_total{code=\"200\"} 2\n") != NULL, "%s", out);
    cr_assert(strstr(out, "t_latency_seconds_bucket{le=\"0.1\"} 1\n") != NULL, "%s", out);
    cr_assert(strstr(out, "t_latency_seconds_bucket{le=\"1\"} 2\n") != NULL, "%s", out);
    cr_assert(strstr(out, "t_latency_seconds_bucket{le=\"+Inf\"} 3\n") != NULL, "%s", out);
    cr_assert(strstr(out, "t_latency_seconds_count 3\n") != NULL, "%s", out);
    free(out);
}
