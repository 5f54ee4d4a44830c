/* Loading festival's POS and phrase-break model data (see festival_models.h).
 *
 * Global state: g_models, g_lex, g_lex_len and g_err are written once inside
 * pthread_once (load_once) and only read afterwards; nothing is unmapped or
 * freed before the process exits (the data is needed for its whole life).
 *
 * The POS lexicon is festival's compiled lexicon file: a header line, then
 * one entry per line, ("word" ((tag logp) (tag logp) ...) () ), sorted
 * (byte order, all lower case, one entry per word). Like festival, we do
 * not load it: it is mapped read-only and binary-searched per lookup, so
 * start-up costs nothing and only the pages touched are read. pos.scm's own
 * entries (_OOV_, _number_, punctuation) are looked up first, as festival's
 * lexicon addenda are. */
#include "node/engine/frontend/festival_models.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static ss_festival_models g_models;
static int g_loaded;
static char g_err[640];
static const char *g_lex;  /* the mapped POS lexicon */
static size_t g_lex_len;

/* pos.scm: (lex.add.entry ...) for the wp39 tag set, in the lexicon's own
 * line format. */
static const char *const k_addenda[] = {
    "(\"_OOV_\" ((nnp -2.9144) (jj -2.7357) (nn -3.5787) (nns -3.4933) (vbn -3.2486) "
    "(vbg -2.9419) (vb -3.5471) (vbd -3.7896) (vbz -3.7820) (rb -4.1940) (vbp -3.2755) "
    "(nnps -2.1605) ) () )",
    "(\"_number_\" ((cd -0.35202) (jj -4.1083) (nns -6.4488) (nnp -7.3595) ) () )",
    "(\",\" ((punc -0.88488) ) () )",
    "(\".\" ((punc -1.1104) ) () )",
    "(\":\" ((punc -4.4236) ) () )",
    "(\"``\" ((punc -2.7867) ) () )",
    "(\"`\" ((punc -2.7867) ) () )",
    "(\"'\" ((punc -2.7867) ) () )",
    "(\"\"\" ((punc -2.7867) ) () )",
};

/* Compares word with the head word of the entry starting at line (up to
 * end), ignoring case as festival does: <0, 0, >0 as strcmp. */
static int compare_head(const char *word, const char *line, const char *end)
{
    const char *p = line + 2; /* after ("  */
    for (;; word++, p++) {
        int c = p < end && *p != '"' ? tolower((unsigned char)*p) : 0;
        if (c == 0 && p < end && *p == '"' && p + 1 < end && p[1] == '"' && *word == '"')
            c = '"'; /* the entry for the double quote itself: ("""  */
        int w = tolower((unsigned char)*word);
        if (w != c) return w - c;
        if (w == 0) return 0;
    }
}

/* Parses the (tag logp) pairs of the entry line into out[0..max). */
static int parse_entry(const char *line, const char *end, ss_pos_candidate *out, int max)
{
    const char *p = line + 2;
    while (p < end && *p != '"') p++;
    if (p + 1 < end && p[1] == '"') p++; /* ("""  */
    const char *pairs = p;
    while (pairs + 1 < end && !(pairs[0] == '(' && pairs[1] == '(')) pairs++;
    int n = 0;
    p = pairs + 1;
    while (p < end && *p == '(' && n < max) {
        const char *t = ++p;
        while (p < end && *p != ' ' && *p != ')') p++;
        char tag[16];
        size_t tl = (size_t)(p - t);
        if (tl == 0 || tl >= sizeof tag) break;
        memcpy(tag, t, tl);
        tag[tl] = 0;
        char num[32];
        size_t k = 0;
        while (p < end && *p == ' ') p++;
        while (p < end && *p != ')' && k + 1 < sizeof num) num[k++] = *p++;
        num[k] = 0;
        char *num_end;
        double score = strtod(num, &num_end);
        if (num_end == num) break;
        int idx = ss_est_ngram_vocab(&g_models.pos_trigram, tag);
        if (idx >= 0) out[n++] = (ss_pos_candidate){idx, score};
        while (p < end && *p != '(' && *p != '\n') {
            if (p + 1 < end && p[0] == ')' && p[1] == ' ' && p + 2 < end && p[2] == ')') break;
            p++;
        }
        if (p >= end || *p != '(') break;
    }
    return n;
}

/* Start of the line containing offset pos. */
static size_t line_start(size_t pos)
{
    while (pos > 0 && g_lex[pos - 1] != '\n') pos--;
    return pos;
}

static size_t line_end(size_t pos)
{
    const char *nl = memchr(g_lex + pos, '\n', g_lex_len - pos);
    return nl ? (size_t)(nl - g_lex) : g_lex_len;
}

int ss_festival_pos_lookup(const char *word, ss_pos_candidate *out, int max)
{
    if (!g_loaded || !word[0]) return 0;
    for (size_t i = 0; i < sizeof k_addenda / sizeof k_addenda[0]; i++) {
        const char *e = k_addenda[i] + strlen(k_addenda[i]);
        if (compare_head(word, k_addenda[i], e) == 0) return parse_entry(k_addenda[i], e, out, max);
    }
    size_t lo = line_end(0) + 1, hi = g_lex_len; /* entries start after the header */
    while (lo < hi) {
        size_t ls = line_start(lo + (hi - lo) / 2);
        if (ls < lo) ls = lo;
        size_t le = line_end(ls);
        if (le - ls < 3 || g_lex[ls] != '(') return 0;
        int c = compare_head(word, g_lex + ls, g_lex + le);
        if (c == 0) return parse_entry(g_lex + ls, g_lex + le, out, max);
        if (c < 0) hi = ls;
        else lo = le + 1;
    }
    return 0;
}

static int map_poslex(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(g_err, sizeof g_err, "cannot open %s", path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || st.st_size < 16) {
        close(fd);
        snprintf(g_err, sizeof g_err, "%s: not a POS lexicon", path);
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(g_err, sizeof g_err, "cannot map %s", path);
        return -1;
    }
    g_lex = m;
    g_lex_len = (size_t)st.st_size;
    if (memcmp(g_lex, "MNCL", 4) != 0) {
        snprintf(g_err, sizeof g_err, "%s: not a compiled festival lexicon", path);
        return -1;
    }
    return 0;
}

/* The data files, the n-grams in g_models' order, then the POS lexicon. */
static const char *const k_files[] = {"dicts/wsj.wp39.tri.ngrambin", "sec.ts20.quad.ngrambin",
                                      "sec.B.hept.ngrambin", "dicts/wsj.wp39.poslexR"};

static void load_once(void)
{
    ss_est_ngram *const grams[] = {&g_models.pos_trigram, &g_models.break_pos, &g_models.break_ngram};
    char path[128];
    for (size_t i = 0; i < sizeof grams / sizeof grams[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", SS_FESTIVAL_DATA_DIR, k_files[i]);
        if (ss_est_ngram_load(grams[i], path, g_err, sizeof g_err)) return;
    }
    snprintf(path, sizeof path, "%s/%s", SS_FESTIVAL_DATA_DIR, k_files[3]);
    if (map_poslex(path)) return;
    g_loaded = 1;
}

const char *ss_festival_model_file(size_t i)
{
    return i < sizeof k_files / sizeof k_files[0] ? k_files[i] : NULL;
}

const ss_festival_models *ss_festival_models_get(char *err, size_t errlen)
{
    pthread_once(&g_once, load_once);
    if (!g_loaded) {
        snprintf(err, errlen, "festival model data: %s", g_err);
        return NULL;
    }
    return &g_models;
}
