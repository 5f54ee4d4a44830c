/* Festival's POS tagger (see pos_tagger.h), after festival's pos.cc:
 * the path score is the sum over words of the candidate's lexicon score plus
 * log P(tag | two previous tags) (log 1e-8 where the trigram has no mass);
 * the search keeps the best path per trigram state (the last two tags). The
 * first word's context is "nn punc" (pos_pp_start_tag, pos_p_start_tag). No
 * global state. */
#include "node/engine/frontend/pos_tagger.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int state, tag, back;
    double score;
} pos_path;

/* Word i's candidates: its lexicon entry, else _number_ / _OOV_. */
static int candidates(const char *word, ss_pos_candidate *out)
{
    int n = ss_festival_pos_lookup(word, out, SS_POS_MAX_CANDIDATES);
    if (n > 0) return n;
    return ss_festival_pos_lookup(isdigit((unsigned char)word[0]) ? "_number_" : "_OOV_", out,
                                  SS_POS_MAX_CANDIDATES);
}

/* Adds (state, tag, score, back) to paths[*np], keeping the best per state;
 * slot_of[state] is the path's index among paths, -1 when none yet. */
static void add_path(pos_path *paths, int *np, int *slot_of, int state, int tag, double score,
                     int back)
{
    int k = slot_of[state];
    if (k >= 0) {
        if (score > paths[k].score) paths[k] = (pos_path){state, tag, back, score};
        return;
    }
    slot_of[state] = *np;
    paths[(*np)++] = (pos_path){state, tag, back, score};
}

/* The search's working memory: the candidates of every word, and the paths
 * of word i in all[start[i] .. start[i] + count[i]) (at most
 * |cands(i-1)| x |cands(i)| states each). */
typedef struct {
    ss_pos_candidate *cand; /* [n * SS_POS_MAX_CANDIDATES] */
    int *n_cand, *count, *slot_of;
    size_t *start;
    pos_path *all;
} tag_search;

static void search_free(tag_search *t)
{
    free(t->cand);
    free(t->n_cand);
    free(t->count);
    free(t->slot_of);
    free(t->start);
    free(t->all);
}

/* Looks up every word's candidates and allocates the paths. -1 on OOM. */
static int search_init(tag_search *t, const ss_est_ngram *g, const char *const *words, size_t n)
{
    memset(t, 0, sizeof *t);
    t->cand = malloc(n * SS_POS_MAX_CANDIDATES * sizeof *t->cand);
    t->n_cand = malloc(n * sizeof *t->n_cand);
    t->count = malloc(n * sizeof *t->count);
    t->start = malloc(n * sizeof *t->start);
    t->slot_of = malloc((size_t)g->n_states * sizeof *t->slot_of);
    if (!t->cand || !t->n_cand || !t->count || !t->start || !t->slot_of) return -1;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        t->n_cand[i] = candidates(words[i], t->cand + i * SS_POS_MAX_CANDIDATES);
        cap += (size_t)t->n_cand[i] * (size_t)(i ? t->n_cand[i - 1] : 1);
    }
    t->all = malloc((cap ? cap : 1) * sizeof *t->all);
    if (!t->all) return -1;
    memset(t->slot_of, 0xff, (size_t)g->n_states * sizeof *t->slot_of);
    return 0;
}

/* Extends the paths of word i-1 (or the start) with word i's candidates;
 * returns how many paths word i has. */
static int search_step(tag_search *t, const ss_est_ngram *g, size_t i, size_t used, int init_state)
{
    int nc = t->n_cand[i];
    const ss_pos_candidate *c = t->cand + i * SS_POS_MAX_CANDIDATES;
    pos_path *cur = t->all + used;
    int np = 0;
    int n_prev = i ? t->count[i - 1] : 1;
    for (int p = 0; p < n_prev; p++) {
        const pos_path *from = i ? &t->all[t->start[i - 1] + (size_t)p] : NULL;
        int old = from ? from->state : init_state;
        for (int k = nc - 1; k >= 0; k--) { /* festival lists them reversed */
            double prob = ss_est_ngram_prob(g, old, c[k].tag);
            double lp = prob == 0 ? log(0.00000001) : log(prob);
            double score = c[k].score + lp + (from ? from->score : 0);
            add_path(cur, &np, t->slot_of, ss_est_ngram_next(g, old, c[k].tag), c[k].tag, score,
                     from ? p : -1);
        }
    }
    for (int k = 0; k < np; k++) t->slot_of[cur[k].state] = -1;
    return np;
}

int ss_pos_tag(const ss_festival_models *m, const char *const *words, size_t n, int *tags,
               char *err, size_t errlen)
{
    if (n == 0) return 0;
    const ss_est_ngram *g = &m->pos_trigram;
    tag_search t;
    if (search_init(&t, g, words, n)) {
        search_free(&t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int ctx[2] = {ss_est_ngram_vocab(g, "nn"), ss_est_ngram_vocab(g, "punc")};
    int init_state = ss_est_ngram_state(g, ctx);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        t.start[i] = used;
        t.count[i] = search_step(&t, g, i, used, init_state);
        used += (size_t)t.count[i];
        if (t.count[i] == 0) { /* no candidate at all: the lexicon lacks _OOV_ */
            search_free(&t);
            snprintf(err, errlen, "POS tagger: no tag candidates for '%s'", words[i]);
            return -1;
        }
    }
    int best = 0;
    const pos_path *last = t.all + t.start[n - 1];
    for (int k = 1; k < t.count[n - 1]; k++)
        if (last[k].score > last[best].score) best = k;
    for (size_t i = n; i-- > 0;) {
        const pos_path *p = &t.all[t.start[i] + (size_t)best];
        tags[i] = p->tag;
        best = p->back;
    }
    search_free(&t);
    return 0;
}

const char *ss_pos_wp20(const char *t)
{
    static const struct {
        const char *from, *to;
    } map[] = {
        {"vbd", "v"},  {"vb", "v"},   {"vbn", "v"},   {"vbz", "v"},  {"vbp", "v"},  {"vbg", "v"},
        {"nn", "n"},   {"nnp", "n"},  {"nns", "n"},   {"nnps", "n"}, {"fw", "n"},   {"sym", "n"},
        {"ls", "n"},   {"dt", "dt"},  {"punc", "punc"}, {"fpunc", "punc"}, {"in", "in"},
        {"jj", "j"},   {"jjr", "j"},  {"jjs", "j"},   {"1", "j"},    {"2", "j"},    {"prp", "prp"},
        {"rb", "r"},   {"rp", "r"},   {"rbr", "r"},   {"rbs", "r"},  {"cc", "cc"},  {"of", "of"},
        {"to", "to"},  {"cd", "cd"},  {"md", "md"},   {"pos", "pos"}, {"wdt", "wdt"}, {"wp", "wp"},
        {"wrb", "wrb"}, {"ex", "ex"}, {"uh", "uh"},   {"pdt", "pdt"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].from, t) == 0) return map[i].to;
    return t;
}
