/* Reader for Edinburgh Speech Tools' dense binary n-grams (see est_ngram.h).
 * Follows speech_tools' load_ngram_cstr_bin and EST_Ngrammar's dense state
 * arithmetic, so the numbers are the ones festival computes. No global
 * state. */
#include "node/engine/frontend/est_ngram.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void free_names(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

void ss_est_ngram_free(ss_est_ngram *g)
{
    free_names(g->vocab, g->n_vocab);
    free_names(g->pred, g->n_pred);
    if (g->freq)
        munmap(g->freq, g->freq_bytes);
    free(g->state_total);
    free(g->pred_total);
    memset(g, 0, sizeof *g);
}

/* Splits the line [p, end) at spaces into names. -1 out of memory. */
static int read_names(const char *p, const char *end, char ***out, int *n)
{
    int cap = 0;
    *out = NULL;
    *n = 0;
    while (p < end) {
        while (p < end && *p == ' ') p++;
        const char *s = p;
        while (p < end && *p != ' ') p++;
        if (p == s) break;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(*out, (size_t)cap * sizeof *nv);
            if (!nv) return -1;
            *out = nv;
        }
        char *name = malloc((size_t)(p - s) + 1);
        if (!name) return -1;
        memcpy(name, s, (size_t)(p - s));
        name[p - s] = 0;
        (*out)[(*n)++] = name;
    }
    return 0;
}

static double be_double(const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = (u << 8) | b[i];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static unsigned char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "cannot read %s", path);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Expands the run-length coded doubles into g->freq. -1 when truncated. */
static int decode_freqs(ss_est_ngram *g, const unsigned char *d, size_t n_entries)
{
    size_t j = 0;
    double run = 0; /* pending repeat counter of entry j+1, as EST decrements it */
    int have_run = 0;
    size_t total = (size_t)g->n_states * (size_t)g->n_pred;
    for (size_t k = 0; k < total; k++) {
        if (j >= n_entries) return -1;
        double v = be_double(d + 8 * j);
        g->freq[k] = v;
        if (j + 1 >= n_entries) {
            j++;
            continue;
        }
        if (!have_run) {
            run = be_double(d + 8 * (j + 1));
            have_run = 1;
        }
        if (run < -1) run++;
        else if (run == -1) {
            j += 2;
            have_run = 0;
        } else {
            j++;
            have_run = 0;
        }
    }
    return 0;
}

int ss_est_ngram_load(ss_est_ngram *g, const char *path, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    size_t len = 0;
    unsigned char *buf = read_file(path, &len, err, errlen);
    if (!buf) return -1;
    const char *p = (const char *)buf, *end = p + len;
    const char *l1 = memchr(p, '\n', len);
    const char *l2 = l1 ? memchr(l1 + 1, '\n', (size_t)(end - l1 - 1)) : NULL;
    const char *l3 = l2 ? memchr(l2 + 1, '\n', (size_t)(end - l2 - 1)) : NULL;
    if (len < 12 || memcmp(p, "NgramBin_2 ", 11) != 0 || !l3) {
        free(buf);
        snprintf(err, errlen, "%s: not an EST binary n-gram", path);
        return -1;
    }
    g->order = atoi(p + 11);
    if (g->order < 1 || g->order > 8 || read_names(l1 + 1, l2, &g->vocab, &g->n_vocab) ||
        read_names(l2 + 1, l3, &g->pred, &g->n_pred))
        goto oom_or_bad;
    if (g->n_vocab < 1 || g->n_pred < 1) goto oom_or_bad;
    g->n_states = 1;
    for (int i = 0; i < g->order - 1; i++) g->n_states *= g->n_vocab;
    /* The dense table (430 KB for the WSJ trigram) is one anonymous mapping
     * populated in a single call: first-touch page faults, one per 4 KB,
     * were most of its load time (3.5 ms of CPU on this VM). */
    g->freq_bytes = (size_t)g->n_states * (size_t)g->n_pred * sizeof(double);
    g->freq = mmap(NULL, g->freq_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (g->freq == MAP_FAILED)
        g->freq = NULL;
    g->state_total = calloc((size_t)g->n_states, sizeof(double));
    g->pred_total = calloc((size_t)g->n_pred, sizeof(double));
    if (!g->freq || !g->state_total || !g->pred_total) goto oom_or_bad;
    const unsigned char *data = (const unsigned char *)l3 + 1;
    size_t n_entries = (size_t)((const unsigned char *)end - data) / 8;
    if (decode_freqs(g, data, n_entries)) {
        free(buf);
        ss_est_ngram_free(g);
        snprintf(err, errlen, "%s: frequency data truncated", path);
        return -1;
    }
    for (int s = 0; s < g->n_states; s++)
        for (int w = 0; w < g->n_pred; w++) {
            double f = g->freq[(size_t)s * (size_t)g->n_pred + (size_t)w];
            g->state_total[s] += f;
            g->pred_total[w] += f;
        }
    free(buf);
    return 0;
oom_or_bad:
    free(buf);
    int oom = g->order >= 1 && g->order <= 8;
    ss_est_ngram_free(g);
    if (oom) snprintf(err, errlen, "out of memory");
    else snprintf(err, errlen, "%s: bad n-gram order", path);
    return -1;
}

static int find_name(char *const *v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0) return i;
    return -1;
}

int ss_est_ngram_vocab(const ss_est_ngram *g, const char *name)
{
    return find_name(g->vocab, g->n_vocab, name);
}

int ss_est_ngram_pred(const ss_est_ngram *g, const char *name)
{
    return find_name(g->pred, g->n_pred, name);
}

int ss_est_ngram_state(const ss_est_ngram *g, const int *ctx)
{
    int s = 0;
    for (int i = 0; i < g->order - 1; i++) s = s * g->n_vocab + (ctx[i] < 0 ? 0 : ctx[i]);
    return s;
}

int ss_est_ngram_next(const ss_est_ngram *g, int state, int w)
{
    if (g->order == 1) return 0;
    int f = 1;
    for (int i = 0; i < g->order - 2; i++) f *= g->n_vocab;
    return (state % f) * g->n_vocab + w;
}

double ss_est_ngram_prob(const ss_est_ngram *g, int state, int w)
{
    double t = g->state_total[state];
    if (t == 0 || w < 0) return 0;
    return g->freq[(size_t)state * (size_t)g->n_pred + (size_t)w] / t;
}

double ss_est_ngram_reverse(const ss_est_ngram *g, int state, int w)
{
    if (w < 0 || g->pred_total[w] == 0) return 0;
    return g->freq[(size_t)state * (size_t)g->n_pred + (size_t)w] / g->pred_total[w];
}
