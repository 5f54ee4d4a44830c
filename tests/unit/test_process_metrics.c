/* Unit tests for common/process_metrics: the /proc parsers and the series a
 * scrape sees after a refresh. */
#include "common/metrics.h"
#include "common/process_metrics.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(process_metrics, starttime_survives_a_command_name_with_spaces_and_parens)
{
    const char *line = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 "
                       "1 0 987654 123456 789 18446744073709551615";
    cr_assert_eq(ss_proc_stat_starttime(line), 987654);
    cr_assert_eq(ss_proc_stat_starttime("1234 (x) S 1 2"), -1, "truncated line");
    cr_assert_eq(ss_proc_stat_starttime("no parens"), -1);
}

Test(process_metrics, btime_from_proc_stat)
{
    cr_assert_eq(ss_proc_stat_btime("cpu  1 2 3\nintr 5\nbtime 1733400000\nprocesses 9\n"),
                 1733400000);
    cr_assert_eq(ss_proc_stat_btime("cpu 1\n"), -1);
}

Test(process_metrics, refresh_fills_the_standard_series)
{
    cr_assert_eq(ss_process_metrics_refresh(), 0);
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(ss_metrics_render(&text, &len), 0);
    cr_assert(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
    cr_assert(strstr(text, "# TYPE process_resident_memory_bytes gauge\n"));
    cr_assert(strstr(text, "# TYPE process_open_fds gauge\n"));
    cr_assert(strstr(text, "# TYPE process_start_time_seconds gauge\n"));
    char want[160];
    snprintf(want, sizeof want, "scaispeak_build_info{version=\"%s\",commit=\"%s\"} 1\n", SS_VERSION,
             ss_build_commit());
    cr_assert(strstr(text, want), "%s", text);
    cr_assert(strlen(ss_build_commit()) > 0);
    free(text);
}
