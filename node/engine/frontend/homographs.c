/* Homograph disambiguation (see homographs.h).
 *
 * Two tables. HOMOGRAPHS holds, per word, the pronunciation of each sense
 * (from flite's CMU lexicon POS variants, festival's cmudict where flite has
 * none — "lead" l iy d, "read" r iy d — and CMUdict for senses neither has:
 * "wound" the injury w uw n d, "minute" tiny m ay n uw t, "bass" music
 * b ey s). RULES is the ordered list of context tests; the first that
 * decides wins, and flite's own POS tag is the last resort:
 *
 *   cue word right after               "lead pipe" -> l eh d, "close to" -> adj
 *   cue word anywhere in the sentence  "bass" + fish/river -> b ae s;
 *                                      "read" + yesterday/ago -> r eh d;
 *                                      "lead" + take -> l iy d ("take the lead")
 *   after have/has/had (adverbs skipped)   "has read" -> past r eh d
 *   after be                           adjective if any ("is content"), else past
 *   after a modal, do, please, let's   verb base ("will record", "do not tear")
 *   before a noun                      adjective if any ("the live show")
 *   after "to"                         verb base ("to present")
 *   after a subject pronoun            verb; he/she/it + "read" = past
 *   after a determiner / possessive    noun ("the record", "their lives")
 *   after a word flite tags adjective  noun ("fresh produce")
 *   after a plural noun (no be/modal next)  verb ("teenagers often rebel")
 *   clause-initial                     noun before is/was/of/...; else
 *                                      imperative verb ("Read verse ...")
 *   clause-final (no subject/modal)    noun ("sells fresh produce.")
 *   before an object (the, it, them)   verb ("she wound the rope")
 *   flite's tag                        v -> verb, j -> adjective, else noun
 *
 * A sense the entry has no pronunciation for falls back: past -> verb,
 * adjective -> noun, verb -> noun; the noun sense is always present. */
#include "node/engine/frontend/homographs.h"

#include <string.h>

typedef struct {
    const char *word;
    const char *noun;     /* also the default */
    const char *verb;     /* NULL: the noun's */
    const char *past;     /* NULL: the verb's */
    const char *adj;      /* NULL: the noun's */
    const char *alt;      /* the ALT sense, NULL if none */
    const char *next_cue; /* " w1 w2 " words that decide when right after */
    ss_homograph_sense next_sense;
    const char *sentence_cue; /* " w1 w2 " words that decide anywhere */
    ss_homograph_sense sentence_sense;
} homograph;

#define FISH " fish fishing fished caught catch lake river pond sea striped largemouth "
#define PAST_TIME " yesterday ago last already "

static const homograph HOMOGRAPHS[] = {
    {"read", "r iy1 d", "r iy1 d", "r eh1 d", NULL, NULL, NULL, 0, PAST_TIME, SS_HG_PAST},
    {"lead", "l eh1 d", "l iy1 d", "l eh1 d", "l iy1 d", NULL,
     " pipe pipes paint poisoning pencil pencils weight weights shot bullet bullets ", SS_HG_NOUN,
     " take took takes taking ", SS_HG_VERB},
    {"live", "l ay1 v", "l ih1 v", NULL, "l ay1 v", NULL, NULL, 0, NULL, 0},
    {"lives", "l ay1 v z", "l ih1 v z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"wind", "w ih1 n d", "w ay1 n d", NULL, NULL, NULL, " up down ", SS_HG_VERB, NULL, 0},
    {"close", "k l ow1 s", "k l ow1 z", NULL, "k l ow1 s", NULL, " to by ", SS_HG_ADJ, NULL, 0},
    {"tear", "t iy1 r", "t eh1 r", NULL, NULL, NULL, " up apart down off ", SS_HG_VERB, NULL, 0},
    {"tears", "t ih1 r z", "t eh1 r z", NULL, NULL, NULL, " up apart down off ", SS_HG_VERB,
     NULL, 0},
    {"wound", "w uw1 n d", "w aw1 n d", NULL, NULL, NULL, " up down around round ", SS_HG_VERB,
     NULL, 0},
    {"record", "r eh1 k er0 d", "r ax0 k ao1 r d", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"records", "r eh1 k er0 d z", "r ax0 k ao1 r d z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"present", "p r eh1 z ax0 n t", "p r iy0 z eh1 n t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"presents", "p r eh1 z ax0 n t s", "p r iy0 z eh1 n t s", NULL, NULL, NULL, NULL, 0, NULL,
     0},
    {"object", "aa1 b jh eh0 k t", "ax0 b jh eh1 k t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"objects", "aa1 b jh eh0 k t s", "ax0 b jh eh1 k t s", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"project", "p r aa1 jh eh0 k t", "p r ax0 jh eh1 k t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"projects", "p r aa1 jh eh0 k t s", "p r ax0 jh eh1 k t s", NULL, NULL, NULL, NULL, 0, NULL,
     0},
    {"content", "k aa1 n t eh0 n t", "k ax0 n t eh1 n t", NULL, "k ax0 n t eh1 n t", NULL, NULL,
     0, NULL, 0},
    {"desert", "d eh1 z er0 t", "d ih0 z er1 t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"deserts", "d eh1 z er0 t s", "d ih0 z er1 t s", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"minute", "m ih1 n ax0 t", NULL, NULL, "m ay0 n uw1 t", NULL, NULL, 0, NULL, 0},
    {"use", "y uw0 s", "y uw1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"uses", "y uw1 s ax0 z", "y uw1 z ax0 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"bass", "b ey1 s", NULL, NULL, NULL, "b ae1 s", NULL, 0, FISH, SS_HG_ALT},
    {"does", "d ow1 z", "d ah1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"refuse", "r eh1 f y uw1 s", "r ax0 f y uw1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"permit", "p er1 m ih0 t", "p er0 m ih1 t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"conduct", "k ah1 n d ax0 k t", "k ax0 n d ah1 k t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"produce", "p r ow1 d uw0 s", "p r ax0 d uw1 s", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"rebel", "r eh1 b ax0 l", "r ax0 b eh1 l", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"subject", "s ah1 b jh ih0 k t", "s ax0 b jh eh1 k t", NULL, NULL, NULL, " to ", SS_HG_NOUN,
     NULL, 0},
    {"suspect", "s ah1 s p eh1 k t", "s ax0 s p eh1 k t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"insult", "ih1 n s ax0 l t", "ih0 n s ah1 l t", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"conflict", "k aa1 n f l ih0 k t", "k ax0 n f l ih1 k t", NULL, NULL, NULL, NULL, 0, NULL,
     0},
    {"excuse", "ih0 k s k y uw1 s", "ih0 k s k y uw1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"abuse", "ax0 b y uw1 s", "ax0 b y uw1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
    {"house", "hh aw1 s", "hh aw1 z", NULL, NULL, NULL, NULL, 0, NULL, 0},
};

/* Word classes the rules look for, each " w1 w2 ... " for in_list. */
static const char PERFECT[] = " have has had having 've ";
static const char BE[] = " be is are was were been being am 's 're ";
static const char MODAL[] = " will would shall should can could may might must do does did "
                            "don't doesn't didn't won't can't cannot please let's 'll 'd ";
static const char ADVERB[] = " not never always often just also already ever still really "
                             "all both soon then only even very so too quite n't ";
static const char SUBJECT_PLURAL[] = " i you we they ";
static const char SUBJECT_SINGULAR[] = " he she it ";
static const char DETERMINER[] = " the a an this that these those my your his her its our "
                                 "their no every each some any another one's whose ";
static const char OBJECT[] = " the a an this that these those my your his our their it them "
                             "him me us her ";
static const char NOT_NOUN_AFTER[] = " here there now today tonight together alone well long "
                                     "in on at up down out off with for of to and or but "
                                     "please ago later ";

/* 1 when word is one of the space-separated words of list (" a b "). */
static int in_list(const char *list, const char *word)
{
    if (!list || !word || !*word) return 0;
    size_t wl = strlen(word);
    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if (p > list && p[-1] == ' ' && p[wl] == ' ') return 1;
    return 0;
}

typedef struct {
    const homograph *h;
    const ss_token *tokens;
    const char *const *pos;
    size_t n, i;
} context;

static const char *word_at(const context *c, size_t k)
{
    return k < c->n ? c->tokens[k].word : NULL;
}

static const char *pos_at(const context *c, size_t k)
{
    return k < c->n && c->pos && c->pos[k] ? c->pos[k] : "";
}

/* The previous word of the same clause (none across , ; : etc.), skipping
 * adverbs when skip_adverbs is set; NULL at the clause start. */
static size_t prev_index(const context *c, int skip_adverbs)
{
    size_t k = c->i;
    while (k > 0 && !c->tokens[k - 1].punct) {
        k--;
        if (!skip_adverbs || !in_list(ADVERB, c->tokens[k].word)) return k;
    }
    return c->n;
}

static const char *prev_word(const context *c, int skip_adverbs)
{
    return word_at(c, prev_index(c, skip_adverbs));
}

/* The next word of the same clause, or NULL. */
static const char *next_word(const context *c)
{
    return c->tokens[c->i].punct ? NULL : word_at(c, c->i + 1);
}

static ss_homograph_sense rule_sentence_cue(const context *c)
{
    if (!c->h->sentence_cue) return SS_HG_NONE;
    for (size_t k = 0; k < c->n; k++)
        if (k != c->i && in_list(c->h->sentence_cue, c->tokens[k].word))
            return c->h->sentence_sense;
    return SS_HG_NONE;
}

static ss_homograph_sense rule_next_cue(const context *c)
{
    return in_list(c->h->next_cue, next_word(c)) ? c->h->next_sense : SS_HG_NONE;
}

static ss_homograph_sense rule_after_perfect(const context *c)
{
    return in_list(PERFECT, prev_word(c, 1)) ? SS_HG_PAST : SS_HG_NONE;
}

static ss_homograph_sense rule_after_be(const context *c)
{
    if (!in_list(BE, prev_word(c, 1))) return SS_HG_NONE;
    if (c->h->adj) return SS_HG_ADJ;
    return c->h->past ? SS_HG_PAST : SS_HG_NONE;
}

static ss_homograph_sense rule_after_modal(const context *c)
{
    return in_list(MODAL, prev_word(c, 1)) ? SS_HG_VERB : SS_HG_NONE;
}

static ss_homograph_sense rule_adjective_before_noun(const context *c)
{
    const char *next = next_word(c);
    if (!c->h->adj || !next || strcmp(pos_at(c, c->i + 1), "n") != 0) return SS_HG_NONE;
    if (in_list(OBJECT, next) || in_list(NOT_NOUN_AFTER, next) || in_list(BE, next) ||
        in_list(SUBJECT_PLURAL, next) || in_list(SUBJECT_SINGULAR, next))
        return SS_HG_NONE;
    if (in_list(SUBJECT_PLURAL, prev_word(c, 1)) || in_list(SUBJECT_SINGULAR, prev_word(c, 1)))
        return SS_HG_NONE;
    return SS_HG_ADJ;
}

static ss_homograph_sense rule_after_to(const context *c)
{
    const char *prev = prev_word(c, 1);
    return prev && !strcmp(prev, "to") ? SS_HG_VERB : SS_HG_NONE;
}

static ss_homograph_sense rule_after_subject(const context *c)
{
    const char *prev = prev_word(c, 1);
    if (in_list(SUBJECT_PLURAL, prev)) return SS_HG_VERB;
    if (!in_list(SUBJECT_SINGULAR, prev)) return SS_HG_NONE;
    /* "she read": a third-person verb without -s is a past tense. */
    return c->h->past ? SS_HG_PAST : SS_HG_VERB;
}

static ss_homograph_sense rule_after_determiner(const context *c)
{
    return in_list(DETERMINER, prev_word(c, 0)) ? SS_HG_NOUN : SS_HG_NONE;
}

static ss_homograph_sense rule_after_adjective(const context *c)
{
    const char *prev = prev_word(c, 0);
    return prev && !strcmp(pos_at(c, c->i - 1), "j") ? SS_HG_NOUN : SS_HG_NONE;
}

/* "teenagers often rebel": a plural noun (flite tag n, ending in s) then a
 * word without -s and no be/have/modal after it is subject + verb. */
static ss_homograph_sense rule_after_plural_noun(const context *c)
{
    size_t k = prev_index(c, 1);
    const char *prev = word_at(c, k), *next = next_word(c);
    size_t pl = prev ? strlen(prev) : 0, wl = strlen(c->tokens[c->i].word);
    if (pl < 3 || strcmp(pos_at(c, k), "n") != 0 || prev[pl - 1] != 's' ||
        strchr("su'", prev[pl - 2]) || c->tokens[c->i].word[wl - 1] == 's')
        return SS_HG_NONE;
    if (in_list(BE, next) || in_list(PERFECT, next) || in_list(MODAL, next)) return SS_HG_NONE;
    return SS_HG_VERB;
}

static ss_homograph_sense rule_clause_initial(const context *c)
{
    if (prev_word(c, 0)) return SS_HG_NONE;
    const char *next = next_word(c);
    if (!next || in_list(BE, next) || in_list(PERFECT, next) || in_list(MODAL, next) ||
        in_list(" of and or ", next))
        return SS_HG_NOUN;
    return SS_HG_VERB; /* an imperative: "Read verse out loud." */
}

static ss_homograph_sense rule_clause_final(const context *c)
{
    return next_word(c) ? SS_HG_NONE : SS_HG_NOUN;
}

static ss_homograph_sense rule_before_object(const context *c)
{
    return in_list(OBJECT, next_word(c)) ? SS_HG_VERB : SS_HG_NONE;
}

static ss_homograph_sense rule_flite_tag(const context *c)
{
    const char *p = pos_at(c, c->i);
    if (p[0] == 'v') return SS_HG_VERB;
    if (p[0] == 'j') return SS_HG_ADJ;
    return SS_HG_NOUN;
}

typedef ss_homograph_sense (*rule_fn)(const context *);
static const rule_fn RULES[] = {
    rule_next_cue,
    rule_sentence_cue,
    rule_after_perfect,
    rule_after_be,
    rule_after_modal,
    rule_adjective_before_noun,
    rule_after_to,
    rule_after_subject,
    rule_after_determiner,
    rule_after_adjective,
    rule_after_plural_noun,
    rule_clause_initial,
    rule_clause_final,
    rule_before_object,
    rule_flite_tag,
};

static const char *phones_of(const homograph *h, ss_homograph_sense s)
{
    const char *verb = h->verb ? h->verb : h->noun;
    switch (s) {
    case SS_HG_PAST: return h->past ? h->past : verb;
    case SS_HG_VERB: return verb;
    case SS_HG_ADJ: return h->adj ? h->adj : h->noun;
    case SS_HG_ALT: return h->alt ? h->alt : h->noun;
    default: return h->noun;
    }
}

const char *ss_homograph_phones(const ss_token *tokens, const char *const *pos, size_t n,
                                size_t i, ss_homograph_sense *sense)
{
    if (i >= n || !tokens[i].word) return NULL;
    const homograph *h = NULL;
    for (size_t k = 0; k < sizeof HOMOGRAPHS / sizeof HOMOGRAPHS[0]; k++)
        if (!strcmp(HOMOGRAPHS[k].word, tokens[i].word)) h = &HOMOGRAPHS[k];
    if (!h) return NULL;
    context c = {.h = h, .tokens = tokens, .pos = pos, .n = n, .i = i};
    ss_homograph_sense s = SS_HG_NONE;
    for (size_t r = 0; r < sizeof RULES / sizeof RULES[0] && s == SS_HG_NONE; r++)
        s = RULES[r](&c);
    if (sense) *sense = s;
    return phones_of(h, s);
}
