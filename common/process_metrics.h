/* The standard Prometheus process metrics and the build-info series, for
 * every process that serves /metrics (gateway, node):
 *
 *   process_cpu_seconds_total    counter  user + system CPU (getrusage)
 *   process_resident_memory_bytes gauge   RSS (/proc/self/statm)
 *   process_open_fds             gauge    entries of /proc/self/fd
 *   process_start_time_seconds   gauge    unix time the process started
 *                                         (/proc/self/stat starttime + btime)
 *   scaispeak_build_info{version,commit} 1
 *
 * The values are read when a scrape asks (ss_process_metrics_refresh, called
 * by the /metrics handlers just before ss_metrics_render), not on a timer.
 * The commit comes from the build (Makefile: `git rev-parse --short HEAD`,
 * "unknown" outside a git checkout). */
#ifndef SS_COMMON_PROCESS_METRICS_H
#define SS_COMMON_PROCESS_METRICS_H

#include <stddef.h>

#define SS_VERSION "0.1.0"

/* The commit this binary was built from ("unknown" when not known). */
const char *ss_build_commit(void);

/* Reads the process facts into the registry. 0, or -1 when /proc could not
 * be read (the series that could be read are still updated). */
int ss_process_metrics_refresh(void);

/* Pure parsers, exposed for the unit tests. */
/* The starttime field (22nd) of a /proc/<pid>/stat line, in clock ticks;
 * the command name in parentheses may hold spaces and ')'. -1 if malformed. */
long long ss_proc_stat_starttime(const char *stat_line);
/* The `btime` value of /proc/stat's text; -1 if absent. */
long long ss_proc_stat_btime(const char *proc_stat);

#endif
