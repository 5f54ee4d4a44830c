/* Festival's prob_models phrase breaks (see phrase_break_model.h), after
 * phrasify.cc (bb_candlist, bb_npath, find_b_prob):
 *
 *  - candidates per word: B and NB scored log P(POS window | juncture) (the
 *    n-gram's reverse probability; log 1e-7 where it is 0); a word inside a
 *    multi-word token has P(.|B) halved and P(.|NB) = 1 - (1 - P) / 2; the
 *    last word has only B, scored log 0.95;
 *  - path: plus log P(juncture | previous six junctures) from the 7-gram,
 *    times 0.59 for B (log 1e-8 where 0); the history before the first word
 *    is NB NB NB NB NB B;
 *  - Viterbi keeping the best path per 7-gram state (the last six
 *    junctures, at most 64).
 * No global state. */
#include "node/engine/frontend/phrase_break_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define GRAM_SCALE_S 0.59
#define MAX_STATES 64

typedef struct {
    int state, tag, back;
    double score;
} brk_path;

typedef struct {
    int tag;
    double score;
} brk_cand;

/* The candidates of word i (at most 2), festival's order (NB before B). */
static int word_candidates(const ss_festival_models *m, const ss_break_word *w, size_t n,
                           size_t i, int b, int nb, brk_cand *out)
{
    if (i + 1 == n) {
        out[0] = (brk_cand){b, log(0.95)};
        return 1;
    }
    const ss_est_ngram *g = &m->break_pos;
    int ctx[3];
    ctx[0] = i ? ss_est_ngram_vocab(g, w[i - 1].wp20) : ss_est_ngram_vocab(g, "punc");
    ctx[1] = ss_est_ngram_vocab(g, w[i].wp20);
    ctx[2] = ss_est_ngram_vocab(g, w[i + 1].wp20);
    int state = ss_est_ngram_state(g, ctx);
    const int tags[2] = {nb, b};
    for (int k = 0; k < 2; k++) {
        int tag = tags[k];
        double prob = ss_est_ngram_reverse(g, state, ss_est_ngram_pred(g, tag == b ? "B" : "NB"));
        if (w[i].inside_token) prob = tag == b ? prob * 0.5 : 1.0 - (1.0 - prob) * 0.5;
        out[k] = (brk_cand){tag, prob == 0 ? log(0.0000001) : log(prob)};
    }
    return 2;
}

int ss_phrase_break_predict(const ss_festival_models *m, const ss_break_word *words, size_t n,
                            int *brk, char *err, size_t errlen)
{
    if (n == 0) return 0;
    const ss_est_ngram *bg = &m->break_ngram;
    int b = ss_est_ngram_vocab(bg, "B"), nb = ss_est_ngram_vocab(bg, "NB");
    if (bg->n_states > MAX_STATES || b < 0 || nb < 0) {
        snprintf(err, errlen, "festival break n-gram: unexpected shape");
        return -1;
    }
    brk_path *all = malloc(n * MAX_STATES * sizeof *all);
    int *count = malloc(n * sizeof *count);
    if (!all || !count) {
        free(all);
        free(count);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int hist[8];
    for (int k = 0; k < bg->order - 1; k++) hist[k] = nb;
    hist[bg->order - 2] = b;
    int init_state = ss_est_ngram_state(bg, hist);
    for (size_t i = 0; i < n; i++) {
        brk_cand cand[2];
        int nc = word_candidates(m, words, n, i, b, nb, cand);
        brk_path *cur = all + i * MAX_STATES;
        int np = 0;
        int n_prev = i ? count[i - 1] : 1;
        for (int p = 0; p < n_prev; p++) {
            const brk_path *from = i ? &all[(i - 1) * MAX_STATES + (size_t)p] : NULL;
            int old = from ? from->state : init_state;
            for (int k = 0; k < nc; k++) {
                double prob = ss_est_ngram_prob(bg, old, cand[k].tag);
                if (cand[k].tag == b) prob *= GRAM_SCALE_S;
                double lp = prob == 0 ? log(0.00000001) : log(prob);
                double score = cand[k].score + lp + (from ? from->score : 0);
                int st = ss_est_ngram_next(bg, old, cand[k].tag);
                int q = 0;
                while (q < np && cur[q].state != st) q++;
                if (q == np) cur[np++] = (brk_path){st, cand[k].tag, from ? p : -1, score};
                else if (score > cur[q].score) cur[q] = (brk_path){st, cand[k].tag, from ? p : -1, score};
            }
        }
        count[i] = np;
    }
    int best = 0;
    const brk_path *last = all + (n - 1) * MAX_STATES;
    for (int k = 1; k < count[n - 1]; k++)
        if (last[k].score > last[best].score) best = k;
    for (size_t i = n; i-- > 0;) {
        const brk_path *p = &all[i * MAX_STATES + (size_t)best];
        brk[i] = p->tag == b;
        best = p->back;
    }
    free(all);
    free(count);
    return 0;
}
