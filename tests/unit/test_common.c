/* Unit tests for common/: ids, metrics rendering (configuration: test_config.c). */
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
