/* The access-log filter (see access_log.h). */
#include "common/access_log.h"

#include <string.h>

int ss_access_log_parse(const char *text, ss_access_log_mode *mode)
{
    static const struct {
        const char *name;
        ss_access_log_mode mode;
    } names[] = {{"all", SS_ACCESS_LOG_ALL}, {"errors", SS_ACCESS_LOG_ERRORS}, {"off", SS_ACCESS_LOG_OFF}};
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *mode = names[i].mode;
            return 0;
        }
    }
    return -1;
}

bool ss_access_log_wanted(ss_access_log_mode mode, int status, double secs, long slow_ms)
{
    if (status >= 500 || mode == SS_ACCESS_LOG_ALL)
        return true;
    if (mode == SS_ACCESS_LOG_OFF)
        return false;
    return status >= 400 || (slow_ms > 0 && secs * 1000.0 >= (double)slow_ms);
}
