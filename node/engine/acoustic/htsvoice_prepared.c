/* The prepared (binary, memory-mapped) form of an HTS voice; see
 * htsvoice_prepared.h for what it is for and the rules it keeps.
 *
 * Layout (native byte order; every offset from the start of the file):
 *   header   magic "SSVOICE\0", format version, byte-order mark, sizeof of
 *            int/size_t/float/double, the source's size, mtime (s, ns) and
 *            inode, the offset and count of the float pool, the offset and
 *            length of the description;
 *   description   a stream of fixed-size integers, doubles and
 *            length-prefixed strings: the globals, GV_OFF_CONTEXT patterns,
 *            and per model (durations, then each stream's PDFs and GV) its
 *            questions, trees (nodes as stored in memory) and PDF offsets
 *            into the pool;
 *   pool     the PDF floats, 64-byte aligned, mapped read-only in place.
 * The reader checks every length against what is left, so a damaged file
 * gives SS_PREPARED_DAMAGED, never a read outside the mapping.
 *
 * No global state. */
#include "node/engine/acoustic/htsvoice_prepared.h"

#include "common/file_replace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PREPARED_MAGIC "SSVOICE"
#define PREPARED_VERSION 1u
#define BYTE_ORDER_MARK 0x01020304u
#define POOL_ALIGN 64

typedef struct {
    char magic[8];
    uint32_t version, byte_order;
    uint32_t sizeof_int, sizeof_size, sizeof_float, sizeof_double;
    uint64_t src_size;
    int64_t src_mtime_s, src_mtime_ns;
    uint64_t src_ino;
    uint64_t pool_off, pool_floats;
    uint64_t desc_off, desc_len;
} prepared_header;

/* ------------------------------------------------------------ writing --- */

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int oom;
} out_buf;

static void put(out_buf *o, const void *p, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n > o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 1 << 16;
        while (nc < o->len + n)
            nc *= 2;
        unsigned char *nb = realloc(o->buf, nc);
        if (!nb) {
            o->oom = 1;
            return;
        }
        o->buf = nb;
        o->cap = nc;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void put_u64(out_buf *o, uint64_t v) { put(o, &v, sizeof v); }
static void put_i32(out_buf *o, int32_t v) { put(o, &v, sizeof v); }

static void put_str(out_buf *o, const char *s, size_t len)
{
    put_u64(o, len);
    put(o, s, len);
}

static void put_patterns(out_buf *o, const ss_pattern *p, size_t n)
{
    put_u64(o, n);
    for (size_t i = 0; i < n; i++) {
        put_i32(o, (int32_t)p[i].kind);
        put_str(o, p[i].text, p[i].len);
    }
}

static void put_tree_set(out_buf *o, const ss_tree_set *ts)
{
    put_u64(o, ts->nquestions);
    for (size_t i = 0; i < ts->nquestions; i++) {
        put_str(o, ts->questions[i].name, strlen(ts->questions[i].name));
        put_patterns(o, ts->questions[i].pats, ts->questions[i].npats);
    }
    put_u64(o, ts->ntrees);
    for (size_t i = 0; i < ts->ntrees; i++) {
        const ss_tree *t = &ts->trees[i];
        put_i32(o, t->state);
        put_i32(o, t->leaf_pdf);
        put_patterns(o, t->heads, t->nheads);
        put_u64(o, t->nnodes);
        put(o, t->nodes, t->nnodes * sizeof *t->nodes);
    }
}

/* A model's PDFs are written as offsets (in floats) into the pool. */
static void put_model(out_buf *o, const ss_voice_model *m, const float *pool)
{
    put_tree_set(o, &m->trees);
    put_u64(o, m->pdf_len);
    for (size_t i = 0; i < m->trees.ntrees; i++) {
        put_u64(o, m->npdf[i]);
        put_u64(o, (uint64_t)(m->pdf[i] - pool));
    }
}

static void put_description(out_buf *o, const ss_htsvoice *v)
{
    put_i32(o, v->sample_rate);
    put_i32(o, v->frame_period);
    put_i32(o, v->nstates);
    put_i32(o, v->nstreams);
    put(o, v->fullcontext_format, sizeof v->fullcontext_format);
    put_patterns(o, v->gv_off, v->ngv_off);
    put_model(o, &v->dur, v->floats);
    for (int s = 0; s < v->nstreams; s++) {
        const ss_voice_stream *st = &v->streams[s];
        put(o, st->name, sizeof st->name);
        put_i32(o, st->vector_length);
        put_i32(o, st->is_msd);
        put_i32(o, st->nwin);
        put_i32(o, st->use_gv);
        put(o, &st->alpha, sizeof st->alpha);
        put(o, &st->win, sizeof st->win);
        put_model(o, &st->pdf, v->floats);
        if (st->use_gv)
            put_model(o, &st->gv, v->floats);
    }
}

int ss_htsvoice_write_prepared(const ss_htsvoice *v, const struct stat *src, const char *path,
                               char *err, size_t errlen)
{
    out_buf desc = {0};
    put_description(&desc, v);
    if (desc.oom) {
        free(desc.buf);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t nfloats = ss_htsvoice_pool_floats(v);
    prepared_header h = {.magic = PREPARED_MAGIC, .version = PREPARED_VERSION,
                         .byte_order = BYTE_ORDER_MARK, .sizeof_int = sizeof(int),
                         .sizeof_size = sizeof(size_t), .sizeof_float = sizeof(float),
                         .sizeof_double = sizeof(double), .src_size = (uint64_t)src->st_size,
                         .src_mtime_s = (int64_t)src->st_mtim.tv_sec,
                         .src_mtime_ns = (int64_t)src->st_mtim.tv_nsec, .src_ino = (uint64_t)src->st_ino,
                         .desc_off = sizeof h, .desc_len = desc.len, .pool_floats = nfloats};
    h.pool_off = (sizeof h + desc.len + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
    static const unsigned char zeros[POOL_ALIGN];
    const ss_file_part parts[] = {{&h, sizeof h},
                                  {desc.buf, desc.len},
                                  {zeros, h.pool_off - sizeof h - desc.len},
                                  {v->floats, nfloats * sizeof(float)}};
    int rc = ss_file_replace(path, parts, sizeof parts / sizeof parts[0], err, errlen);
    free(desc.buf);
    if (rc != 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ reading --- */

typedef struct {
    const unsigned char *p, *end;
    int bad, oom;
} in_buf;

static int take(in_buf *in, void *dst, size_t n)
{
    if (in->bad || (size_t)(in->end - in->p) < n) {
        in->bad = 1;
        return -1;
    }
    memcpy(dst, in->p, n);
    in->p += n;
    return 0;
}

static uint64_t take_u64(in_buf *in)
{
    uint64_t v = 0;
    take(in, &v, sizeof v);
    return v;
}

static int32_t take_i32(in_buf *in)
{
    int32_t v = 0;
    take(in, &v, sizeof v);
    return v;
}

/* A count of items of at least min_bytes each: larger than what is left
 * means damage (and keeps a damaged count from sizing an allocation). */
static size_t take_count(in_buf *in, size_t min_bytes)
{
    uint64_t n = take_u64(in);
    if (in->bad || n > (uint64_t)(in->end - in->p) / (min_bytes ? min_bytes : 1)) {
        in->bad = 1;
        return 0;
    }
    return (size_t)n;
}

static char *take_str(in_buf *in, size_t *len)
{
    size_t n = take_count(in, 1);
    if (in->bad)
        return NULL;
    char *s = malloc(n + 1);
    if (!s) {
        in->oom = 1;
        in->bad = 1;
        return NULL;
    }
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += n;
    if (len)
        *len = n;
    return s;
}

static ss_pattern *take_patterns(in_buf *in, size_t *n)
{
    *n = take_count(in, sizeof(int32_t) + sizeof(uint64_t));
    if (in->bad || *n == 0)
        return NULL;
    ss_pattern *p = calloc(*n, sizeof *p);
    if (!p) {
        in->oom = in->bad = 1;
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        int32_t kind = take_i32(in);
        if (kind < SS_PAT_EXACT || kind > SS_PAT_GLOB)
            in->bad = 1;
        p[i].kind = (ss_pattern_kind)kind;
        p[i].text = take_str(in, &p[i].len);
        if (in->bad) {
            /* free what was read; the rest is zeroed by calloc */
            for (size_t j = 0; j <= i; j++)
                free(p[j].text);
            free(p);
            *n = 0;
            return NULL;
        }
    }
    return p;
}

static void take_tree_set(in_buf *in, ss_tree_set *ts)
{
    size_t nq = take_count(in, 2 * sizeof(uint64_t));
    if (in->bad)
        return;
    ts->questions = nq ? calloc(nq, sizeof *ts->questions) : NULL;
    if (nq && !ts->questions) {
        in->oom = in->bad = 1;
        return;
    }
    for (size_t i = 0; i < nq && !in->bad; i++) {
        ss_question *q = &ts->questions[i];
        ts->nquestions = i + 1;
        q->name = take_str(in, NULL);
        q->pats = take_patterns(in, &q->npats);
    }
    size_t nt = take_count(in, 2 * sizeof(int32_t) + 2 * sizeof(uint64_t));
    if (in->bad)
        return;
    ts->trees = nt ? calloc(nt, sizeof *ts->trees) : NULL;
    if (nt && !ts->trees) {
        in->oom = in->bad = 1;
        return;
    }
    for (size_t i = 0; i < nt && !in->bad; i++) {
        ss_tree *t = &ts->trees[i];
        ts->ntrees = i + 1;
        t->state = take_i32(in);
        t->leaf_pdf = take_i32(in);
        t->heads = take_patterns(in, &t->nheads);
        t->nnodes = take_count(in, sizeof *t->nodes);
        if (!in->bad && (t->leaf_pdf > 0) == (t->nnodes > 0))
            in->bad = 1; /* a tree is a single leaf or a node list, as parsed */
        if (in->bad || t->nnodes == 0)
            continue;
        t->nodes = malloc(t->nnodes * sizeof *t->nodes);
        if (!t->nodes) {
            t->nnodes = 0;
            in->oom = in->bad = 1;
            continue;
        }
        take(in, t->nodes, t->nnodes * sizeof *t->nodes);
        for (size_t k = 0; k < t->nnodes && !in->bad; k++) {
            const ss_tree_node *n = &t->nodes[k];
            /* children after their parent, as the text parser requires:
             * a damaged file cannot make a search loop */
            if (n->question < 0 || (size_t)n->question >= ts->nquestions || n->no >= (int)t->nnodes ||
                n->yes >= (int)t->nnodes || (n->no >= 0 && n->no <= (int)k) ||
                (n->yes >= 0 && n->yes <= (int)k))
                in->bad = 1;
        }
    }
    if (!in->bad) /* the patterns' field classes are derived, not stored */
        ss_tree_set_index_fields(ts);
}

static void take_model(in_buf *in, ss_voice_model *m, const float *pool, size_t pool_floats)
{
    take_tree_set(in, &m->trees);
    m->pdf_len = (size_t)take_u64(in);
    size_t nt = m->trees.ntrees;
    if (in->bad || nt == 0)
        return;
    m->npdf = calloc(nt, sizeof *m->npdf);
    m->pdf = calloc(nt, sizeof *m->pdf);
    if (!m->npdf || !m->pdf) {
        in->oom = in->bad = 1;
        return;
    }
    for (size_t i = 0; i < nt && !in->bad; i++) {
        uint64_t n = take_u64(in), off = take_u64(in);
        if (off > pool_floats || m->pdf_len == 0 || n > (pool_floats - off) / m->pdf_len) {
            in->bad = 1;
            break;
        }
        m->npdf[i] = (size_t)n;
        m->pdf[i] = (float *)pool + off;
        const ss_tree *t = &m->trees.trees[i];
        if (t->leaf_pdf > 0 && (size_t)t->leaf_pdf > n)
            in->bad = 1;
        for (size_t k = 0; k < t->nnodes; k++)
            if ((t->nodes[k].no < 0 && (size_t)-t->nodes[k].no > n) ||
                (t->nodes[k].yes < 0 && (size_t)-t->nodes[k].yes > n))
                in->bad = 1;
    }
}

static void take_description(in_buf *in, ss_htsvoice *v, size_t pool_floats)
{
    v->sample_rate = take_i32(in);
    v->frame_period = take_i32(in);
    v->nstates = take_i32(in);
    v->nstreams = take_i32(in);
    if (v->nstreams < 1 || v->nstreams > SS_VOICE_MAX_STREAMS || v->nstates < 1 || v->sample_rate <= 0 ||
        v->frame_period <= 0) {
        in->bad = 1;
        v->nstreams = 0;
        return;
    }
    take(in, v->fullcontext_format, sizeof v->fullcontext_format);
    v->fullcontext_format[sizeof v->fullcontext_format - 1] = '\0';
    v->gv_off = take_patterns(in, &v->ngv_off);
    take_model(in, &v->dur, v->floats, pool_floats);
    if (v->dur.pdf_len != (size_t)v->nstates * 2)
        in->bad = 1;
    for (int s = 0; s < v->nstreams && !in->bad; s++) {
        ss_voice_stream *st = &v->streams[s];
        take(in, st->name, sizeof st->name);
        st->name[sizeof st->name - 1] = '\0';
        st->vector_length = take_i32(in);
        st->is_msd = take_i32(in) != 0;
        st->nwin = take_i32(in);
        st->use_gv = take_i32(in) != 0;
        take(in, &st->alpha, sizeof st->alpha);
        take(in, &st->win, sizeof st->win);
        if (st->vector_length < 1 || st->nwin < 1 || st->nwin > SS_MLPG_MAX_WIN ||
            st->win.nwin != st->nwin)
            in->bad = 1;
        take_model(in, &st->pdf, v->floats, pool_floats);
        /* the PDF layouts htsvoice.c builds; consumers index by them */
        if (st->pdf.pdf_len != (size_t)st->vector_length * (size_t)st->nwin * 2 + (st->is_msd ? 1 : 0))
            in->bad = 1;
        if (st->use_gv) {
            take_model(in, &st->gv, v->floats, pool_floats);
            if (st->gv.pdf_len != (size_t)st->vector_length * 2)
                in->bad = 1;
        }
    }
}

static ss_prepared_status header_check(const prepared_header *h, size_t file_len,
                                       const struct stat *src, char *err, size_t errlen)
{
    if (memcmp(h->magic, PREPARED_MAGIC, sizeof PREPARED_MAGIC) != 0) {
        snprintf(err, errlen, "not a prepared voice");
        return SS_PREPARED_DAMAGED;
    }
    if (h->version != PREPARED_VERSION || h->byte_order != BYTE_ORDER_MARK ||
        h->sizeof_int != sizeof(int) || h->sizeof_size != sizeof(size_t) ||
        h->sizeof_float != sizeof(float) || h->sizeof_double != sizeof(double)) {
        snprintf(err, errlen, "prepared by another format or machine");
        return SS_PREPARED_STALE;
    }
    if (h->src_size != (uint64_t)src->st_size || h->src_mtime_s != (int64_t)src->st_mtim.tv_sec ||
        h->src_mtime_ns != (int64_t)src->st_mtim.tv_nsec || h->src_ino != (uint64_t)src->st_ino) {
        snprintf(err, errlen, "prepared from another version of the voice file");
        return SS_PREPARED_STALE;
    }
    if (h->desc_off != sizeof *h || h->desc_len > file_len - sizeof *h || h->pool_off % POOL_ALIGN != 0 ||
        h->pool_off < h->desc_off + h->desc_len || h->pool_off > file_len ||
        h->pool_floats > (file_len - h->pool_off) / sizeof(float)) {
        snprintf(err, errlen, "prepared voice is truncated or inconsistent");
        return SS_PREPARED_DAMAGED;
    }
    return SS_PREPARED_OK;
}

ss_prepared_status ss_htsvoice_read_prepared(const char *path, const struct stat *src,
                                             ss_htsvoice **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? SS_PREPARED_ABSENT : SS_PREPARED_DAMAGED;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(prepared_header)) {
        close(fd);
        snprintf(err, errlen, "%s: not a prepared voice (too short)", path);
        return SS_PREPARED_DAMAGED;
    }
    size_t len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
        return SS_PREPARED_DAMAGED;
    }
    prepared_header h;
    memcpy(&h, map, sizeof h);
    ss_prepared_status st_h = header_check(&h, len, src, err, errlen);
    if (st_h != SS_PREPARED_OK) {
        munmap(map, len);
        return st_h;
    }
    ss_htsvoice *v = calloc(1, sizeof *v);
    if (!v) {
        munmap(map, len);
        snprintf(err, errlen, "out of memory");
        return SS_PREPARED_NO_MEMORY;
    }
    v->prepared_map = map;
    v->prepared_map_bytes = len;
    v->floats = (float *)((unsigned char *)map + h.pool_off);
    in_buf in = {.p = (const unsigned char *)map + h.desc_off,
                 .end = (const unsigned char *)map + h.desc_off + h.desc_len};
    take_description(&in, v, (size_t)h.pool_floats);
    if (in.bad || in.p != in.end) {
        int oom = in.oom;
        ss_htsvoice_free(v);
        snprintf(err, errlen, oom ? "out of memory" : "%s: prepared voice is damaged", path);
        return oom ? SS_PREPARED_NO_MEMORY : SS_PREPARED_DAMAGED;
    }
    *out = v;
    return SS_PREPARED_OK;
}

/* ------------------------------------------------------------- caching --- */

/* cache_dir/<basename>.<FNV-1a of the absolute path>.ssvoice */
static int cache_path(const char *cache_dir, const char *src_path, char *out, size_t outlen)
{
    char abs[PATH_MAX];
    if (!realpath(src_path, abs))
        return -1;
    uint64_t hsh = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++)
        hsh = (hsh ^ *p) * 1099511628211ull;
    const char *base = strrchr(abs, '/');
    base = base ? base + 1 : abs;
    int n = snprintf(out, outlen, "%s/%.64s.%016llx.ssvoice", cache_dir, base, (unsigned long long)hsh);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int ss_voice_cache_dir_make(const char *dir)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof p, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (p[0] && mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

ss_htsvoice *ss_htsvoice_load_cached(const char *path, const char *cache_dir, char *note,
                                     size_t notelen, char *err, size_t errlen)
{
    if (notelen)
        note[0] = '\0';
    struct stat src;
    char cpath[PATH_MAX];
    if (!cache_dir || !*cache_dir || stat(path, &src) != 0 ||
        cache_path(cache_dir, path, cpath, sizeof cpath) != 0)
        return ss_htsvoice_load(path, err, errlen);
    char why[PATH_MAX + 128];
    ss_htsvoice *v = NULL;
    ss_prepared_status st = ss_htsvoice_read_prepared(cpath, &src, &v, why, sizeof why);
    if (st == SS_PREPARED_OK) {
        v->path = strdup(path);
        if (!v->path) {
            ss_htsvoice_free(v);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        return v;
    }
    if (st == SS_PREPARED_NO_MEMORY) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v = ss_htsvoice_load(path, err, errlen);
    if (!v)
        return NULL;
    if (st == SS_PREPARED_DAMAGED)
        snprintf(note, notelen, "prepared voice %s unusable (%s); rebuilt", cpath, why);
    if (ss_voice_cache_dir_make(cache_dir) != 0) {
        snprintf(note, notelen, "voice cache %s: cannot create: %s (voice loaded from its source)",
                 cache_dir, strerror(errno));
        return v;
    }
    if (ss_htsvoice_write_prepared(v, &src, cpath, why, sizeof why) != 0)
        snprintf(note, notelen, "voice cache: %s (voice loaded from its source)", why);
    return v;
}

int ss_voice_cache_dir_resolve(const char *setting, char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (!setting || !*setting || strcmp(setting, "off") == 0)
        n = snprintf(out, outlen, "%s", "");
    else if (strcmp(setting, "auto") != 0)
        n = snprintf(out, outlen, "%s", setting);
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/scaispeak", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, outlen, "%s/.cache/scaispeak", home);
    else
        n = snprintf(out, outlen, "%s", "");
    return n >= 0 && (size_t)n < outlen ? 0 : -1;
}
