/* Which answers get an access-log line (setting `access_log`).
 *
 *   all     every answer (the default; one info line per request, about
 *           180 bytes: README "Logs" has the measured cost);
 *   errors  4xx and 5xx answers, and answers slower than access_log_slow_ms;
 *   off     no access lines, but 5xx answers are always logged.
 *
 * The line is at info, at warn for 5xx (so log_level=warn keeps them too).
 * Errors a handler logs itself (warn/error lines with the request id) do not
 * depend on this setting. Pure functions, in common/ because the
 * configuration checks the name at load (config.c) and the gateway applies
 * it (http_server.c; the mode lives in gw_server). */
#ifndef SS_COMMON_ACCESS_LOG_H
#define SS_COMMON_ACCESS_LOG_H

#include <stdbool.h>

typedef enum { SS_ACCESS_LOG_ALL = 0, SS_ACCESS_LOG_ERRORS, SS_ACCESS_LOG_OFF } ss_access_log_mode;

/* "all" | "errors" | "off" -> *mode; 0, or -1 for anything else. */
int ss_access_log_parse(const char *text, ss_access_log_mode *mode);

/* Whether an answer with this status, taking `secs`, gets its line;
 * slow_ms <= 0 means no request counts as slow. */
bool ss_access_log_wanted(ss_access_log_mode mode, int status, double secs, long slow_ms);

#endif
