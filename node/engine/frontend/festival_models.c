/* Loading festival's POS and phrase-break model data (see festival_models.h).
 *
 * Global state: g_models, g_lex_* and g_err are written once inside
 * pthread_once (load_once) and only read afterwards; nothing is freed before
 * the process exits (the data is needed for its whole life, ~3 MB).
 *
 * The POS lexicon is festival's compiled lexicon file: a header line, then
 * one entry per line, ("word" ((tag logp) (tag logp) ...) () ), sorted. It
 * is kept as an open-addressing hash of lower-cased words; festival's lookup
 * compares case-insensitively and takes the first matching entry, so the
 * first entry of each lower-cased spelling is kept. pos.scm's own entries
 * (_OOV_, _number_, punctuation) are added first and take precedence, as
 * festival's lexicon addenda do. */
#include "node/engine/frontend/festival_models.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *word; /* lower case; NULL = empty slot */
    int first, n;
} lex_slot;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static ss_festival_models g_models;
static int g_loaded;
static char g_err[640];
static lex_slot *g_lex_slots;
static size_t g_lex_mask;
static ss_pos_candidate *g_lex_cands;
static size_t g_lex_n_cands, g_lex_cap_cands;

/* pos.scm: (lex.add.entry ...) for the wp39 tag set. */
static const char *const k_addenda[] = {
    "_OOV_ nnp -2.9144 jj -2.7357 nn -3.5787 nns -3.4933 vbn -3.2486 vbg -2.9419 "
    "vb -3.5471 vbd -3.7896 vbz -3.7820 rb -4.1940 vbp -3.2755 nnps -2.1605",
    "_number_ cd -0.35202 jj -4.1083 nns -6.4488 nnp -7.3595",
    ", punc -0.88488",
    ". punc -1.1104",
    ": punc -4.4236",
    "`` punc -2.7867",
    "` punc -2.7867",
    "' punc -2.7867",
    "\" punc -2.7867",
};

static uint64_t hash_word(const char *w)
{
    uint64_t h = 1469598103934665603ull;
    for (; *w; w++) h = (h ^ (unsigned char)tolower((unsigned char)*w)) * 1099511628211ull;
    return h;
}

static int same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static lex_slot *find_slot(const char *w)
{
    size_t i = (size_t)hash_word(w) & g_lex_mask;
    while (g_lex_slots[i].word && !same_word(g_lex_slots[i].word, w)) i = (i + 1) & g_lex_mask;
    return &g_lex_slots[i];
}

static int push_cand(int tag, double score)
{
    if (g_lex_n_cands == g_lex_cap_cands) {
        size_t cap = g_lex_cap_cands ? g_lex_cap_cands * 2 : 65536;
        ss_pos_candidate *nc = realloc(g_lex_cands, cap * sizeof *nc);
        if (!nc) return -1;
        g_lex_cands = nc;
        g_lex_cap_cands = cap;
    }
    g_lex_cands[g_lex_n_cands].tag = tag;
    g_lex_cands[g_lex_n_cands].score = score;
    g_lex_n_cands++;
    return 0;
}

/* Adds word with the (tag, score) pairs in pairs[0..len): "tag num tag num".
 * A word already present keeps its first entry. -1 out of memory. */
static int add_entry(const char *word, size_t wlen, const char *pairs, size_t len)
{
    char w[128];
    if (wlen == 0 || wlen >= sizeof w) return 0;
    memcpy(w, word, wlen);
    w[wlen] = 0;
    lex_slot *slot = find_slot(w);
    if (slot->word) return 0;
    size_t first = g_lex_n_cands;
    const char *p = pairs, *end = pairs + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '(' || *p == ')')) p++;
        const char *t = p;
        while (p < end && *p != ' ' && *p != ')') p++;
        if (p == t) break;
        char tag[16];
        size_t tl = (size_t)(p - t);
        if (tl >= sizeof tag) return 0;
        memcpy(tag, t, tl);
        tag[tl] = 0;
        while (p < end && *p == ' ') p++;
        char *num_end;
        double score = strtod(p, &num_end);
        if (num_end == p) break;
        p = num_end;
        int idx = ss_est_ngram_vocab(&g_models.pos_trigram, tag);
        if (idx >= 0 && push_cand(idx, score)) return -1;
    }
    char *copy = malloc(wlen + 1);
    if (!copy) return -1;
    for (size_t i = 0; i <= wlen; i++) copy[i] = (char)tolower((unsigned char)w[i]);
    slot->word = copy;
    slot->first = (int)first;
    slot->n = (int)(g_lex_n_cands - first);
    return 0;
}

/* Parses the compiled lexicon text. -1 with g_err set. */
static int load_poslex(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(g_err, sizeof g_err, "cannot open %s", path);
        return -1;
    }
    g_lex_mask = (1u << 17) - 1; /* 131072 slots for ~33 000 words */
    g_lex_slots = calloc(g_lex_mask + 1, sizeof *g_lex_slots);
    if (!g_lex_slots) goto oom;
    for (size_t i = 0; i < sizeof k_addenda / sizeof k_addenda[0]; i++) {
        const char *sp = strchr(k_addenda[i] + 1, ' ');
        if (add_entry(k_addenda[i], (size_t)(sp - k_addenda[i]), sp, strlen(sp))) goto oom;
    }
    char line[1024];
    size_t n_words = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '(' || line[1] != '"') continue;
        const char *w = line + 2;
        const char *q = strchr(w, '"');
        if (!q) continue;
        const char *pairs = strstr(q, "((");
        const char *pend = pairs ? strstr(pairs, ") )") : NULL;
        if (!pairs || !pend) continue;
        if (++n_words > (g_lex_mask + 1) / 2) {
            snprintf(g_err, sizeof g_err, "%s: more words than expected", path);
            fclose(f);
            return -1;
        }
        if (add_entry(w, (size_t)(q - w), pairs, (size_t)(pend - pairs))) goto oom;
    }
    fclose(f);
    if (n_words < 1000) {
        snprintf(g_err, sizeof g_err, "%s: not a POS lexicon", path);
        return -1;
    }
    return 0;
oom:
    fclose(f);
    snprintf(g_err, sizeof g_err, "out of memory");
    return -1;
}

static void load_once(void)
{
    static const struct {
        ss_est_ngram *g;
        const char *file;
    } grams[] = {
        {&g_models.pos_trigram, "dicts/wsj.wp39.tri.ngrambin"},
        {&g_models.break_pos, "sec.ts20.quad.ngrambin"},
        {&g_models.break_ngram, "sec.B.hept.ngrambin"},
    };
    char path[128];
    for (size_t i = 0; i < sizeof grams / sizeof grams[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", SS_FESTIVAL_DATA_DIR, grams[i].file);
        if (ss_est_ngram_load(grams[i].g, path, g_err, sizeof g_err)) return;
    }
    snprintf(path, sizeof path, "%s/dicts/wsj.wp39.poslexR", SS_FESTIVAL_DATA_DIR);
    if (load_poslex(path)) return;
    g_loaded = 1;
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

const ss_pos_candidate *ss_festival_pos_lookup(const char *word, int *n)
{
    *n = 0;
    if (!g_loaded || !word[0]) return NULL;
    const lex_slot *s = find_slot(word);
    if (!s->word) return NULL;
    *n = s->n;
    return g_lex_cands + s->first;
}
