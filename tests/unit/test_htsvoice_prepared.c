/* Unit tests for node/engine/acoustic/htsvoice_prepared: the prepared form
 * of the real voice reads back to the same trees and PDFs as the text
 * form; a prepared file made from another version of the source is stale;
 * truncated and mutated files are refused (never a crash: the SAN build
 * checks memory safety); the cache writes once, then maps, and rebuilds a
 * damaged file. */
#include "node/engine/acoustic/htsvoice_prepared.h"

#include "tests/unit/file_bytes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static void assert_same_model(const ss_voice_model *a, const ss_voice_model *b)
{
    cr_assert_eq(a->pdf_len, b->pdf_len);
    cr_assert_eq(a->trees.nquestions, b->trees.nquestions);
    for (size_t i = 0; i < a->trees.nquestions; i++) {
        const ss_question *qa = &a->trees.questions[i], *qb = &b->trees.questions[i];
        cr_assert_str_eq(qa->name, qb->name);
        cr_assert_eq(qa->npats, qb->npats);
        for (size_t k = 0; k < qa->npats; k++) {
            cr_assert_eq(qa->pats[k].kind, qb->pats[k].kind);
            cr_assert_str_eq(qa->pats[k].text, qb->pats[k].text);
        }
    }
    cr_assert_eq(a->trees.ntrees, b->trees.ntrees);
    for (size_t i = 0; i < a->trees.ntrees; i++) {
        const ss_tree *ta = &a->trees.trees[i], *tb = &b->trees.trees[i];
        cr_assert_eq(ta->state, tb->state);
        cr_assert_eq(ta->leaf_pdf, tb->leaf_pdf);
        cr_assert_eq(ta->nheads, tb->nheads);
        cr_assert_eq(ta->nnodes, tb->nnodes);
        cr_assert_eq(memcmp(ta->nodes, tb->nodes, ta->nnodes * sizeof *ta->nodes), 0);
        cr_assert_eq(a->npdf[i], b->npdf[i]);
        cr_assert_eq(memcmp(a->pdf[i], b->pdf[i], a->npdf[i] * a->pdf_len * sizeof(float)), 0);
    }
}

static void assert_same_voice(const ss_htsvoice *a, const ss_htsvoice *b)
{
    cr_assert_eq(a->sample_rate, b->sample_rate);
    cr_assert_eq(a->frame_period, b->frame_period);
    cr_assert_eq(a->nstates, b->nstates);
    cr_assert_eq(a->nstreams, b->nstreams);
    cr_assert_str_eq(a->fullcontext_format, b->fullcontext_format);
    cr_assert_eq(a->ngv_off, b->ngv_off);
    assert_same_model(&a->dur, &b->dur);
    for (int s = 0; s < a->nstreams; s++) {
        const ss_voice_stream *sa = &a->streams[s], *sb = &b->streams[s];
        cr_assert_str_eq(sa->name, sb->name);
        cr_assert_eq(sa->vector_length, sb->vector_length);
        cr_assert_eq(sa->is_msd, sb->is_msd);
        cr_assert_eq(sa->use_gv, sb->use_gv);
        cr_assert_eq(memcmp(&sa->win, &sb->win, sizeof sa->win), 0);
        cr_assert_float_eq(sa->alpha, sb->alpha, 0);
        assert_same_model(&sa->pdf, &sb->pdf);
        if (sa->use_gv)
            assert_same_model(&sa->gv, &sb->gv);
    }
}

static ss_htsvoice *text_voice(struct stat *src)
{
    char err[256];
    ss_htsvoice *v = ss_htsvoice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(stat(VOICE, src), 0);
    return v;
}

/* The real voice written in prepared form to a fresh temporary file (its
 * name into path, a "/tmp/ss_prepared_XXXXXX" buffer); src describes the
 * source. The text-form voice is returned for comparison. */
static ss_htsvoice *prepared_copy(char *path, struct stat *src)
{
    ss_htsvoice *v = text_voice(src);
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char err[256];
    cr_assert_eq(ss_htsvoice_write_prepared(v, src, path, err, sizeof err), 0, "%s", err);
    return v;
}

Test(htsvoice_prepared, round_trip_is_the_same_voice)
{
    struct stat src;
    char path[] = "/tmp/ss_prepared_XXXXXX";
    ss_htsvoice *v = prepared_copy(path, &src);
    char err[256];
    ss_htsvoice *p = NULL;
    cr_assert_eq(ss_htsvoice_read_prepared(path, &src, &p, err, sizeof err), SS_PREPARED_OK, "%s", err);
    cr_assert_not_null(p->prepared_map);
    assert_same_voice(v, p);
    const char *label = "x^pau-dh+ax=b@1_2/A:0_0_0/B:1-0-2@1-1&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+2";
    for (int st = 2; st < 2 + v->nstates; st++) {
        const float *a = ss_voice_model_lookup(&v->streams[0].pdf, st, label, strlen(label), err, sizeof err);
        const float *b = ss_voice_model_lookup(&p->streams[0].pdf, st, label, strlen(label), err, sizeof err);
        cr_assert(a && b);
        cr_assert_eq(memcmp(a, b, v->streams[0].pdf.pdf_len * sizeof(float)), 0);
    }
    ss_htsvoice_free(p);
    ss_htsvoice_free(v);
    unlink(path);
}

Test(htsvoice_prepared, another_source_version_is_stale_and_absent_is_absent)
{
    struct stat src;
    char path[] = "/tmp/ss_prepared_XXXXXX";
    ss_htsvoice *v = prepared_copy(path, &src);
    char err[256];
    struct stat other = src;
    other.st_mtim.tv_sec += 1;
    ss_htsvoice *p = NULL;
    cr_assert_eq(ss_htsvoice_read_prepared(path, &other, &p, err, sizeof err), SS_PREPARED_STALE);
    cr_assert_null(p);
    other = src;
    other.st_size += 1;
    cr_assert_eq(ss_htsvoice_read_prepared(path, &other, &p, err, sizeof err), SS_PREPARED_STALE);
    unlink(path);
    cr_assert_eq(ss_htsvoice_read_prepared(path, &src, &p, err, sizeof err), SS_PREPARED_ABSENT);
    ss_htsvoice_free(v);
}

Test(htsvoice_prepared, truncated_and_mutated_files_are_refused)
{
    struct stat src;
    char path[] = "/tmp/ss_prepared_XXXXXX";
    ss_htsvoice *v = prepared_copy(path, &src);
    char err[256];
    size_t len;
    char *good = file_bytes_read(path, &len);
    const size_t cuts[] = {0, 10, 63, 100, 1000, 50000, 300000, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        file_bytes_write(path, good, cuts[i]);
        ss_htsvoice *p = NULL;
        ss_prepared_status st = ss_htsvoice_read_prepared(path, &src, &p, err, sizeof err);
        cr_assert(st == SS_PREPARED_DAMAGED || st == SS_PREPARED_STALE, "cut %zu: %d", cuts[i], (int)st);
        cr_assert_null(p);
    }
    /* flipped bytes in the header and the description: refused or, where
     * the byte did not matter, read; never a crash (SAN) */
    char *bad = malloc(len);
    srand(7);
    for (int i = 0; i < 200; i++) {
        memcpy(bad, good, len);
        size_t at = (size_t)rand() % 400000;
        bad[at] = (char)(bad[at] ^ (1 + rand() % 255));
        file_bytes_write(path, bad, len);
        ss_htsvoice *p = NULL;
        ss_htsvoice_read_prepared(path, &src, &p, err, sizeof err);
        ss_htsvoice_free(p);
    }
    free(bad);
    free(good);
    unlink(path);
    ss_htsvoice_free(v);
}

Test(htsvoice_prepared, the_cache_writes_once_then_maps_and_rebuilds_a_damaged_file)
{
    char dir[] = "/tmp/ss_voice_cache_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char sub[sizeof dir + 32];
    snprintf(sub, sizeof sub, "%s/.cache/scaispeak", dir); /* both created on first use, as on a
                                                             fresh account without ~/.cache */
    char note[512], err[256];
    ss_htsvoice *a = ss_htsvoice_load_cached(VOICE, sub, note, sizeof note, err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    cr_assert_str_empty(note);
    cr_assert_null(a->prepared_map, "the first load parses the source");
    ss_htsvoice *b = ss_htsvoice_load_cached(VOICE, sub, note, sizeof note, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    cr_assert_str_empty(note);
    cr_assert_not_null(b->prepared_map, "the second load maps the prepared form");
    cr_assert_str_eq(b->path, VOICE);
    assert_same_voice(a, b);
    ss_htsvoice_free(b);
    /* damage the prepared file: the next load says so, rebuilds, and the
     * one after maps again */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "for f in %s/*.ssvoice; do truncate -s 5000 \"$f\"; done", sub);
    cr_assert_eq(system(cmd), 0);
    ss_htsvoice *c = ss_htsvoice_load_cached(VOICE, sub, note, sizeof note, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert(strstr(note, "rebuilt") != NULL, "%s", note);
    ss_htsvoice_free(c);
    ss_htsvoice *d = ss_htsvoice_load_cached(VOICE, sub, note, sizeof note, err, sizeof err);
    cr_assert_not_null(d->prepared_map);
    assert_same_voice(a, d);
    ss_htsvoice_free(d);
    ss_htsvoice_free(a);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(htsvoice_prepared, cache_dir_setting_resolves)
{
    char out[256];
    cr_assert_eq(ss_voice_cache_dir_resolve("off", out, sizeof out), 0);
    cr_assert_str_empty(out);
    cr_assert_eq(ss_voice_cache_dir_resolve("", out, sizeof out), 0);
    cr_assert_str_empty(out);
    cr_assert_eq(ss_voice_cache_dir_resolve("/var/cache/x", out, sizeof out), 0);
    cr_assert_str_eq(out, "/var/cache/x");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    cr_assert_eq(ss_voice_cache_dir_resolve("auto", out, sizeof out), 0);
    cr_assert_str_eq(out, "/xdg/scaispeak");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    cr_assert_eq(ss_voice_cache_dir_resolve("auto", out, sizeof out), 0);
    cr_assert_str_eq(out, "/home/u/.cache/scaispeak");
    char tiny[4];
    cr_assert_eq(ss_voice_cache_dir_resolve("/long/path", tiny, sizeof tiny), -1);
}
