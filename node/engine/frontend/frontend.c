/* Front-end pipeline (see frontend.h): a stream of sentences pulled one at
 * a time, plain text normalised a window at a time under it
 * (text_stream.h), so neither the tokens nor the labels of a long text are
 * ever all in memory; ss_frontend_analyze is the stream run to its end.
 * Holds no mutable state of its own: the only process-wide state is
 * flite's, owned by flite_analysis.c, and festival's model data, loaded
 * once by festival_models.c. */
#include "node/engine/frontend/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/festival_models.h"
#include "node/engine/frontend/flite_analysis.h"
#include "node/engine/frontend/label_writer.h"
#include "node/engine/frontend/phrasing.h"
#include "node/engine/frontend/ssml_parser.h"
#include "node/engine/frontend/text_normalize.h"
#include "node/engine/frontend/text_stream.h"

struct ss_frontend {
    int ready;
};

ss_frontend *ss_frontend_create(char *err, size_t errlen)
{
    if (ss_flite_init(err, errlen)) return NULL;
    if (!ss_festival_models_get(err, errlen)) return NULL;
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

static int splits_possessive(const ss_token *t)
{
    size_t n = strlen(t->word);
    return n > 2 && !strcmp(t->word + n - 2, "'s") && !t->phones && !kept_whole(t->word);
}

/* Splits the possessives of l->v[from..*to) in place (tokens "man's" ->
 * "man", "'s"), moving the tokens after them up; *to follows. -1 on OOM
 * (the list is unchanged). */
static int split_possessives(ss_token_list *l, size_t from, size_t *to)
{
    size_t extra = 0;
    for (size_t i = from; i < *to; i++) extra += (size_t)splits_possessive(&l->v[i]);
    if (!extra) return 0;
    char **suffix = calloc(extra, sizeof *suffix);
    if (!suffix) return -1;
    for (size_t e = 0; e < extra; e++)
        if (!(suffix[e] = strdup("'s"))) goto oom;
    if (l->n + extra > l->cap) {
        ss_token *v = realloc(l->v, (l->n + extra) * sizeof *v);
        if (!v) goto oom;
        l->v = v;
        l->cap = l->n + extra;
    }
    memmove(l->v + *to + extra, l->v + *to, (l->n - *to) * sizeof *l->v);
    /* Backwards, so no token is overwritten before it is moved. */
    size_t k = *to + extra, e = extra;
    for (size_t i = *to; i-- > from;) {
        ss_token t = l->v[i];
        if (splits_possessive(&t)) {
            ss_token base = t;
            base.word[strlen(base.word) - 2] = 0;
            base.punct = 0;
            base.sentence_end = base.phrase_break = base.pause_ms = 0;
            t.word = suffix[--e];
            t.phones = NULL;
            l->v[--k] = t;
            l->v[--k] = base;
        } else {
            l->v[--k] = t;
        }
    }
    l->n += extra;
    *to += extra;
    free(suffix);
    return 0;
oom:
    for (size_t e = 0; e < extra; e++) free(suffix[e]);
    free(suffix);
    return -1;
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

/* The sentences of one text, analysed on demand (see frontend.h). The
 * tokens not yet in a sentence are toks.v[0..toks.n); the first n_final of
 * them are final (possessives split). The last token read is not final
 * until the text is finished or a later token is read: a dash or dots
 * after it may still give it a comma (text_normalize_words.c). */
struct ss_frontend_stream {
    ss_token_list toks;
    size_t n_final;
    ss_text_stream text;        /* plain text still to read (done for SSML) */
    const ss_lexicon *lexicon;
};

int ss_frontend_stream_open(ss_frontend *fe, const char *text, size_t len,
                            const ss_frontend_options *opts, ss_frontend_stream **out, char *err,
                            size_t errlen)
{
    *out = NULL;
    if (!fe || (!text && len)) {
        snprintf(err, errlen, "invalid arguments");
        return -1;
    }
    ss_frontend_options def = {0};
    if (!opts) opts = &def;
    ss_frontend_stream *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->lexicon = opts->lexicon;
    int ssml = opts->input == SS_INPUT_SSML || (opts->input == SS_INPUT_AUTO && is_ssml(text, len));
    if (!ssml) {
        ss_text_stream_init(&st->text, text, len);
        *out = st;
        return 0;
    }
    ss_text_stream_init(&st->text, text, 0); /* nothing left to read after the parse */
    st->text.read_to = len;
    if (ss_ssml_to_tokens(text, len, &st->toks, err, errlen)) {
        ss_frontend_stream_free(st);
        /* The SSML reader fails for two reasons only: the text (its
         * message names the offending place) or memory (its message is
         * exactly "out of memory"). */
        return strcmp(err, "out of memory") ? SS_FRONTEND_INVALID_TEXT : -1;
    }
    *out = st;
    return 0;
}

size_t ss_frontend_stream_bytes_read(const ss_frontend_stream *st)
{
    return st->text.read_to;
}

bool ss_frontend_stream_finished(const ss_frontend_stream *st)
{
    return st->text.done && st->toks.n == 0;
}

void ss_frontend_stream_free(ss_frontend_stream *st)
{
    if (!st) return;
    ss_token_list_free(&st->toks);
    free(st);
}

/* Makes toks.v[0..i] final, reading more text when needed. 1 when they
 * are, 0 when the text has fewer tokens, -1 out of memory (err set). */
static int make_final(ss_frontend_stream *st, size_t i, char *err, size_t errlen)
{
    while (st->n_final <= i) {
        if (!st->text.done && ss_text_stream_read(&st->text, &st->toks, err, errlen)) return -1;
        size_t final = st->text.done ? st->toks.n : st->toks.n ? st->toks.n - 1 : 0;
        if (split_possessives(&st->toks, st->n_final, &final)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        st->n_final = final;
        if (st->text.done && st->n_final <= i) return 0;
    }
    return 1;
}

/* Whether the sentence toks.v[0..i] ends at token i. Over-long sentences
 * are cut at punctuation or forced breaks past half the cap, and
 * unconditionally at the cap. */
static int sentence_ends_at(const ss_frontend_stream *st, size_t i)
{
    const ss_token *t = &st->toks.v[i];
    size_t nw = i + 1;
    if (t->sentence_end || (st->text.done && i + 1 == st->toks.n)) return 1;
    if (nw >= SS_FRONTEND_MAX_SENTENCE_WORDS) return 1;
    return nw >= SS_FRONTEND_MAX_SENTENCE_WORDS / 2 && (t->punct || t->phrase_break);
}

/* Drops toks.v[0..n), which a sentence has been made of. */
static void drop_tokens(ss_frontend_stream *st, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        free(st->toks.v[j].word);
        free(st->toks.v[j].phones);
    }
    memmove(st->toks.v, st->toks.v + n, (st->toks.n - n) * sizeof *st->toks.v);
    st->toks.n -= n;
    st->n_final -= n;
}

int ss_frontend_stream_next(ss_frontend_stream *st, ss_sentence *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0;; i++) {
        int rc = make_final(st, i, err, errlen);
        if (rc < 0) return -1;
        if (rc == 0) return 0; /* i == 0 here: the last sentence ended at its last token */
        if (!sentence_ends_at(st, i)) continue;
        if (analyze_sentence(st->toks.v, i + 1, st->lexicon, s, err, errlen)) return -1;
        drop_tokens(st, i + 1);
        return 1;
    }
}

int ss_frontend_analyze(ss_frontend *fe, const char *text, size_t len,
                        const ss_frontend_options *opts, ss_utterance **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    ss_frontend_stream *st;
    int rc = ss_frontend_stream_open(fe, text, len, opts, &st, err, errlen);
    if (rc) return rc;
    ss_utterance *u = calloc(1, sizeof *u);
    size_t cap = 0;
    if (!u) goto oom;
    for (;;) {
        if (u->n_sentences == cap) {
            size_t c2 = cap ? cap * 2 : 4;
            ss_sentence *v = realloc(u->sentences, c2 * sizeof *v);
            if (!v) goto oom;
            u->sentences = v;
            cap = c2;
        }
        rc = ss_frontend_stream_next(st, &u->sentences[u->n_sentences], err, errlen);
        if (rc < 0) {
            ss_utterance_free(u);
            ss_frontend_stream_free(st);
            return -1;
        }
        if (rc == 0) break;
        u->n_sentences++;
    }
    ss_frontend_stream_free(st);
    *out = u;
    return 0;
oom:
    ss_utterance_free(u);
    ss_frontend_stream_free(st);
    snprintf(err, errlen, "out of memory");
    return -1;
}
