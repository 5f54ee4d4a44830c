/* A dense n-gram in Edinburgh Speech Tools' binary form ("NgramBin_2"), the
 * form festival's trained POS and phrase-break models ship in
 * (/usr/share/festival/{sec.*.ngrambin, dicts/wsj.wp39.tri.ngrambin}).
 *
 * The file: the 4 bytes "Ngra", then "mBin_2 ORDER\n", the vocabulary (the
 * context symbols) on one line, the predicted vocabulary on the next, then
 * big-endian doubles: for each of |vocab|^(ORDER-1) states (first context
 * word most significant) the frequency of each predicted symbol, run-length
 * coded (a value followed by -N means the value N times in all).
 *
 * Probabilities are computed as EST does: P(w | state) = freq / state total,
 * and the "reverse" probability P(context | w) = freq / total of w over all
 * states. An ss_est_ngram is immutable once loaded (shareable by threads). */
#ifndef SS_ENGINE_EST_NGRAM_H
#define SS_ENGINE_EST_NGRAM_H

#include <stddef.h>

typedef struct {
    int order;
    int n_vocab, n_pred;
    char **vocab, **pred;   /* symbol names */
    int n_states;           /* n_vocab^(order-1) */
    double *freq;           /* [n_states * n_pred], an anonymous mapping */
    size_t freq_bytes;      /* its length (munmap) */
    double *state_total;    /* [n_states] */
    double *pred_total;     /* [n_pred] */
} ss_est_ngram;

/* Loads path into g. 0 ok, -1 with a message (unreadable, not this format,
 * truncated, out of memory). */
int ss_est_ngram_load(ss_est_ngram *g, const char *path, char *err, size_t errlen);
void ss_est_ngram_free(ss_est_ngram *g);

/* Index of a context symbol, -1 if absent (EST then uses 0 in a state). */
int ss_est_ngram_vocab(const ss_est_ngram *g, const char *name);
/* Index of a predicted symbol, -1 if absent. */
int ss_est_ngram_pred(const ss_est_ngram *g, const char *name);

/* The state of the order-1 context symbols ctx[0..order-1) (negative = 0). */
int ss_est_ngram_state(const ss_est_ngram *g, const int *ctx);
/* The state after moving from state with symbol w. */
int ss_est_ngram_next(const ss_est_ngram *g, int state, int w);
/* P(w | state); 0 when the state was never seen. */
double ss_est_ngram_prob(const ss_est_ngram *g, int state, int w);
/* P(context of state | w), EST's reverse_probability. */
double ss_est_ngram_reverse(const ss_est_ngram *g, int state, int w);

#endif
