/* Unit tests for node/engine/acoustic/label_tokens (and the question
 * matching through it): a pattern answered from a label's token index gives
 * the substring search's answer, for every question and tree head of the slt
 * voice over real and mutated labels, for hand-made edge cases, and for a
 * prepared voice read back (whose field classes are derived on reading). */
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/acoustic/htsvoice_prepared.h"
#include "node/engine/acoustic/label.h"
#include "node/engine/acoustic/label_tokens.h"
#include "node/engine/acoustic/question_match.h"
#include "tests/unit/file_bytes.h"
#include "tests/unit/hello_labels.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"
#define CORPUS "tests/fuzz/corpus_label/utterance.lab"
#define ALL_RUNS ((2u << SS_TOKENS_MAX_RUNS) - 1)

/* Every pattern of p[0..n) answers label as the substring search does,
 * through t (which indexes label); returns how many matched. */
static size_t check_patterns(const ss_pattern *p, size_t n, const ss_label_tokens *t, const char *label,
                             size_t len)
{
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        bool want = ss_pattern_match(&p[i], label, len);
        bool got = ss_pattern_match_tokens(&p[i], t, label, len);
        cr_assert_eq(got, want, "pattern '%s' (kind %d, runs %d) on '%.*s': tokens %d, search %d",
                     p[i].text, (int)p[i].kind, p[i].field ? p[i].runs : -1, (int)len, label, got, want);
        hits += want;
    }
    return hits;
}

/* Every question (and tree head) of ts on one label. */
static size_t check_tree_set(const ss_tree_set *ts, ss_label_tokens *t, const char *label, size_t len)
{
    size_t hits = 0;
    for (size_t q = 0; q < ts->nquestions; q++) {
        const ss_question *qq = &ts->questions[q];
        hits += check_patterns(qq->pats, qq->npats, t, label, len);
        cr_assert_eq(ss_question_match_tokens(qq, t, label, len), ss_question_match(qq, label, len));
    }
    for (size_t i = 0; i < ts->ntrees; i++)
        check_patterns(ts->trees[i].heads, ts->trees[i].nheads, t, label, len);
    return hits;
}

static size_t check_voice(const ss_htsvoice *v, ss_label_tokens *t, const char *label, unsigned mask)
{
    size_t len = strlen(label);
    cr_assert_eq(ss_label_tokens_index(t, label, len, mask), 0);
    size_t hits = check_tree_set(&v->dur.trees, t, label, len);
    for (int s = 0; s < v->nstreams; s++) {
        hits += check_tree_set(&v->streams[s].pdf.trees, t, label, len);
        if (v->streams[s].use_gv)
            hits += check_tree_set(&v->streams[s].gv.trees, t, label, len);
    }
    return hits;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* A random pattern text of v (so that mutations make matches, near misses
 * and overlaps). */
static const char *some_pattern_text(const ss_htsvoice *v, uint64_t *s)
{
    const ss_tree_set *ts = &v->streams[lcg(s) % (uint64_t)v->nstreams].pdf.trees;
    const ss_question *q = &ts->questions[lcg(s) % ts->nquestions];
    return q->pats[lcg(s) % q->npats].text;
}

/* label (cap bytes) edited 1..4 times: a byte replaced by a label
 * character, a pattern's text pasted in, a byte deleted or a delimiter
 * doubled. */
static void mutate(const ss_htsvoice *v, char *label, size_t cap, uint64_t *s)
{
    static const char alphabet[] = "ax019-+^=@_/:&#$!;|%LHxyzJ";
    int edits = 1 + (int)(lcg(s) % 4);
    for (int e = 0; e < edits; e++) {
        size_t len = strlen(label);
        size_t at = len ? lcg(s) % len : 0;
        switch (lcg(s) % 4) {
        case 0:
            if (len)
                label[at] = alphabet[lcg(s) % (sizeof alphabet - 1)];
            break;
        case 1: {
            const char *p = some_pattern_text(v, s);
            size_t pl = strlen(p);
            if (len + pl + 1 <= cap) {
                memmove(label + at + pl, label + at, len - at + 1);
                memcpy(label + at, p, pl);
            }
            break;
        }
        case 2:
            if (len)
                memmove(label + at, label + at + 1, len - at);
            break;
        default:
            if (len && len + 2 <= cap && ss_tokens_is_delim((unsigned char)label[at])) {
                memmove(label + at + 1, label + at, len - at + 1);
            }
            break;
        }
    }
}

static ss_htsvoice *load_voice(void)
{
    char err[256];
    ss_htsvoice *v = ss_htsvoice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    return v;
}

Test(label_tokens, slt_questions_on_real_labels)
{
    ss_htsvoice *v = load_voice();
    ss_label_tokens t;
    ss_label_tokens_init(&t);
    size_t hits = 0;
    for (size_t i = 0; i < sizeof LABELS / sizeof LABELS[0]; i++)
        hits += check_voice(v, &t, LABELS[i], ALL_RUNS);
    size_t n;
    char *bytes = file_bytes_read(CORPUS, &n);
    char *corpus = strndup(bytes, n); /* the file's bytes are not a string */
    free(bytes);
    cr_assert_not_null(corpus);
    for (char *line = corpus, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len;
        const char *name = ss_label_name(line, &len);
        if (!name)
            continue;
        char *lab = strndup(name, len);
        cr_assert_not_null(lab);
        hits += check_voice(v, &t, lab, ALL_RUNS);
        hits += check_voice(v, &t, lab, v->dur.trees.field_runs); /* the mask the engine uses */
        free(lab);
    }
    free(corpus);
    cr_assert_gt(hits, 1000);
    ss_label_tokens_free(&t);
    ss_htsvoice_free(v);
}

Test(label_tokens, slt_questions_on_mutated_labels)
{
    ss_htsvoice *v = load_voice();
    ss_label_tokens t;
    ss_label_tokens_init(&t);
    uint64_t seed = 17;
    char label[1024];
    for (int r = 0; r < 300; r++) {
        snprintf(label, sizeof label, "%s", LABELS[r % (int)(sizeof LABELS / sizeof LABELS[0])]);
        mutate(v, label, sizeof label, &seed);
        /* every other round a random subset of run counts indexed: the
         * uncovered ones go to the substring search */
        unsigned mask = (r & 1) ? (unsigned)lcg(&seed) & ALL_RUNS : ALL_RUNS;
        check_voice(v, &t, label, mask);
    }
    ss_label_tokens_free(&t);
    ss_htsvoice_free(v);
}

/* One pattern against one label (len bytes; label[len] may be anything)
 * through an index of every run count. */
static void edge(const char *glob, const char *label, size_t len)
{
    ss_pattern p;
    char err[64];
    cr_assert_eq(ss_pattern_compile(glob, &p, err, sizeof err), 0);
    ss_label_tokens t;
    ss_label_tokens_init(&t);
    cr_assert_eq(ss_label_tokens_index(&t, label, len, ALL_RUNS), 0);
    check_patterns(&p, 1, &t, label, len);
    ss_label_tokens_free(&t);
    ss_pattern_free(&p);
}

Test(label_tokens, field_classes)
{
    cr_assert_eq(ss_field_text_runs("-ax+", 4), 1);
    cr_assert_eq(ss_field_text_runs("/A:0_", 5), 2);
    cr_assert_eq(ss_field_text_runs("-", 1), 0);
    cr_assert_eq(ss_field_text_runs("--", 2), 1);
    cr_assert_eq(ss_field_text_runs("-a", 2), -1);
    cr_assert_eq(ss_field_text_runs("a+", 2), -1);
    cr_assert_eq(ss_field_text_runs("", 0), -1);
    cr_assert_eq(ss_field_text_runs("-a\0+", 4), -1);
    cr_assert_eq(ss_field_text_runs("-1-2-3-4-5-6-7-8-", 17), 8);
    cr_assert_eq(ss_field_text_runs("-1-2-3-4-5-6-7-8-9-", 19), -1);
    ss_pattern p;
    char err[64];
    cr_assert_eq(ss_pattern_compile("*-ax+*", &p, err, sizeof err), 0);
    cr_assert(p.field);
    cr_assert_eq(p.runs, 1);
    ss_pattern_free(&p);
    cr_assert_eq(ss_pattern_compile("*ax*", &p, err, sizeof err), 0);
    cr_assert_not(p.field);
    ss_pattern_free(&p);
    cr_assert_eq(ss_pattern_compile("pau^*", &p, err, sizeof err), 0);
    cr_assert_not(p.field);
    ss_pattern_free(&p);
}

Test(label_tokens, edge_cases)
{
    static const char *pats[] = {"*--*", "*-*", "*+x*", "*-a+*", "*/A:*", "*x*", "*^*", "*+*",
                                 "*-x-*", "*x-*", "*-x*", "*@@*", "*-1-2-3-4-5-6-7-8-*", "**",
                                 "*\xc3\xa9-*", "*-\xc3\xa9*"};
    static const char *labels[] = {"", "-", "--", "---", "-a+", "a-", "-a", "x--y", "+x", "a+x", "+x+",
                                   "^-a+b", "-a+-a+", "a-a+a", "-x-x-", "/A:/A:", "@@@", "x",
                                   "-1-2-3-4-5-6-7-8-", "0-1-2-3-4-5-6-7-8-9", "\xc3\xa9-\xc3\xa9-",
                                   "-\xc3\xa9", "+x++x+"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        for (size_t j = 0; j < sizeof labels / sizeof labels[0]; j++)
            edge(pats[i], labels[j], strlen(labels[j]));
    /* the substring search stops at a NUL inside a NUL-terminated label ... */
    static const char nul[] = "-a+\0-b+";
    edge("*-a+*", nul, sizeof nul - 1);
    edge("*-b+*", nul, sizeof nul - 1);
    /* ... and memmem reads a label that is not terminated at its length */
    static const char longer[] = "-a+-b+";
    edge("*-a+*", longer, 3);
    edge("*-b+*", longer, 3);
    edge("*+-*", longer, 4);
    edge("*-b+*", longer, 6);
}

Test(label_tokens, long_labels_grow_the_index)
{
    /* more spans than the first table holds, then a short label again */
    char big[6000];
    size_t n = 0;
    for (int i = 0; n + 8 < sizeof big; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "-%d+", i % 1000);
    edge("*-999+*", big, n);
    edge("*+-*", big, n);
    edge("*-1000+*", big, n);
    edge("*+-5+*", big, n);
    edge("*-ax+*", "x^pau-ax+b", 10);
}

Test(label_tokens, reused_index_forgets_the_last_label)
{
    ss_pattern p;
    char err[64];
    cr_assert_eq(ss_pattern_compile("*-ax+*", &p, err, sizeof err), 0);
    ss_label_tokens t;
    ss_label_tokens_init(&t);
    const char *a = "x^pau-ax+b", *b = "x^pau-bx+b";
    for (int r = 0; r < 3; r++) {
        cr_assert_eq(ss_label_tokens_index(&t, a, strlen(a), ALL_RUNS), 0);
        cr_assert(ss_pattern_match_tokens(&p, &t, a, strlen(a)));
        cr_assert_eq(ss_label_tokens_index(&t, b, strlen(b), ALL_RUNS), 0);
        cr_assert_not(ss_pattern_match_tokens(&p, &t, b, strlen(b)));
    }
    /* a mask without run count 1: the substring search answers */
    cr_assert_eq(ss_label_tokens_index(&t, a, strlen(a), 1u << 2), 0);
    cr_assert_not(ss_label_tokens_covers(&t, 1));
    cr_assert(ss_pattern_match_tokens(&p, &t, a, strlen(a)));
    ss_label_tokens_free(&t);
    ss_pattern_free(&p);
}

Test(label_tokens, prepared_voice_derives_field_classes)
{
    char err[256];
    ss_htsvoice *v = load_voice();
    struct stat src;
    cr_assert_eq(stat(VOICE, &src), 0);
    char path[] = "/tmp/ss_tokens_prepared_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(ss_htsvoice_write_prepared(v, &src, path, err, sizeof err), 0, "%s", err);
    ss_htsvoice *p = NULL;
    cr_assert_eq(ss_htsvoice_read_prepared(path, &src, &p, err, sizeof err), SS_PREPARED_OK, "%s", err);
    unlink(path);
    const ss_tree_set *a = &v->streams[1].pdf.trees, *b = &p->streams[1].pdf.trees;
    cr_assert_neq(a->field_runs, 0u);
    cr_assert_eq(a->field_runs, b->field_runs);
    cr_assert_eq(v->dur.trees.field_runs, p->dur.trees.field_runs);
    for (size_t q = 0; q < a->nquestions; q++)
        for (size_t k = 0; k < a->questions[q].npats; k++) {
            const ss_pattern *x = &a->questions[q].pats[k], *y = &b->questions[q].pats[k];
            cr_assert_eq(x->field, y->field);
            cr_assert_eq(x->runs, y->runs);
            cr_assert_eq(x->hash, y->hash);
            cr_assert_eq(x->word, y->word);
        }
    ss_htsvoice_free(p);
    ss_htsvoice_free(v);
}
