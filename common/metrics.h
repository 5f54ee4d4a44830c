/* Prometheus metrics: a process-wide registry of counters, gauges and
 * histograms, rendered in the text exposition format for GET /metrics.
 *
 * A series is one (name, labels) pair, created once and updated from any
 * thread (a mutex per registry; updates are a few instructions). Labels are a
 * preformatted string such as `route="/speak",code="200"` (may be ""). Getting
 * the same (name, labels) twice returns the same series, so call sites may
 * look series up on the fly (ss_metrics_counter_inc_labels) for dynamic labels.
 *
 * Global state, documented: the registry is process-wide, created on first use. */
#ifndef SS_COMMON_METRICS_H
#define SS_COMMON_METRICS_H

#include <stddef.h>

typedef struct ss_metric ss_metric;

ss_metric *ss_metrics_counter(const char *name, const char *help, const char *labels);
ss_metric *ss_metrics_gauge(const char *name, const char *help, const char *labels);
/* buckets: ascending upper bounds; +Inf is implicit. NULL/0: default latency
 * buckets in seconds (0.005 .. 10). */
ss_metric *ss_metrics_histogram(const char *name, const char *help, const char *labels,
                                const double *buckets, size_t nbuckets);

void ss_metric_add(ss_metric *m, double v);     /* counter or gauge */
void ss_metric_set(ss_metric *m, double v);     /* gauge */
void ss_metric_observe(ss_metric *m, double v); /* histogram */

/* Convenience for dynamic labels: look up (or create) and add. */
void ss_metrics_counter_add(const char *name, const char *help, const char *labels, double v);

/* Renders every series; the caller frees *out. Returns 0 or -1 (no memory). */
int ss_metrics_render(char **out, size_t *len);

#endif
