/* Phrase breaks and pause insertion (see phrasing.h).
 *
 * Breaks are festival's own prediction for the slt voice (Phrase_Method
 * prob_models): the sentence becomes festival's Word items — our words, a
 * split-off "'s" joined back to its word, and each punctuation mark as a
 * word of its own — which are POS-tagged (pos_tagger.c) and given B / NB by
 * festival's break model (phrase_break_model.c). As festival's Pauses
 * module does, a B on a punctuation item moves to the word before it. An
 * SSML <break> (strength above "none"), </s>, </p> and a dash always break,
 * and so does the last word.
 *
 * Every break is a major break (festival's BB, break index 4), which is what
 * festival's labels for this voice show for both internal and final breaks.
 * Each break gets a `pau`; an SSML break with a time carries it as pause_ms. */
#include "node/engine/frontend/phrasing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/festival_models.h"
#include "node/engine/frontend/phrase_break_model.h"
#include "node/engine/frontend/pos_tagger.h"

/* One festival Word item: words[word] of the sentence, or the punctuation
 * after it (punct != 0). */
typedef struct {
    char text[64]; /* longer words are unknown to the POS lexicon anyway */
    size_t word;
    char punct;
    size_t token; /* festival token it belongs to (items of one text token) */
} break_item;

/* Punctuation festival's tokeniser makes into words of their own. */
static int is_festival_punct(char c)
{
    return c && strchr(",.?!;:\"()", c) != NULL;
}

static int same_source(const ss_token *a, const ss_token *b)
{
    return a->src_start == b->src_start && a->src_end == b->src_end;
}

/* Builds the item list of the sentence into items (capacity 2 * n_words).
 * Returns the number of items. */
static size_t build_items(const ss_sentence *s, const ss_token *tokens, break_item *items)
{
    size_t n = 0, token = 0;
    for (size_t i = 0; i < s->n_words; i++) {
        if (n > 0 && !(items[n - 1].punct == 0 && same_source(&tokens[i - 1], &tokens[i]))) token++;
        break_item *it = &items[n++];
        snprintf(it->text, sizeof it->text, "%s", s->words[i].text);
        it->word = i;
        it->punct = 0;
        it->token = token;
        if (is_festival_punct(tokens[i].punct)) {
            break_item *pu = &items[n++];
            pu->text[0] = tokens[i].punct;
            pu->text[1] = 0;
            pu->word = i;
            pu->punct = tokens[i].punct;
            pu->token = token;
        }
    }
    return n;
}

/* Festival's B / NB for every word; brk[i] = 1 where word i ends a phrase
 * by the model. -1 with a message. */
static int model_breaks(const ss_sentence *s, const ss_token *tokens, int *brk, char *err,
                        size_t errlen)
{
    const ss_festival_models *m = ss_festival_models_get(err, errlen);
    if (!m) return -1;
    size_t cap = 2 * s->n_words + 1;
    break_item *items = calloc(cap, sizeof *items);
    const char **texts = calloc(cap, sizeof *texts);
    int *tags = calloc(cap, sizeof *tags);
    int *ibrk = calloc(cap, sizeof *ibrk);
    ss_break_word *bw = calloc(cap, sizeof *bw);
    int rc = -1;
    if (!items || !texts || !tags || !ibrk || !bw) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t n = build_items(s, tokens, items);
    for (size_t k = 0; k < n; k++) texts[k] = items[k].text;
    if (ss_pos_tag(m, texts, n, tags, err, errlen)) goto out;
    for (size_t k = 0; k < n; k++) {
        bw[k].wp20 = ss_pos_wp20(m->pos_trigram.vocab[tags[k]]);
        size_t len = 0;
        for (size_t j = 0; j < n; j++) len += items[j].token == items[k].token;
        bw[k].inside_token = k + 1 < n && items[k + 1].token == items[k].token && len < 7;
    }
    if (ss_phrase_break_predict(m, bw, n, ibrk, err, errlen)) goto out;
    for (size_t k = 0; k < n; k++)
        if (ibrk[k]) brk[items[k].word] = 1;
    rc = 0;
out:
    free(items);
    free(texts);
    free(tags);
    free(ibrk);
    free(bw);
    return rc;
}

/* Decides s->words[i].brk for every word. -1 with a message. */
static int decide_breaks(ss_sentence *s, const ss_token *tokens, char *err, size_t errlen)
{
    size_t n = s->n_words;
    int *brk = calloc(n ? n : 1, sizeof *brk);
    if (!brk) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (n && model_breaks(s, tokens, brk, err, errlen)) {
        free(brk);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (i + 1 == n || tokens[i].phrase_break || tokens[i].punct == '-') brk[i] = 1;
        s->words[i].brk = brk[i] ? 4 : 1;
    }
    free(brk);
    return 0;
}

int ss_phrasing_breaks(ss_sentence *s, const ss_token *tokens, char *err, size_t errlen)
{
    if (decide_breaks(s, tokens, err, errlen)) return -1;
    size_t n_phr = 0;
    for (size_t i = 0; i < s->n_words; i++)
        if (s->words[i].brk == 4) n_phr++;
    free(s->phrases);
    s->phrases = calloc(n_phr ? n_phr : 1, sizeof(ss_phrase));
    ss_phone *ph = calloc(s->n_phones + n_phr + 1, sizeof(ss_phone));
    if (!s->phrases || !ph) {
        free(ph);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->n_phrases = 0;
    size_t np = 0;
    /* Leading pause. */
    strcpy(ph[np].name, "pau");
    ph[np].syllable = ph[np].word = -1;
    np++;
    int phrase_start = 0;
    for (size_t i = 0; i < s->n_words; i++) {
        ss_word *w = &s->words[i];
        w->phrase = (int)s->n_phrases;
        for (int k = 0; k < w->n_syls; k++) {
            ss_syllable *y = &s->syls[w->first_syl + k];
            int first = (int)np;
            for (int p = 0; p < y->n_phones; p++) ph[np++] = s->phones[y->first_phone + p];
            y->first_phone = first;
            y->brk = k + 1 < w->n_syls ? 0 : w->brk;
        }
        /* A word without syllables (split-off "'s") closing a phrase: the
         * break belongs to the syllable it leans on. */
        if (w->n_syls == 0 && w->brk == 4 && w->first_syl > 0) s->syls[w->first_syl - 1].brk = 4;
        if (w->brk == 4) {
            s->phrases[s->n_phrases].first_word = phrase_start;
            s->phrases[s->n_phrases].n_words = (int)i + 1 - phrase_start;
            s->n_phrases++;
            phrase_start = (int)i + 1;
            strcpy(ph[np].name, "pau");
            ph[np].syllable = ph[np].word = -1;
            ph[np].pause_ms = w->pause_ms;
            np++;
        }
    }
    free(s->phones);
    s->phones = ph;
    s->n_phones = np;
    return 0;
}
