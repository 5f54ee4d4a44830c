/* Phrase breaks and pause insertion (see phrasing.h).
 *
 * Festival's slt voice phrases with a probabilistic model (POS n-gram of the
 * words around a juncture + an n-gram over break sequences). We do not carry
 * that model; instead a short list of rules over a POS window reproduces
 * its decisions on ordinary declarative sentences:
 *
 *   1. punctuation (, ; : . ? ! and dashes/brackets) ends a phrase; an SSML
 *      <break> (strength above "none"), </s> and </p> do too;
 *   2. before a coordinating conjunction (and, or, but, nor) once the phrase
 *      has >= 3 words and >= 2 words follow;
 *   3. between the head noun of a subject noun phrase and its verb: word i
 *      a content word that is not itself verb-like, word i+1 verb-like (an
 *      auxiliary, a past tense "-ed" or irregular past, or an "-s" form
 *      right after a noun), word i+2 present and neither a preposition nor
 *      a number; the phrase so far >= 3 words and >= 4 syllables;
 *   4. before "to" right after a determiner + noun ("the sheet | to"), the
 *      phrase so far >= 3 words;
 *   5. a phrase that has run 12 words without a break breaks before the next
 *      function word (conjunction, preposition, determiner, wh-word).
 *
 * Every break is a major break (festival's BB, break index 4), which is what
 * festival's labels for this voice show for both internal and final breaks.
 * Each break gets a `pau`; an SSML break with a time carries it as pause_ms. */
#include "node/engine/frontend/phrasing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gpos_is(const ss_word *w, const char *g)
{
    return strcmp(w->gpos, g) == 0;
}

static int is_number_word(const char *t)
{
    static const char *const nums[] = {
        "zero",     "one",      "two",     "three",     "four",      "five",    "six",
        "seven",    "eight",    "nine",    "ten",       "eleven",    "twelve",  "thirteen",
        "fourteen", "fifteen",  "sixteen", "seventeen", "eighteen",  "nineteen", "twenty",
        "thirty",   "forty",    "fifty",   "sixty",     "seventy",   "eighty",  "ninety",
        "hundred",  "thousand", "million", "billion",   "trillion"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (strcmp(t, nums[i]) == 0) return 1;
    return 0;
}

static int is_irregular_past(const char *t)
{
    static const char *const v[] = {
        "was",   "were",  "broke", "came",   "went",   "sold",   "told",  "took",  "gave",
        "made",  "said",  "saw",   "knew",   "grew",   "threw",  "drew",  "flew",  "rose",
        "fell",  "felt",  "kept",  "left",   "meant",  "slept",  "sent",  "spent", "built",
        "bought", "brought", "caught", "taught", "thought", "fought", "found", "held", "stood",
        "ran",   "sang",  "sank",  "swam",   "began",  "drank",  "rang",  "wrote", "rode",
        "drove", "spoke", "stole", "chose",  "froze",  "woke",   "wore",  "tore",  "swore",
        "bore",  "lay",   "led",   "fed",    "met",    "paid",   "laid",  "hid",   "bit",
        "shook", "forgot", "got",  "slid",   "struck", "stuck",  "hung",  "dug",   "won",
        "lost",  "sat",   "shot",  "ate",    "became"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (strcmp(t, v[i]) == 0) return 1;
    return 0;
}

static int ends_with(const char *t, const char *suf)
{
    size_t a = strlen(t), b = strlen(suf);
    return a > b && strcmp(t + a - b, suf) == 0;
}

/* Verb-like at position i (given the previous word). */
static int verb_like(const ss_sentence *s, size_t i)
{
    const ss_word *w = &s->words[i];
    if (w->text[0] == '\'') return 0; /* split-off possessive "'s" */
    if (gpos_is(w, "aux") || gpos_is(w, "md")) return 1;
    if (!gpos_is(w, "content")) return 0;
    if (is_irregular_past(w->text)) return 1;
    if (strlen(w->text) > 4 && ends_with(w->text, "ed")) return 1;
    if (i > 0 && gpos_is(&s->words[i - 1], "content") && ends_with(w->text, "s") &&
        !ends_with(w->text, "ss") && !ends_with(w->text, "us") && !ends_with(w->text, "'s"))
        return 1;
    return 0;
}

static int is_function(const ss_word *w)
{
    return gpos_is(w, "cc") || gpos_is(w, "in") || gpos_is(w, "det") || gpos_is(w, "wp");
}

static int is_strong_punct(char c)
{
    return c == ',' || c == ';' || c == ':' || c == '.' || c == '?' || c == '!' || c == '-' ||
           c == '(' || c == ')' || c == '"';
}

/* Decides s->words[i].brk for every word. */
static void decide_breaks(ss_sentence *s, const ss_token *tokens)
{
    size_t n = s->n_words;
    size_t phrase_words = 0, phrase_syls = 0;
    for (size_t i = 0; i < n; i++) {
        ss_word *w = &s->words[i];
        phrase_words++;
        phrase_syls += (size_t)w->n_syls;
        int brk = 0;
        if (i + 1 == n) brk = 1;
        else if (tokens[i].phrase_break || is_strong_punct(tokens[i].punct)) brk = 1;
        else {
            const ss_word *nx = &s->words[i + 1];
            size_t left = n - i - 1;
            if (gpos_is(nx, "cc") && phrase_words >= 3 && left >= 2) brk = 1;
            else if (gpos_is(w, "content") && !verb_like(s, i) && i > 0 &&
                     !gpos_is(&s->words[i - 1], "aux") && verb_like(s, i + 1) && i + 2 < n &&
                     !gpos_is(&s->words[i + 2], "in") && !is_number_word(s->words[i + 2].text) &&
                     phrase_words >= 3 && phrase_syls >= 4)
                brk = 1;
            else if (gpos_is(nx, "to") && gpos_is(w, "content") && i > 0 &&
                     gpos_is(&s->words[i - 1], "det") && phrase_words >= 3)
                brk = 1;
            else if (phrase_words >= 12 && is_function(nx) && left >= 2)
                brk = 1;
        }
        w->brk = brk ? 4 : 1;
        if (brk) phrase_words = phrase_syls = 0;
    }
}

int ss_phrasing_breaks(ss_sentence *s, const ss_token *tokens, char *err, size_t errlen)
{
    decide_breaks(s, tokens);
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
