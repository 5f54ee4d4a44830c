/* .htsvoice reader; see htsvoice.h.
 *
 * Loading: read the whole file, split the header into KEY:VALUE lines (keys
 * may carry a stream name, "VECTOR_LENGTH[MCP]"), then build each model from
 * its byte ranges: trees with model_tree.c, PDF blocks checked to be exactly
 * 4 * ntrees + 4 * sum(npdf) * pdf_len bytes, windows parsed from their text
 * ("3 -0.5 0.0 0.5"). PDF floats are copied into one owned array (converted
 * from little-endian) so the lookup returns stable pointers. */
#include "node/engine/acoustic/htsvoice.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

typedef struct {
    char key[64];
    char *val;
} kv;

typedef struct {
    kv *items;
    size_t n;
} header;

static const char *hget(const header *h, const char *key)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->items[i].key, key) == 0)
            return h->items[i].val;
    return NULL;
}

static const char *hget_stream(const header *h, const char *key, const char *stream)
{
    char k[64];
    snprintf(k, sizeof k, "%s[%s]", key, stream);
    return hget(h, k);
}

static void header_free(header *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->items[i].val);
    free(h->items);
}

static int parse_header(const char *data, size_t len, header *h, size_t *data_off, char *err,
                        size_t errlen)
{
    const char *p = data, *end = data + len;
    size_t cap = 0;
    memset(h, 0, sizeof *h);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            snprintf(err, errlen, "htsvoice: header ends without [DATA] (truncated file?)");
            return -1;
        }
        size_t ll = (size_t)(nl - p);
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (ll == 6 && memcmp(p, "[DATA]", 6) == 0) {
            *data_off = (size_t)(nl + 1 - data);
            return 0;
        }
        if (ll > 0 && p[0] != '[') {
            const char *colon = memchr(p, ':', ll);
            if (!colon || (size_t)(colon - p) >= sizeof h->items[0].key) {
                snprintf(err, errlen, "htsvoice: bad header line at offset %zu", (size_t)(p - data));
                return -1;
            }
            if (h->n == cap) {
                size_t nc = cap ? cap * 2 : 32;
                kv *ni = realloc(h->items, nc * sizeof *ni);
                if (!ni) {
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
                h->items = ni;
                cap = nc;
            }
            kv *it = &h->items[h->n];
            size_t kl = (size_t)(colon - p);
            memcpy(it->key, p, kl);
            it->key[kl] = '\0';
            size_t vl = ll - kl - 1;
            it->val = malloc(vl + 1);
            if (!it->val) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            memcpy(it->val, colon + 1, vl);
            it->val[vl] = '\0';
            h->n++;
        }
        p = nl + 1;
    }
    snprintf(err, errlen, "htsvoice: no [DATA] section (truncated file?)");
    return -1;
}

static int get_int(const header *h, const char *key, const char *stream, int lo, int hi, int *out,
                   char *err, size_t errlen)
{
    const char *v = stream ? hget_stream(h, key, stream) : hget(h, key);
    char *endp;
    if (!v) {
        snprintf(err, errlen, "htsvoice: missing %s%s%s%s", key, stream ? "[" : "",
                 stream ? stream : "", stream ? "]" : "");
        return -1;
    }
    errno = 0;
    long x = strtol(v, &endp, 10);
    if (endp == v || *endp || errno || x < lo || x > hi) {
        snprintf(err, errlen, "htsvoice: %s%s%s%s = '%s' is not an integer in %d..%d", key,
                 stream ? "[" : "", stream ? stream : "", stream ? "]" : "", v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* "a-b" (inclusive, relative to the data blob) -> [off, off+len). */
static int parse_range(const char *s, size_t blob_len, size_t *off, size_t *len, const char *what,
                       char *err, size_t errlen)
{
    char *e1, *e2;
    errno = 0;
    unsigned long long a = strtoull(s, &e1, 10);
    if (e1 == s || *e1 != '-') {
        snprintf(err, errlen, "htsvoice: bad byte range '%s' for %s", s, what);
        return -1;
    }
    unsigned long long b = strtoull(e1 + 1, &e2, 10);
    if (e2 == e1 + 1 || (*e2 && *e2 != ',') || errno || b < a) {
        snprintf(err, errlen, "htsvoice: bad byte range '%s' for %s", s, what);
        return -1;
    }
    if (b >= blob_len) {
        snprintf(err, errlen, "htsvoice: %s range %llu-%llu beyond the end of the data (%zu bytes; truncated file?)",
                 what, a, b, blob_len);
        return -1;
    }
    *off = (size_t)a;
    *len = (size_t)(b - a + 1);
    return 0;
}

static float read_f32le(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int32_t read_i32le(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)u;
}

typedef struct {
    float *buf;
    size_t used, cap;
} float_pool;

/* The per-tree PDF counts at the head of a PDF block of plen bytes; their
 * sum into *total. 0, or -1 with err. */
static int read_pdf_counts(ss_voice_model *m, const unsigned char *pd, size_t plen, const char *what,
                           size_t *total, char *err, size_t errlen)
{
    size_t nt = m->trees.ntrees;
    if (plen < 4 * nt) {
        snprintf(err, errlen, "htsvoice: %s PDF block too short for %zu tree counts", what, nt);
        return -1;
    }
    m->npdf = calloc(nt, sizeof *m->npdf);
    m->pdf = calloc(nt, sizeof *m->pdf);
    if (!m->npdf || !m->pdf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *total = 0;
    for (size_t i = 0; i < nt; i++) {
        int32_t n = read_i32le(pd + 4 * i);
        if (n <= 0 || (size_t)n > plen / 4) {
            snprintf(err, errlen, "htsvoice: %s tree %zu has an invalid PDF count %d", what, i, (int)n);
            return -1;
        }
        m->npdf[i] = (size_t)n;
        *total += (size_t)n;
    }
    return 0;
}

/* Copies each tree's PDFs (little-endian floats from fp) into the pool,
 * all finite. 0, or -1 with err. */
static int copy_pdfs(ss_voice_model *m, const unsigned char *fp, const char *what, float_pool *pool,
                     char *err, size_t errlen)
{
    for (size_t i = 0; i < m->trees.ntrees; i++) {
        m->pdf[i] = pool->buf + pool->used;
        size_t cnt = m->npdf[i] * m->pdf_len;
        for (size_t k = 0; k < cnt; k++) {
            float f = read_f32le(fp + 4 * k);
            if (!isfinite(f)) {
                snprintf(err, errlen, "htsvoice: %s contains a non-finite value", what);
                return -1;
            }
            pool->buf[pool->used + k] = f;
        }
        fp += 4 * cnt;
        pool->used += cnt;
    }
    return 0;
}

/* Every leaf must name an existing PDF. 0, or -1 with err. */
static int check_leaves(const ss_voice_model *m, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < m->trees.ntrees; i++) {
        const ss_tree *t = &m->trees.trees[i];
        if (t->leaf_pdf > 0 && (size_t)t->leaf_pdf > m->npdf[i]) {
            snprintf(err, errlen, "htsvoice: %s tree %zu names PDF %d of %zu", what, i, t->leaf_pdf, m->npdf[i]);
            return -1;
        }
        for (size_t k = 0; k < t->nnodes; k++) {
            int c[2] = {t->nodes[k].no, t->nodes[k].yes};
            for (int q = 0; q < 2; q++)
                if (c[q] < 0 && (size_t)(-c[q]) > m->npdf[i]) {
                    snprintf(err, errlen, "htsvoice: %s tree %zu names PDF %d of %zu", what, i, -c[q],
                             m->npdf[i]);
                    return -1;
                }
        }
    }
    return 0;
}

/* Builds a model: trees from tree_range, PDFs from pdf_range with pdf_len
 * floats each. A model without a tree range (tree_range NULL) has one
 * implicit tree. */
static int load_model(const char *blob, size_t blob_len, const char *tree_range,
                      const char *pdf_range, size_t pdf_len, const char *what, float_pool *pool,
                      ss_voice_model *m, char *err, size_t errlen)
{
    size_t toff, tlen, poff, plen;
    char e2[256];
    memset(m, 0, sizeof *m);
    m->pdf_len = pdf_len;
    if (!tree_range || !pdf_range) {
        snprintf(err, errlen, "htsvoice: missing tree or PDF position for %s", what);
        return -1;
    }
    if (parse_range(tree_range, blob_len, &toff, &tlen, what, err, errlen) != 0 ||
        parse_range(pdf_range, blob_len, &poff, &plen, what, err, errlen) != 0)
        return -1;
    if (ss_tree_set_parse(blob + toff, tlen, &m->trees, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "htsvoice: %s: %s", what, e2);
        return -1;
    }
    size_t nt = m->trees.ntrees, total;
    const unsigned char *pd = (const unsigned char *)blob + poff;
    if (read_pdf_counts(m, pd, plen, what, &total, err, errlen) != 0)
        return -1;
    if ((plen - 4 * nt) / 4 / pdf_len != total || (plen - 4 * nt) != total * pdf_len * 4) {
        snprintf(err, errlen, "htsvoice: %s PDF block is %zu bytes, expected %zu (corrupt or truncated)",
                 what, plen, 4 * nt + total * pdf_len * 4);
        return -1;
    }
    if (pool->used + total * pdf_len > pool->cap) {
        snprintf(err, errlen, "htsvoice: internal: PDF pool overflow");
        return -1;
    }
    if (copy_pdfs(m, pd + 4 * nt, what, pool, err, errlen) != 0)
        return -1;
    return check_leaves(m, what, err, errlen);
}

static void model_free(ss_voice_model *m)
{
    ss_tree_set_free(&m->trees);
    free(m->npdf);
    free(m->pdf);
    memset(m, 0, sizeof *m);
}

static int load_window(const char *blob, size_t blob_len, const char *range, int w,
                       ss_mlpg_windows *win, char *err, size_t errlen)
{
    size_t off, len;
    if (parse_range(range, blob_len, &off, &len, "window", err, errlen) != 0)
        return -1;
    char buf[256];
    if (len >= sizeof buf) {
        snprintf(err, errlen, "htsvoice: window %d text too long", w);
        return -1;
    }
    memcpy(buf, blob + off, len);
    buf[len] = '\0';
    char *p = buf, *e;
    long n = strtol(p, &e, 10);
    if (e == p || n < 1 || n > 3 || n % 2 == 0) {
        snprintf(err, errlen, "htsvoice: window %d must have 1 or 3 coefficients", w);
        return -1;
    }
    int half = (int)n / 2;
    win->left[w] = -half;
    win->right[w] = half;
    win->coef[w][0] = win->coef[w][1] = win->coef[w][2] = 0.0;
    p = e;
    for (int i = 0; i < n; i++) {
        errno = 0;
        double c = strtod(p, &e);
        if (e == p || errno || !isfinite(c)) {
            snprintf(err, errlen, "htsvoice: window %d has a bad coefficient", w);
            return -1;
        }
        win->coef[w][i - half + 1] = c;
        p = e;
    }
    return 0;
}

/* Splits s at commas into at most max items (modifies s). */
static int split_commas(char *s, char **items, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        items[n++] = t;
    }
    return n;
}

static int parse_gv_off(ss_htsvoice *v, const char *s, char *err, size_t errlen)
{
    if (!s || !*s)
        return 0;
    size_t cap = 0;
    const char *p = s;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *b, *e;
        if (*p == '"') {
            b = ++p;
            while (*p && *p != '"')
                p++;
            if (!*p) {
                snprintf(err, errlen, "htsvoice: unterminated GV_OFF_CONTEXT pattern");
                return -1;
            }
            e = p++;
        } else {
            b = p;
            while (*p && *p != ',')
                p++;
            e = p;
        }
        if (v->ngv_off == cap) {
            size_t nc = cap ? cap * 2 : 4;
            ss_pattern *np = realloc(v->gv_off, nc * sizeof *np);
            if (!np) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            v->gv_off = np;
            cap = nc;
        }
        char buf[256];
        size_t l = (size_t)(e - b);
        if (l >= sizeof buf) {
            snprintf(err, errlen, "htsvoice: GV_OFF_CONTEXT pattern too long");
            return -1;
        }
        memcpy(buf, b, l);
        buf[l] = '\0';
        if (ss_pattern_compile(buf, &v->gv_off[v->ngv_off], err, errlen) != 0)
            return -1;
        v->ngv_off++;
    }
    return 0;
}

/* The global header fields: version, rates, state and stream counts,
 * full-context format, GV-off contexts. 0, or -1 with err. */
static int read_globals(ss_htsvoice *v, const header *h, char *err, size_t errlen)
{
    const char *ver = hget(h, "HTS_VOICE_VERSION");
    if (!ver || strcmp(ver, "1.0") != 0) {
        snprintf(err, errlen, "htsvoice: not an HTS voice 1.0 file (HTS_VOICE_VERSION %s)", ver ? ver : "missing");
        return -1;
    }
    if (get_int(h, "SAMPLING_FREQUENCY", NULL, 1000, 192000, &v->sample_rate, err, errlen) ||
        get_int(h, "FRAME_PERIOD", NULL, 1, 100000, &v->frame_period, err, errlen) ||
        get_int(h, "NUM_STATES", NULL, 1, 64, &v->nstates, err, errlen) ||
        get_int(h, "NUM_STREAMS", NULL, 1, SS_VOICE_MAX_STREAMS, &v->nstreams, err, errlen))
        return -1;
    const char *fmt = hget(h, "FULLCONTEXT_FORMAT");
    snprintf(v->fullcontext_format, sizeof v->fullcontext_format, "%s", fmt ? fmt : "");
    return parse_gv_off(v, hget(h, "GV_OFF_CONTEXT"), err, errlen);
}

/* STREAM_TYPE split into names (pointing into tbuf), NUM_STREAMS of them.
 * 0, or -1 with err. */
static int read_stream_names(const ss_htsvoice *v, const header *h, char tbuf[256],
                             char *names[SS_VOICE_MAX_STREAMS], char *err, size_t errlen)
{
    const char *types = hget(h, "STREAM_TYPE");
    if (!types) {
        snprintf(err, errlen, "htsvoice: missing STREAM_TYPE");
        return -1;
    }
    snprintf(tbuf, 256, "%s", types);
    if (split_commas(tbuf, names, SS_VOICE_MAX_STREAMS) != v->nstreams) {
        snprintf(err, errlen, "htsvoice: STREAM_TYPE does not list NUM_STREAMS streams");
        return -1;
    }
    return 0;
}

/* A stream's own header fields: vector length, MSD, windows, GV, alpha. */
static int read_stream_params(ss_voice_stream *st, const header *h, char *err, size_t errlen)
{
    int msd = 0, gv = 0;
    if (get_int(h, "VECTOR_LENGTH", st->name, 1, SS_MLSA_MAX_ORDER + 1, &st->vector_length, err, errlen) ||
        get_int(h, "IS_MSD", st->name, 0, 1, &msd, err, errlen) ||
        get_int(h, "NUM_WINDOWS", st->name, 1, SS_MLPG_MAX_WIN, &st->nwin, err, errlen) ||
        get_int(h, "USE_GV", st->name, 0, 1, &gv, err, errlen))
        return -1;
    st->is_msd = msd;
    st->use_gv = gv;
    const char *opt = hget_stream(h, "OPTION", st->name);
    if (opt && strncmp(opt, "ALPHA=", 6) == 0) {
        char *e;
        st->alpha = strtod(opt + 6, &e);
        if (e == opt + 6 || !(fabs(st->alpha) < 1.0)) {
            snprintf(err, errlen, "htsvoice: bad ALPHA option for %s", st->name);
            return -1;
        }
    }
    return 0;
}

/* A stream's STREAM_WIN ranges, NUM_WINDOWS of them, loaded from blob. */
static int load_stream_windows(ss_voice_stream *st, const header *h, const char *blob,
                               size_t blob_len, char *err, size_t errlen)
{
    const char *wr = hget_stream(h, "STREAM_WIN", st->name);
    if (!wr) {
        snprintf(err, errlen, "htsvoice: missing STREAM_WIN[%s]", st->name);
        return -1;
    }
    char wbuf[256];
    snprintf(wbuf, sizeof wbuf, "%s", wr);
    char *wins[SS_MLPG_MAX_WIN + 1];
    if (split_commas(wbuf, wins, SS_MLPG_MAX_WIN + 1) != st->nwin) {
        snprintf(err, errlen, "htsvoice: STREAM_WIN[%s] does not list NUM_WINDOWS ranges", st->name);
        return -1;
    }
    st->win.nwin = st->nwin;
    for (int w = 0; w < st->nwin; w++)
        if (load_window(blob, blob_len, wins[w], w, &st->win, err, errlen) != 0)
            return -1;
    return 0;
}

/* Stream st named name: its parameters, windows, PDF model and (when it
 * uses GV) GV model. 0, or -1 with err. */
static int load_stream(ss_voice_stream *st, const char *name, const header *h, const char *blob,
                       size_t blob_len, float_pool *pool, char *err, size_t errlen)
{
    snprintf(st->name, sizeof st->name, "%s", name);
    if (read_stream_params(st, h, err, errlen) != 0 ||
        load_stream_windows(st, h, blob, blob_len, err, errlen) != 0)
        return -1;
    size_t plen = (size_t)st->vector_length * (size_t)st->nwin * 2 + (st->is_msd ? 1 : 0);
    char what[48];
    snprintf(what, sizeof what, "stream %s", st->name);
    if (load_model(blob, blob_len, hget_stream(h, "STREAM_TREE", st->name),
                   hget_stream(h, "STREAM_PDF", st->name), plen, what, pool, &st->pdf, err,
                   errlen) != 0)
        return -1;
    if (st->use_gv) {
        snprintf(what, sizeof what, "GV %s", st->name);
        if (load_model(blob, blob_len, hget_stream(h, "GV_TREE", st->name),
                       hget_stream(h, "GV_PDF", st->name), (size_t)st->vector_length * 2, what,
                       pool, &st->gv, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* The float pool is one anonymous mapping populated in a single call: on a
 * fresh process its ~1.5 MB would otherwise cost one page fault per 4 kB,
 * which was most of a cold voice load. Its size goes to *bytes (munmap). */
static float *float_pool_map(size_t nfloats, size_t *bytes)
{
    size_t len = nfloats * sizeof(float);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *bytes = len;
    return p;
}

static int load_voice(ss_htsvoice *v, const char *data, size_t len, char *err, size_t errlen)
{
    header h;
    size_t doff = 0;
    int rc = -1;
    float_pool pool = {0};
    if (parse_header(data, len, &h, &doff, err, errlen) != 0)
        goto done;
    char tbuf[256];
    char *names[SS_VOICE_MAX_STREAMS];
    if (read_globals(v, &h, err, errlen) != 0 || read_stream_names(v, &h, tbuf, names, err, errlen) != 0)
        goto done;
    const char *blob = data + doff;
    size_t blob_len = len - doff;
    /* size the float pool: an upper bound is the blob size / 4 */
    pool.cap = blob_len / 4 + 1;
    pool.buf = float_pool_map(pool.cap, &v->floats_mapped_bytes);
    if (!pool.buf) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    v->floats = pool.buf;
    if (load_model(blob, blob_len, hget(&h, "DURATION_TREE"), hget(&h, "DURATION_PDF"),
                   (size_t)v->nstates * 2, "duration", &pool, &v->dur, err, errlen) != 0)
        goto done;
    for (int s = 0; s < v->nstreams; s++)
        if (load_stream(&v->streams[s], names[s], &h, blob, blob_len, &pool, err, errlen) != 0)
            goto done;
    rc = 0;
done:
    header_free(&h);
    return rc;
}

ss_htsvoice *ss_htsvoice_load_buffer(const char *data, size_t len, char *err, size_t errlen)
{
    ss_htsvoice *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (load_voice(v, data, len, err, errlen) != 0) {
        ss_htsvoice_free(v);
        return NULL;
    }
    return v;
}

/* The file is mapped read-only (pages populated in one call from the page
 * cache, no copy) for the time of the parse; nothing points into it after. */
ss_htsvoice *ss_htsvoice_load(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "htsvoice: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        snprintf(err, errlen, "htsvoice: %s is not a non-empty regular file", path);
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    int merr = errno;
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "htsvoice: cannot map %s: %s", path, strerror(merr));
        return NULL;
    }
    char e2[400];
    ss_htsvoice *v = ss_htsvoice_load_buffer(map, len, e2, sizeof e2);
    munmap(map, len);
    if (!v) {
        snprintf(err, errlen, "%s: %s", path, e2);
        return NULL;
    }
    v->path = strdup(path);
    if (!v->path) {
        ss_htsvoice_free(v);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return v;
}

void ss_htsvoice_free(ss_htsvoice *v)
{
    if (!v)
        return;
    model_free(&v->dur);
    for (int s = 0; s < SS_VOICE_MAX_STREAMS; s++) {
        model_free(&v->streams[s].pdf);
        model_free(&v->streams[s].gv);
    }
    for (size_t i = 0; i < v->ngv_off; i++)
        ss_pattern_free(&v->gv_off[i]);
    free(v->gv_off);
    if (v->prepared_map)
        munmap(v->prepared_map, v->prepared_map_bytes);
    else if (v->floats_mapped_bytes)
        munmap(v->floats, v->floats_mapped_bytes);
    else
        free(v->floats);
    free(v->path);
    free(v);
}

static size_t model_pool_end(const ss_voice_model *m, const float *pool)
{
    size_t end = 0;
    for (size_t i = 0; i < m->trees.ntrees; i++)
        if (m->pdf && m->pdf[i]) {
            size_t e = (size_t)(m->pdf[i] - pool) + m->npdf[i] * m->pdf_len;
            if (e > end)
                end = e;
        }
    return end;
}

size_t ss_htsvoice_pool_floats(const ss_htsvoice *v)
{
    size_t end = model_pool_end(&v->dur, v->floats);
    for (int s = 0; s < v->nstreams; s++) {
        size_t e = model_pool_end(&v->streams[s].pdf, v->floats);
        if (e > end)
            end = e;
        if (v->streams[s].use_gv && (e = model_pool_end(&v->streams[s].gv, v->floats)) > end)
            end = e;
    }
    return end;
}

int ss_htsvoice_stream_index(const ss_htsvoice *v, const char *name)
{
    for (int s = 0; s < v->nstreams; s++)
        if (strcmp(v->streams[s].name, name) == 0)
            return s;
    return -1;
}

const float *ss_voice_model_lookup(const ss_voice_model *m, int state, const char *label,
                                   size_t label_len, char *err, size_t errlen)
{
    return ss_voice_model_lookup_memo(m, state, label, label_len, NULL, err, errlen);
}

const float *ss_voice_model_lookup_memo(const ss_voice_model *m, int state, const char *label,
                                        size_t label_len, unsigned char *memo, char *err,
                                        size_t errlen)
{
    return ss_voice_model_lookup_tokens(m, state, label, label_len, NULL, memo, err, errlen);
}

const float *ss_voice_model_lookup_tokens(const ss_voice_model *m, int state, const char *label,
                                          size_t label_len, const ss_label_tokens *tokens,
                                          unsigned char *memo, char *err, size_t errlen)
{
    size_t ti;
    int pdf;
    if (ss_tree_set_search_tokens(&m->trees, state, label, label_len, tokens, memo, &ti, &pdf) != 0) {
        /* HTS falls back to the first tree when no tree's head matches */
        const ss_tree_set *ts = &m->trees;
        int any = 0;
        for (size_t i = 0; i < ts->ntrees; i++)
            any |= ts->trees[i].state == state;
        if (any || ts->ntrees == 0) {
            snprintf(err, errlen, "no tree for state %d serves label '%.*s'", state, (int)(label_len > 80 ? 80 : label_len), label);
            return NULL;
        }
        snprintf(err, errlen, "model has no tree for state %d", state);
        return NULL;
    }
    if (pdf < 1 || (size_t)pdf > m->npdf[ti]) {
        snprintf(err, errlen, "tree %zu leaf names PDF %d of %zu", ti, pdf, m->npdf[ti]);
        return NULL;
    }
    return m->pdf[ti] + (size_t)(pdf - 1) * m->pdf_len;
}

bool ss_htsvoice_gv_on(const ss_htsvoice *v, const char *label, size_t label_len)
{
    for (size_t i = 0; i < v->ngv_off; i++)
        if (ss_pattern_match(&v->gv_off[i], label, label_len))
            return false;
    return true;
}
