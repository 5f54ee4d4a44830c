/* Unit tests for common/metrics: a counter and a histogram rendered in the
 * Prometheus text format. */
#include "common/metrics.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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
