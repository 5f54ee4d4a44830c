/* JSON-lines logging for every ScaiSpeak process.
 *
 * One line per event on stderr: {"ts","level","component","request_id"?,"msg"}.
 * Every line about a request passes its request id, so grepping the logs for
 * an id finds the whole story of that request across gateway and node.
 * Lines are written with a single write(2), so threads never interleave. */
#ifndef SS_COMMON_LOG_H
#define SS_COMMON_LOG_H

typedef enum { SS_LOG_DEBUG = 0, SS_LOG_INFO, SS_LOG_WARN, SS_LOG_ERROR } ss_log_level;

/* Sets the component name written on each line and the lowest level written.
 * Called once at start, before threads exist. */
void ss_log_init(const char *component, ss_log_level min_level);
/* Parses "debug" | "info" | "warn" | "error"; returns -1 for anything else. */
int ss_log_level_parse(const char *s);

void ss_log(ss_log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ss_debug(rid, ...) ss_log(SS_LOG_DEBUG, (rid), __VA_ARGS__)
#define ss_info(rid, ...)  ss_log(SS_LOG_INFO, (rid), __VA_ARGS__)
#define ss_warn(rid, ...)  ss_log(SS_LOG_WARN, (rid), __VA_ARGS__)
#define ss_error(rid, ...) ss_log(SS_LOG_ERROR, (rid), __VA_ARGS__)

#endif
