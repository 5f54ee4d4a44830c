/* Which answers get an access-log line (setting `access_log`).
 *
 *   all     every answer (the default; one info line per request, about
 *           100 bytes: README "Logs" has the measured cost);
 *   errors  4xx and 5xx answers, and answers slower than access_log_slow_ms;
 *   off     no access lines, but 5xx answers are always logged.
 *
 * The line is at info, at warn for 5xx (so log_level=warn keeps them too).
 * Errors a handler logs itself (warn/error lines with the request id) do not
 * depend on this setting. Pure functions; the mode lives in gw_server. */
#ifndef SS_GATEWAY_ACCESS_LOG_H
#define SS_GATEWAY_ACCESS_LOG_H

#include <stdbool.h>

typedef enum { GW_ACCESS_LOG_ALL = 0, GW_ACCESS_LOG_ERRORS, GW_ACCESS_LOG_OFF } gw_access_log_mode;

/* "all" | "errors" | "off" -> *mode; 0, or -1 for anything else. */
int gw_access_log_parse(const char *text, gw_access_log_mode *mode);

/* Whether an answer with this status, taking `secs`, gets its line;
 * slow_ms <= 0 means no request counts as slow. */
bool gw_access_log_wanted(gw_access_log_mode mode, int status, double secs, long slow_ms);

#endif
