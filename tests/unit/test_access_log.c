/* Unit tests for common/access_log: the setting's names and which answers
 * get a line in each mode. */
#include "common/access_log.h"

#include <criterion/criterion.h>

Test(access_log, parses_the_three_names_only)
{
    ss_access_log_mode m = SS_ACCESS_LOG_OFF;
    cr_assert_eq(ss_access_log_parse("all", &m), 0);
    cr_assert_eq(m, SS_ACCESS_LOG_ALL);
    cr_assert_eq(ss_access_log_parse("errors", &m), 0);
    cr_assert_eq(m, SS_ACCESS_LOG_ERRORS);
    cr_assert_eq(ss_access_log_parse("off", &m), 0);
    cr_assert_eq(m, SS_ACCESS_LOG_OFF);
    cr_assert_eq(ss_access_log_parse("ALL", &m), -1);
    cr_assert_eq(ss_access_log_parse("", &m), -1);
    cr_assert_eq(ss_access_log_parse(NULL, &m), -1);
}

Test(access_log, all_logs_everything)
{
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_ALL, 200, 0.001, 1000));
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_ALL, 404, 0.001, 1000));
}

Test(access_log, errors_logs_4xx_5xx_and_slow_answers)
{
    cr_assert_not(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 200, 0.2, 1000));
    cr_assert_not(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 304, 0.2, 1000));
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 400, 0.001, 1000));
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 503, 0.001, 1000));
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 200, 1.0, 1000), "slow: at the bound");
    cr_assert_not(ss_access_log_wanted(SS_ACCESS_LOG_ERRORS, 200, 100.0, 0), "0: nothing is slow");
}

Test(access_log, off_still_logs_server_errors)
{
    cr_assert_not(ss_access_log_wanted(SS_ACCESS_LOG_OFF, 200, 5.0, 1000));
    cr_assert_not(ss_access_log_wanted(SS_ACCESS_LOG_OFF, 404, 0.001, 1000));
    cr_assert(ss_access_log_wanted(SS_ACCESS_LOG_OFF, 500, 0.001, 1000));
}
