/* Pitch accents and ToBI end tones (see phrasing.h).
 *
 * Festival's slt voice predicts both with the f2b CART trees (data in
 * phrasing_cart_data.c). The trees ask festival's syllable features, which
 * are reproduced here with festival's exact definitions:
 *   syl_in / syl_out    syllables before / after this one in its phrase;
 *   ssyl_in             stressed syllables before this one in its phrase,
 *                       not counting the phrase's first syllable (a quirk
 *                       of festival's loop that the trees were trained with);
 *   ssyl_out            stressed syllables after this one in its phrase;
 *   syl_break           0 inside a word, 1 at a word end, 3 at a phrase break
 *                       inside the sentence, 4 at its end (festival's B/BB);
 *   old_syl_break       the break before that distinction: 4 at every phrase
 *                       end (what the tone tree was trained with: festival's
 *                       labels show L-L% ends on internal phrases);
 *   sub_phrases         phrases before this one in the sentence;
 *   p./pp./n./nn.       the same feature of neighbouring syllables (words
 *                       for gpos) across the whole sentence, "0" past an end.
 * A syllable is "accented" in the labels when it carries an accent or an end
 * tone (festival counts any intonation event). */
#include "node/engine/frontend/phrasing.h"

#include <stdio.h>
#include <string.h>

#include "node/engine/frontend/phrasing_cart.h"

typedef struct {
    const ss_sentence *s;
    int syl;
    int yn_question;
} feat_ctx;

static int syl_phrase(const ss_sentence *s, int i)
{
    return s->words[s->syls[i].word].phrase;
}

static int phrase_first_syl(const ss_sentence *s, int phrase)
{
    return s->words[s->phrases[phrase].first_word].first_syl;
}

static int phrase_last_syl(const ss_sentence *s, int phrase)
{
    const ss_word *w = &s->words[s->phrases[phrase].first_word + s->phrases[phrase].n_words - 1];
    return w->first_syl + w->n_syls - 1;
}

static const char *num(char *buf, int len, int v)
{
    snprintf(buf, (size_t)len, "%d", v);
    return buf;
}

static const char *syl_feature(const char *name, const feat_ctx *c, int i, char *buf, int len)
{
    const ss_sentence *s = c->s;
    if (i < 0 || i >= (int)s->n_syls) return "0";
    int ph = syl_phrase(s, i), f = phrase_first_syl(s, ph), l = phrase_last_syl(s, ph);
    if (!strcmp(name, "syl_in")) return num(buf, len, i - f);
    if (!strcmp(name, "syl_out")) return num(buf, len, l - i);
    if (!strcmp(name, "ssyl_in")) {
        int k = 0;
        for (int j = f + 1; j < i; j++) k += s->syls[j].stress;
        return num(buf, len, k);
    }
    if (!strcmp(name, "ssyl_out")) {
        int k = 0;
        for (int j = i + 1; j <= l; j++) k += s->syls[j].stress;
        return num(buf, len, k);
    }
    if (!strcmp(name, "stress")) return num(buf, len, s->syls[i].stress);
    if (!strcmp(name, "old_syl_break")) return num(buf, len, s->syls[i].brk);
    if (!strcmp(name, "syl_break"))
        return num(buf, len, (s->syls[i].brk == 4 && i + 1 < (int)s->n_syls) ? 3 : s->syls[i].brk);
    if (!strcmp(name, "sub_phrases")) return num(buf, len, ph);
    if (!strcmp(name, "lisp_syl_yn_question"))
        return (c->yn_question && i == (int)s->n_syls - 1) ? "1" : "0";
    return "0";
}

static const char *word_gpos(const ss_sentence *s, int w)
{
    if (w < 0 || w >= (int)s->n_words) return "0";
    return s->words[w].gpos;
}

static const char *feature(const char *name, void *ctx, char *buf, int len)
{
    const feat_ctx *c = ctx;
    int w = c->s->syls[c->syl].word;
    if (strstr(name, "EMPH")) { /* SSML <emphasis>, festival's Token EMPH feature */
        int i = c->syl + (name[0] == 'n' ? 1 : name[0] == 'p' ? -1 : 0);
        if (i < 0 || i >= (int)c->s->n_syls) return "0";
        return c->s->words[c->s->syls[i].word].emphasis ? "1" : "0";
    }
    if (!strcmp(name, "R:SylStructure.parent.gpos")) return word_gpos(c->s, w);
    static const char wp[] = "R:SylStructure.parent.R:Word.";
    if (!strncmp(name, wp, sizeof wp - 1)) {
        const char *rest = name + sizeof wp - 1;
        if (!strcmp(rest, "p.gpos")) return word_gpos(c->s, w - 1);
        if (!strcmp(rest, "pp.gpos")) return word_gpos(c->s, w - 2);
        if (!strcmp(rest, "n.gpos")) return word_gpos(c->s, w + 1);
        if (!strcmp(rest, "nn.gpos")) return word_gpos(c->s, w + 2);
        return "0";
    }
    int off = 0;
    if (!strncmp(name, "pp.", 3)) off = -2, name += 3;
    else if (!strncmp(name, "p.", 2)) off = -1, name += 2;
    else if (!strncmp(name, "nn.", 3)) off = 2, name += 3;
    else if (!strncmp(name, "n.", 2)) off = 1, name += 2;
    return syl_feature(name, c, c->syl + off, buf, len);
}

void ss_phrasing_accents(ss_sentence *s, int yn_question)
{
    for (size_t i = 0; i < s->n_syls; i++) {
        feat_ctx c = {s, (int)i, yn_question};
        const char *a = ss_cart_predict(ss_accent_cart, ss_accent_cart_len, feature, &c);
        const char *t = ss_cart_predict(ss_tone_cart, ss_tone_cart_len, feature, &c);
        ss_syllable *y = &s->syls[i];
        snprintf(y->accent, sizeof y->accent, "%s", a);
        snprintf(y->endtone, sizeof y->endtone, "%s", t);
        y->accented = strcmp(a, "NONE") != 0 || strcmp(t, "NONE") != 0;
    }
}
