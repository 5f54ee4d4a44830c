/* Prometheus metrics registry (see metrics.h).
 *
 * Series live in one array guarded by one mutex, in creation order; render
 * groups them by name so HELP/TYPE lines appear once per family. Series are
 * never freed: the set is bounded by the code's call sites and label values
 * (routes, codes), all of which are small closed sets. */
#include "common/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM } metric_kind;

#define MAX_BUCKETS 24
#define MAX_SERIES 2048

struct ss_metric {
    metric_kind kind;
    char name[96];
    char help[160];
    char labels[192];
    double value;
    double sum;
    unsigned long long count;
    size_t nbuckets;
    double bounds[MAX_BUCKETS];
    unsigned long long bucket_counts[MAX_BUCKETS];
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static ss_metric *g_series[MAX_SERIES];
static size_t g_nseries;

static const double DEFAULT_BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static ss_metric *get_or_create(metric_kind kind, const char *name, const char *help,
                                const char *labels, const double *buckets, size_t nb)
{
    if (!labels)
        labels = "";
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_nseries; i++) {
        ss_metric *m = g_series[i];
        if (strcmp(m->name, name) == 0 && strcmp(m->labels, labels) == 0) {
            pthread_mutex_unlock(&g_lock);
            return m;
        }
    }
    ss_metric *m = NULL;
    if (g_nseries < MAX_SERIES && (m = calloc(1, sizeof *m)) != NULL) {
        m->kind = kind;
        snprintf(m->name, sizeof m->name, "%s", name);
        snprintf(m->help, sizeof m->help, "%s", help ? help : "");
        snprintf(m->labels, sizeof m->labels, "%s", labels);
        if (kind == M_HISTOGRAM) {
            if (!buckets || nb == 0) {
                buckets = DEFAULT_BUCKETS;
                nb = sizeof DEFAULT_BUCKETS / sizeof DEFAULT_BUCKETS[0];
            }
            m->nbuckets = nb < MAX_BUCKETS ? nb : MAX_BUCKETS;
            memcpy(m->bounds, buckets, m->nbuckets * sizeof(double));
        }
        g_series[g_nseries++] = m;
    }
    pthread_mutex_unlock(&g_lock);
    return m; /* NULL only when the registry is full or memory ran out: updates then no-op */
}

ss_metric *ss_metrics_counter(const char *name, const char *help, const char *labels)
{
    return get_or_create(M_COUNTER, name, help, labels, NULL, 0);
}

ss_metric *ss_metrics_gauge(const char *name, const char *help, const char *labels)
{
    return get_or_create(M_GAUGE, name, help, labels, NULL, 0);
}

ss_metric *ss_metrics_histogram(const char *name, const char *help, const char *labels,
                                const double *buckets, size_t nbuckets)
{
    return get_or_create(M_HISTOGRAM, name, help, labels, buckets, nbuckets);
}

void ss_metric_add(ss_metric *m, double v)
{
    if (!m)
        return;
    pthread_mutex_lock(&g_lock);
    m->value += v;
    pthread_mutex_unlock(&g_lock);
}

void ss_metric_set(ss_metric *m, double v)
{
    if (!m)
        return;
    pthread_mutex_lock(&g_lock);
    m->value = v;
    pthread_mutex_unlock(&g_lock);
}

void ss_metric_observe(ss_metric *m, double v)
{
    if (!m)
        return;
    pthread_mutex_lock(&g_lock);
    m->sum += v;
    m->count++;
    for (size_t i = 0; i < m->nbuckets; i++)
        if (v <= m->bounds[i])
            m->bucket_counts[i]++;
    pthread_mutex_unlock(&g_lock);
}

void ss_metrics_counter_add(const char *name, const char *help, const char *labels, double v)
{
    ss_metric_add(ss_metrics_counter(name, help, labels), v);
}

static void render_labels(FILE *f, const char *labels, const char *extra)
{
    if (!*labels && !extra)
        return;
    fputc('{', f);
    fputs(labels, f);
    if (extra)
        fprintf(f, "%s%s", *labels ? "," : "", extra);
    fputc('}', f);
}

int ss_metrics_render(char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return -1;
    static const char *tn[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&g_lock);
    char *done = calloc(g_nseries ? g_nseries : 1, 1);
    for (size_t i = 0; done && i < g_nseries; i++) {
        if (done[i])
            continue;
        ss_metric *first = g_series[i];
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", first->name, first->help, first->name,
                tn[first->kind]);
        for (size_t j = i; j < g_nseries; j++) {
            ss_metric *m = g_series[j];
            if (done[j] || strcmp(m->name, first->name) != 0)
                continue;
            done[j] = 1;
            if (m->kind != M_HISTOGRAM) {
                fputs(m->name, f);
                render_labels(f, m->labels, NULL);
                fprintf(f, " %.17g\n", m->value);
                continue;
            }
            for (size_t b = 0; b <= m->nbuckets; b++) {
                char le[48];
                if (b < m->nbuckets)
                    snprintf(le, sizeof le, "le=\"%g\"", m->bounds[b]);
                else
                    snprintf(le, sizeof le, "le=\"+Inf\"");
                fprintf(f, "%s_bucket", m->name);
                render_labels(f, m->labels, le);
                fprintf(f, " %llu\n", b < m->nbuckets ? m->bucket_counts[b] : m->count);
            }
            fprintf(f, "%s_sum", m->name);
            render_labels(f, m->labels, NULL);
            fprintf(f, " %.17g\n%s_count", m->sum, m->name);
            render_labels(f, m->labels, NULL);
            fprintf(f, " %llu\n", m->count);
        }
    }
    pthread_mutex_unlock(&g_lock);
    int ok = done != NULL;
    free(done);
    if (fclose(f) != 0 || !ok) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
