/* flite-based analysis of a sentence (see flite_analysis.h for the threading
 * rules: one global voice built once, every flite call under the
 * process-wide flite lock of flite_lock.h, shared with the clustergen voices).
 *
 * We do not run flite's tokenizer or text analysis: the normaliser already
 * produced speakable words, so we build flite's Token and Word relations
 * ourselves (one Word per Token, which keeps the word -> source-offset map
 * trivial) and run only flite's POS tagger and lexical insertion. flite's
 * phrasing, pauses, intonation and post-lexical rules are not used; they
 * differ from festival's (which made the voice's training labels) and are
 * replaced by phrasing_*.c. What flite's post-lexical rules would change we
 * handle here to match festival:
 *   - "the" stays "dh ax" before vowels (festival's slt voice has no
 *     vowel-reduction rule for it; flite would say "dh iy");
 *   - contractions in festival's lexicon ("it's", "that's", ...) stay one
 *     word ending in s after a voiceless consonant, z otherwise; other
 *     possessives arrive split ("man" + "'s", see frontend.c) and the "'s"
 *     word gets festival's postlex_apos_s_check treatment (add_possessive_s).
 * Homographs ("read", "record", "live", ...) get the pronunciation that
 * homographs.c chooses from flite's POS tags and the context; where it is
 * what flite's lexicon gave anyway, flite's syllables are kept. */
#include "node/engine/frontend/flite_analysis.h"

#include "node/engine/frontend/festival_lexicon.h"
#include "node/engine/frontend/flite_lock.h"
#include "node/engine/frontend/homographs.h"

#include <flite.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shipped without headers (see STACK-NOTES). */
void usenglish_init(cst_voice *v);
cst_lexicon *cmu_lex_init(void);

/* Global flite state: written once under g_once (and the flite lock), then
 * only read; every use of flite is serialised by ss_flite_lock. */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static cst_voice *g_voice;
static cst_lexicon *g_cmu;

static void flite_init_locked(void)
{
    flite_init();
    cst_voice *v = new_voice();
    if (!v) return;
    usenglish_init(v);
    cst_lexicon *lex = cmu_lex_init();
    if (!lex) return;
    feat_set(v->features, "lexicon", lexicon_val(lex));
    g_cmu = lex;
    g_voice = v;
}

static void flite_init_once(void)
{
    ss_flite_lock();
    flite_init_locked();
    ss_flite_unlock();
}

int ss_flite_init(char *err, size_t errlen)
{
    pthread_once(&g_once, flite_init_once);
    if (!g_voice || !g_cmu) {
        snprintf(err, errlen, "flite initialisation failed (usenglish/cmulex)");
        return -1;
    }
    return 0;
}

/* Growable arrays of the sentence. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

typedef struct {
    ss_sentence *s;
    size_t wcap, scap, pcap;
} builder;

static int add_phone(builder *b, const char *name, int syl, int word)
{
    if (grow((void **)&b->s->phones, &b->pcap, b->s->n_phones + 1, sizeof(ss_phone))) return -1;
    ss_phone *p = &b->s->phones[b->s->n_phones++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->syllable = syl;
    p->word = word;
    return 0;
}

static int add_syl(builder *b, int word, int stress)
{
    if (grow((void **)&b->s->syls, &b->scap, b->s->n_syls + 1, sizeof(ss_syllable))) return -1;
    ss_syllable *y = &b->s->syls[b->s->n_syls++];
    memset(y, 0, sizeof *y);
    y->word = word;
    y->stress = stress;
    y->first_phone = (int)b->s->n_phones;
    strcpy(y->accent, "NONE");
    strcpy(y->endtone, "NONE");
    b->s->words[word].n_syls++;
    return 0;
}

static int add_pron(builder *b, int word, const ss_pron *pr)
{
    int cur = -1;
    for (int i = 0; i < pr->n_phones; i++) {
        if (pr->syl_of[i] != cur) {
            cur = pr->syl_of[i];
            if (add_syl(b, word, pr->stress[cur])) return -1;
        }
        if (add_phone(b, pr->phone[i], (int)b->s->n_syls - 1, word)) return -1;
        b->s->syls[b->s->n_syls - 1].n_phones++;
    }
    return 0;
}

static int is_sibilant(const char *p)
{
    return !strcmp(p, "s") || !strcmp(p, "z") || !strcmp(p, "sh") || !strcmp(p, "zh") ||
           !strcmp(p, "ch") || !strcmp(p, "jh");
}

static int is_voiceless(const char *p)
{
    return !strcmp(p, "p") || !strcmp(p, "t") || !strcmp(p, "k") || !strcmp(p, "f") ||
           !strcmp(p, "th");
}

/* Re-does the final "'s" of a word the way festival's post-lexical rule
 * does. The word's phones are the last ones in the builder. */
static int fix_apostrophe_s(builder *b, int word)
{
    ss_sentence *s = b->s;
    ss_word *w = &s->words[word];
    size_t wl = strlen(w->text);
    if (wl < 3 || strcmp(w->text + wl - 2, "'s") != 0 || w->n_syls == 0) return 0;
    ss_phone *last = &s->phones[s->n_phones - 1];
    if (strcmp(last->name, "s") && strcmp(last->name, "z")) return 0;
    /* Drop a schwa-like syllable "eh/ih/ax z" the LTS may have made, then decide. */
    ss_syllable *ly = &s->syls[s->n_syls - 1];
    if (ly->n_phones == 2 && w->n_syls > 1) {
        s->n_phones -= 2;
        s->n_syls--;
        w->n_syls--;
    } else {
        s->n_phones--;
        ly->n_phones--;
    }
    ss_phone *prev = &s->phones[s->n_phones - 1];
    int sy = (int)s->n_syls - 1;
    if (is_sibilant(prev->name)) {
        if (add_syl(b, word, 0)) return -1;
        sy = (int)s->n_syls - 1;
        if (add_phone(b, "ax", sy, word)) return -1;
        s->syls[sy].n_phones++;
        if (add_phone(b, "z", sy, word)) return -1;
        s->syls[sy].n_phones++;
        return 0;
    }
    if (add_phone(b, is_voiceless(prev->name) ? "s" : "z", sy, word)) return -1;
    s->syls[sy].n_phones++;
    return 0;
}

/* The word "'s" split off a possessive (festival's tokenisation): after a
 * sibilant it is its own syllable "ax z"; otherwise its s (after a voiceless
 * consonant) or z joins the previous word's last syllable and the "'s" word
 * keeps no syllable at all, exactly as festival's postlex_apos_s_check
 * leaves it. */
static int add_possessive_s(builder *b, int word)
{
    ss_sentence *s = b->s;
    const ss_phone *prev = &s->phones[s->n_phones - 1];
    if (is_sibilant(prev->name)) {
        if (add_syl(b, word, 0)) return -1;
        int sy = (int)s->n_syls - 1;
        if (add_phone(b, "ax", sy, word) || add_phone(b, "z", sy, word)) return -1;
        s->syls[sy].n_phones += 2;
        return 0;
    }
    int sy = (int)s->n_syls - 1;
    if (add_phone(b, is_voiceless(prev->name) ? "s" : "z", sy, s->syls[sy].word)) return -1;
    s->syls[sy].n_phones++;
    return 0;
}

/* 1 when flite's syllables and segments of fw are exactly pr (phones and
 * syllable stresses). */
static int flite_word_is(cst_item *fw, const ss_pron *pr)
{
    cst_item *ss = item_as(fw, "SylStructure");
    int ph = 0, sy = 0;
    for (cst_item *syl = ss ? item_daughter(ss) : NULL; syl; syl = item_next(syl), sy++) {
        const char *st = item_feat_string(syl, "stress");
        if (sy >= pr->n_syls || (st && st[0] == '1') != (pr->stress[sy] == 1)) return 0;
        for (cst_item *seg = item_daughter(syl); seg; seg = item_next(seg), ph++)
            if (ph >= pr->n_phones || strcmp(item_feat_string(seg, "name"), pr->phone[ph]) != 0)
                return 0;
    }
    return sy == pr->n_syls && ph == pr->n_phones;
}

/* Copies flite's syllables and segments of one word into the builder. */
static int add_flite_word(builder *b, int word, cst_item *fw)
{
    cst_item *ss = item_as(fw, "SylStructure");
    for (cst_item *syl = ss ? item_daughter(ss) : NULL; syl; syl = item_next(syl)) {
        const char *st = item_feat_string(syl, "stress");
        if (add_syl(b, word, st && st[0] == '1')) return -1;
        int sy = (int)b->s->n_syls - 1;
        for (cst_item *seg = item_daughter(syl); seg; seg = item_next(seg)) {
            if (add_phone(b, item_feat_string(seg, "name"), sy, word)) return -1;
            b->s->syls[sy].n_phones++;
        }
    }
    return 0;
}

/* The sentence's words, one per token, with their source span and prosody
 * marks; 0, or -1 when out of memory (what was copied stays in out). */
static int copy_words(const ss_token *tokens, size_t n, ss_sentence *out)
{
    out->words = calloc(n, sizeof(ss_word));
    if (!out->words) return -1;
    for (size_t i = 0; i < n; i++) {
        ss_word *w = &out->words[i];
        w->text = strdup(tokens[i].word);
        if (!w->text) return -1;
        w->src_start = tokens[i].src_start;
        w->src_end = tokens[i].src_end;
        w->brk = 1;
        w->pause_ms = tokens[i].pause_ms;
        w->rate = tokens[i].rate;
        w->pitch_st = tokens[i].pitch_st;
        w->emphasis = tokens[i].emphasis;
        out->n_words++;
    }
    return 0;
}

/* A flite utterance of the tokens (Token and Word relations, one word per
 * token) after flite's POS tagger and lexical insertion. Under
 * ss_flite_lock. */
static cst_utterance *flite_words(const ss_token *tokens, size_t n)
{
    cst_utterance *u = new_utterance();
    utt_init(u, g_voice);
    cst_relation *tr = utt_relation_create(u, "Token");
    cst_relation *wr = utt_relation_create(u, "Word");
    for (size_t i = 0; i < n; i++) {
        cst_item *t = relation_append(tr, NULL);
        item_set_string(t, "name", tokens[i].word);
        cst_item *w = relation_append(wr, NULL);
        item_set_string(w, "name", tokens[i].word);
        item_add_daughter(t, w);
    }
    u = default_pos_tagger(u);
    return default_lexical_insertion(u);
}

/* Word i's syllables (fw: its flite word): an explicit pronunciation or
 * the caller's lexicon, else festival's lexicon or a homograph choice by
 * part of speech (pos: flite's tags of every word), else flite's own. 0,
 * -1 + err for a pronunciation that does not parse, -2 out of memory. */
static int add_word(builder *b, const ss_token *tokens, const char **pos, size_t n, size_t i,
                    cst_item *fw, const ss_lexicon *lex, char *err, size_t errlen)
{
    ss_word *w = &b->s->words[i];
    snprintf(w->gpos, sizeof w->gpos, "%s", ffeature_string(fw, "gpos"));
    w->first_syl = (int)b->s->n_syls;
    if (!strcmp(tokens[i].word, "'s") && i > 0 && !tokens[i].phones) {
        /* A split-off possessive (see ss_flite_analyze in the header). */
        snprintf(w->gpos, sizeof w->gpos, "content");
        return add_possessive_s(b, (int)i) ? -2 : 0;
    }
    const char *explicit_ph = tokens[i].phones;
    if (!explicit_ph) explicit_ph = ss_lexicon_lookup(lex, tokens[i].word);
    int homograph = 0;
    if (!explicit_ph) {
        explicit_ph = ss_festival_lexicon_phones(tokens[i].word);
        if (!explicit_ph) explicit_ph = ss_homograph_phones(tokens, pos, n, i, NULL);
        homograph = explicit_ph != NULL;
    }
    if (!explicit_ph) {
        if (add_flite_word(b, (int)i, fw) || fix_apostrophe_s(b, (int)i)) return -2;
        return 0;
    }
    ss_pron pr;
    char e[200];
    if (ss_pron_parse(explicit_ph, &pr, e, sizeof e)) {
        snprintf(err, errlen, "pronunciation of '%s': %s", tokens[i].word, e);
        return -1;
    }
    if (homograph && flite_word_is(fw, &pr)) return add_flite_word(b, (int)i, fw) ? -2 : 0;
    return add_pron(b, (int)i, &pr) ? -2 : 0;
}

/* Every word gets its syllables (add_word); 0, -1 + err or -2. */
static int add_words(builder *b, const ss_token *tokens, size_t n, const ss_lexicon *lex, char *err,
                     size_t errlen)
{
    ss_flite_lock();
    cst_utterance *u = flite_words(tokens, n);
    cst_relation *wr = utt_relation(u, "Word");
    int rc = 0;
    const char **pos = calloc(n, sizeof *pos);
    if (!pos) rc = -2;
    size_t i = 0;
    for (cst_item *fw = relation_head(wr); pos && fw && i < n; fw = item_next(fw), i++)
        pos[i] = item_feat_string(fw, "pos");
    i = 0;
    for (cst_item *fw = relation_head(wr); !rc && fw && i < n; fw = item_next(fw), i++)
        rc = add_word(b, tokens, pos, n, i, fw, lex, err, errlen);
    free(pos);
    delete_utterance(u);
    ss_flite_unlock();
    return rc;
}

/* Words flite produced no syllable for (should not happen) are an error,
 * not silence: the caller asked for them to be spoken. The split-off
 * possessive "'s" is the one word that may legitimately have none. */
static int check_spoken(const ss_sentence *s, char *err, size_t errlen)
{
    for (size_t k = 0; k < s->n_words; k++)
        if (s->words[k].n_syls == 0 && strcmp(s->words[k].text, "'s") != 0) {
            snprintf(err, errlen, "no pronunciation for word '%s'", s->words[k].text);
            return -1;
        }
    return 0;
}

int ss_flite_analyze(const ss_token *tokens, size_t n, const ss_lexicon *lex, ss_sentence *out,
                     char *err, size_t errlen)
{
    if (ss_flite_init(err, errlen)) return -1;
    memset(out, 0, sizeof *out);
    builder b = {.s = out};
    if (n == 0) return 0;
    int rc = copy_words(tokens, n, out) ? -2 : 0;
    b.wcap = n;
    if (!rc) rc = add_words(&b, tokens, n, lex, err, errlen);
    if (!rc) rc = check_spoken(out, err, errlen);
    if (rc == -2) snprintf(err, errlen, "out of memory");
    if (rc) ss_sentence_clear(out);
    return rc ? -1 : 0;
}
