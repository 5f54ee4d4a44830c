/* Growable token list for the normaliser (see text_token.h). */
#include "node/engine/frontend/text_token.h"

#include <stdlib.h>
#include <string.h>

int ss_token_list_push(ss_token_list *l, const char *word, size_t len, size_t src_start,
                       size_t src_end, const char *phones)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        ss_token *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    ss_token *t = &l->v[l->n];
    memset(t, 0, sizeof *t);
    t->word = malloc(len + 1);
    if (!t->word) return -1;
    memcpy(t->word, word, len);
    t->word[len] = 0;
    if (phones) {
        t->phones = strdup(phones);
        if (!t->phones) { free(t->word); return -1; }
    }
    t->src_start = src_start;
    t->src_end = src_end;
    t->rate = 1.0;
    l->n++;
    return 0;
}

void ss_token_list_free(ss_token_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].word);
        free(l->v[i].phones);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
