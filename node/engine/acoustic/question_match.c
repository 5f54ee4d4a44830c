/* Compiled glob patterns for HTS tree questions; see question_match.h. */
#include "node/engine/acoustic/question_match.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ss_glob_match(const char *p, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int ss_pattern_compile(const char *glob, ss_pattern *out, char *err, size_t errlen)
{
    size_t n = strlen(glob);
    size_t nstar = 0, nq = 0;
    for (size_t i = 0; i < n; i++) {
        if (glob[i] == '*')
            nstar++;
        else if (glob[i] == '?')
            nq++;
    }
    const char *lit = glob;
    size_t litlen = n;
    ss_pattern_kind kind = SS_PAT_GLOB;
    if (nq == 0) {
        if (nstar == 0) {
            kind = SS_PAT_EXACT;
        } else if (nstar == 1 && n >= 1 && glob[n - 1] == '*') {
            kind = SS_PAT_PREFIX;
            litlen = n - 1;
        } else if (nstar == 1 && glob[0] == '*') {
            kind = SS_PAT_SUFFIX;
            lit = glob + 1;
            litlen = n - 1;
        } else if (nstar == 2 && n >= 2 && glob[0] == '*' && glob[n - 1] == '*') {
            kind = SS_PAT_SUBSTR;
            lit = glob + 1;
            litlen = n - 2;
        }
    }
    if (kind == SS_PAT_GLOB) {
        lit = glob;
        litlen = n;
    }
    out->text = malloc(litlen + 1);
    if (!out->text) {
        snprintf(err, errlen, "out of memory compiling pattern");
        return -1;
    }
    memcpy(out->text, lit, litlen);
    out->text[litlen] = '\0';
    out->len = litlen;
    out->kind = kind;
    ss_pattern_index_field(out);
    return 0;
}

void ss_pattern_index_field(ss_pattern *p)
{
    int runs = p->kind == SS_PAT_SUBSTR ? ss_field_text_runs(p->text, p->len) : -1;
    p->field = runs >= 0;
    p->runs = (unsigned char)(runs >= 0 ? runs : 0);
    p->hash = runs >= 0 ? ss_field_text_hash(p->text, p->len) : 0;
    p->word = runs >= 0 && p->len <= SS_TOKENS_WORD ? ss_tokens_word(p->text, p->len) : 0;
}

void ss_pattern_free(ss_pattern *p)
{
    free(p->text);
    p->text = NULL;
}

bool ss_pattern_match(const ss_pattern *p, const char *label, size_t label_len)
{
    switch (p->kind) {
    case SS_PAT_EXACT:
        return label_len == p->len && memcmp(label, p->text, p->len) == 0;
    case SS_PAT_PREFIX:
        return label_len >= p->len && memcmp(label, p->text, p->len) == 0;
    case SS_PAT_SUFFIX:
        return label_len >= p->len && memcmp(label + label_len - p->len, p->text, p->len) == 0;
    case SS_PAT_SUBSTR:
        return p->len == 0 || (label[label_len] == '\0' ? strstr(label, p->text) != NULL
                                                         : memmem(label, label_len, p->text, p->len) != NULL);
    case SS_PAT_GLOB:
    default:
        return ss_glob_match(p->text, label);
    }
}

static inline bool match_tokens(const ss_pattern *p, const ss_label_tokens *tokens, const char *label,
                                size_t label_len)
{
    if (p->field && tokens && ss_label_tokens_covers(tokens, p->runs))
        return ss_label_tokens_has(tokens, p->text, p->len, p->hash, p->word);
    return ss_pattern_match(p, label, label_len);
}

bool ss_pattern_match_tokens(const ss_pattern *p, const ss_label_tokens *tokens, const char *label,
                             size_t label_len)
{
    assert(!tokens || (tokens->label == label && tokens->label_len == label_len));
    return match_tokens(p, tokens, label, label_len);
}

bool ss_question_match_tokens(const ss_question *q, const ss_label_tokens *tokens, const char *label,
                              size_t label_len)
{
    assert(!tokens || (tokens->label == label && tokens->label_len == label_len));
    for (size_t i = 0; i < q->npats; i++)
        if (match_tokens(&q->pats[i], tokens, label, label_len))
            return true;
    return false;
}

bool ss_question_match(const ss_question *q, const char *label, size_t label_len)
{
    for (size_t i = 0; i < q->npats; i++)
        if (ss_pattern_match(&q->pats[i], label, label_len))
            return true;
    return false;
}

void ss_question_free(ss_question *q)
{
    for (size_t i = 0; i < q->npats; i++)
        ss_pattern_free(&q->pats[i]);
    free(q->pats);
    free(q->name);
    q->pats = NULL;
    q->name = NULL;
    q->npats = 0;
}
