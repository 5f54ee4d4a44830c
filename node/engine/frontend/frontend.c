/* Front-end pipeline (see frontend.h). Holds no mutable state of its own:
 * the only process-wide state is flite's, owned by flite_analysis.c. */
#include "node/engine/frontend/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/flite_analysis.h"
#include "node/engine/frontend/label_writer.h"
#include "node/engine/frontend/phrasing.h"
#include "node/engine/frontend/ssml_parser.h"
#include "node/engine/frontend/text_normalize.h"

struct ss_frontend {
    int ready;
};

ss_frontend *ss_frontend_create(char *err, size_t errlen)
{
    if (ss_flite_init(err, errlen)) return NULL;
    ss_frontend *fe = calloc(1, sizeof *fe);
    if (!fe) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fe->ready = 1;
    return fe;
}

void ss_frontend_free(ss_frontend *fe)
{
    free(fe);
}

static int is_ssml(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
    if (len - i >= 5 && !memcmp(text + i, "<?xml", 5)) return 1;
    return len - i >= 6 && !memcmp(text + i, "<speak", 6);
}

static int is_wh_word(const char *w)
{
    static const char *const wh[] = {"what", "who", "whom", "whose", "which", "when",
                                     "where", "why", "how"};
    for (size_t i = 0; i < sizeof wh / sizeof wh[0]; i++)
        if (!strcmp(w, wh[i])) return 1;
    return 0;
}

/* Contractions festival's lexicon holds whole; every other "X's" is split
 * into "X" + "'s" as festival's English tokeniser does. */
static int kept_whole(const char *w)
{
    static const char *const keep[] = {"it's",   "that's", "what's", "let's",  "he's",
                                       "she's",  "there's", "here's", "who's", "where's",
                                       "how's",  "when's", "why's",  "one's"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (!strcmp(w, keep[i])) return 1;
    return 0;
}

/* Splits possessives in place (tokens "man's" -> "man", "'s"). -1 on OOM. */
static int split_possessives(ss_token_list *l)
{
    size_t extra = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->v[i].word);
        if (n > 2 && !strcmp(l->v[i].word + n - 2, "'s") && !l->v[i].phones && !kept_whole(l->v[i].word))
            extra++;
    }
    if (!extra) return 0;
    ss_token *v = calloc(l->n + extra, sizeof *v);
    if (!v) return -1;
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        ss_token t = l->v[i];
        size_t n = strlen(t.word);
        if (n > 2 && !strcmp(t.word + n - 2, "'s") && !t.phones && !kept_whole(t.word)) {
            char *s = strdup("'s");
            if (!s) {
                for (size_t j = 0; j < k; j++) { free(v[j].word); free(v[j].phones); }
                free(v);
                return -1;
            }
            ss_token base = t;
            base.word[n - 2] = 0;
            base.punct = 0;
            base.sentence_end = base.phrase_break = base.pause_ms = 0;
            v[k++] = base;
            t.word = s;
            t.phones = NULL;
        }
        v[k++] = t;
    }
    free(l->v);
    l->v = v;
    l->n = l->cap = k;
    return 0;
}

/* Analyses tokens[0..n) as one sentence into s. */
static int analyze_sentence(const ss_token *tok, size_t n, const ss_lexicon *lex, ss_sentence *s,
                            char *err, size_t errlen)
{
    if (ss_flite_analyze(tok, n, lex, s, err, errlen)) return -1;
    if (ss_phrasing_breaks(s, tok, err, errlen)) goto fail;
    int yn = tok[n - 1].punct == '?' && !is_wh_word(tok[0].word);
    ss_phrasing_accents(s, yn);
    if (ss_label_write(s, err, errlen)) goto fail;
    return 0;
fail:
    ss_sentence_clear(s);
    return -1;
}

int ss_frontend_analyze(ss_frontend *fe, const char *text, size_t len,
                        const ss_frontend_options *opts, ss_utterance **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (!fe || (!text && len)) {
        snprintf(err, errlen, "invalid arguments");
        return -1;
    }
    ss_frontend_options def = {0};
    if (!opts) opts = &def;
    ss_token_list toks = {0};
    int ssml = opts->input == SS_INPUT_SSML || (opts->input == SS_INPUT_AUTO && is_ssml(text, len));
    int rc = ssml ? ss_ssml_to_tokens(text, len, &toks, err, errlen)
                  : ss_normalize(text, len, NULL, 0, SS_READ_AUTO, &toks, err, errlen);
    if (rc == 0 && split_possessives(&toks)) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc) {
        ss_token_list_free(&toks);
        /* The normaliser and the SSML reader fail for two reasons only: the
         * text (their message names the offending place) or memory (their
         * message is exactly "out of memory"). */
        return strcmp(err, "out of memory") ? SS_FRONTEND_INVALID_TEXT : -1;
    }
    ss_utterance *u = calloc(1, sizeof *u);
    size_t cap = 0;
    if (!u) goto oom;
    size_t start = 0;
    for (size_t i = 0; i < toks.n; i++) {
        size_t nw = i + 1 - start;
        int cut = toks.v[i].sentence_end || i + 1 == toks.n;
        /* Over-long sentences: cut at punctuation/forced breaks past half the
         * cap, and unconditionally at the cap. */
        if (!cut && nw >= SS_FRONTEND_MAX_SENTENCE_WORDS) cut = 1;
        if (!cut && nw >= SS_FRONTEND_MAX_SENTENCE_WORDS / 2 &&
            (toks.v[i].punct || toks.v[i].phrase_break))
            cut = 1;
        if (!cut) continue;
        if (u->n_sentences == cap) {
            size_t c2 = cap ? cap * 2 : 4;
            ss_sentence *v = realloc(u->sentences, c2 * sizeof *v);
            if (!v) goto oom;
            u->sentences = v;
            cap = c2;
        }
        ss_sentence *s = &u->sentences[u->n_sentences];
        memset(s, 0, sizeof *s);
        if (analyze_sentence(toks.v + start, nw, opts->lexicon, s, err, errlen)) {
            ss_utterance_free(u);
            ss_token_list_free(&toks);
            return -1;
        }
        u->n_sentences++;
        start = i + 1;
    }
    ss_token_list_free(&toks);
    *out = u;
    return 0;
oom:
    ss_utterance_free(u);
    ss_token_list_free(&toks);
    snprintf(err, errlen, "out of memory");
    return -1;
}
