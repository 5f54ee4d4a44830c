/* Freeing of the analysed utterance (see utterance.h). */
#include "node/engine/frontend/utterance.h"

#include <stdlib.h>
#include <string.h>

void ss_sentence_clear(ss_sentence *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_words; i++) free(s->words[i].text);
    if (s->labels)
        for (size_t i = 0; i < s->n_phones; i++) free(s->labels[i]);
    free(s->labels);
    free(s->words);
    free(s->syls);
    free(s->phones);
    free(s->phrases);
    memset(s, 0, sizeof *s);
}

void ss_utterance_free(ss_utterance *u)
{
    if (!u) return;
    for (size_t i = 0; i < u->n_sentences; i++) ss_sentence_clear(&u->sentences[i]);
    free(u->sentences);
    free(u);
}
