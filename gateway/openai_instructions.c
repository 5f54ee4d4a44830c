/* The instructions reader (see openai_instructions.h): a word scanner over
 * one table of cues. A word is a run of ASCII letters, hyphens and
 * apostrophes, lower-cased; two-word cues ("high pitched") are tried before
 * one-word ones. The word before a cue may scale it (intensifier, softener)
 * or cancel it (negation), also across "too", "so", "overly" and "a"
 * ("not too fast", "a bit slower"). */
#include "gateway/openai_instructions.h"

#include "common/log.h"

#include <event2/http.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *phrase; /* one or two words, lower case */
    double speed;       /* factor */
    double pitch;       /* semitones */
} cue;

#define SLOWER 0.8
#define FASTER 1.25
#define HIGHER 3.0
#define LOWER (-3.0)

static const cue CUES[] = {
    /* pace */
    {"slow", SLOWER, 0}, {"slowly", SLOWER, 0}, {"slower", SLOWER, 0}, {"leisurely", SLOWER, 0},
    {"unhurried", SLOWER, 0}, {"measured", SLOWER, 0}, {"deliberately", SLOWER, 0}, {"drawn-out", SLOWER, 0},
    {"fast", FASTER, 0}, {"faster", FASTER, 0}, {"quick", FASTER, 0}, {"quickly", FASTER, 0},
    {"rapid", FASTER, 0}, {"rapidly", FASTER, 0}, {"brisk", FASTER, 0}, {"briskly", FASTER, 0},
    {"hurried", FASTER, 0}, {"hurriedly", FASTER, 0}, {"speedy", FASTER, 0},
    /* pitch */
    {"high pitched", 1, HIGHER}, {"high pitch", 1, HIGHER}, {"high-pitched", 1, HIGHER},
    {"higher-pitched", 1, HIGHER}, {"higher pitch", 1, HIGHER}, {"high voice", 1, HIGHER},
    {"squeaky", 1, HIGHER}, {"shrill", 1, HIGHER}, {"childlike", 1, HIGHER},
    {"low pitched", 1, LOWER}, {"low pitch", 1, LOWER}, {"low-pitched", 1, LOWER},
    {"lower-pitched", 1, LOWER}, {"lower pitch", 1, LOWER}, {"low voice", 1, LOWER},
    {"deep", 1, LOWER}, {"deeper", 1, LOWER}, {"bass", 1, LOWER}, {"baritone", 1, LOWER},
    {"gravelly", 1, LOWER},
    /* energy and mood: pace and pitch move together */
    {"calm", 0.9, -1}, {"calmly", 0.9, -1}, {"soothing", 0.9, -1}, {"relaxed", 0.9, -1},
    {"gentle", 0.9, -1}, {"gently", 0.9, -1}, {"soft", 0.9, -1}, {"softly", 0.9, -1},
    {"serene", 0.9, -1}, {"sleepy", 0.9, -1}, {"tired", 0.9, -1}, {"low energy", 0.9, -1},
    {"low-energy", 0.9, -1}, {"whisper", 0.9, -1}, {"whispering", 0.9, -1},
    {"excited", 1.1, 2}, {"excitedly", 1.1, 2}, {"energetic", 1.1, 2}, {"energetically", 1.1, 2},
    {"enthusiastic", 1.1, 2}, {"enthusiastically", 1.1, 2}, {"lively", 1.1, 2}, {"upbeat", 1.1, 2},
    {"animated", 1.1, 2}, {"bubbly", 1.1, 2}, {"high energy", 1.1, 2}, {"high-energy", 1.1, 2},
    {"cheerful", 1.05, 1}, {"cheerfully", 1.05, 1}, {"happy", 1.05, 1}, {"happily", 1.05, 1},
    {"joyful", 1.05, 1},
    {"sad", 0.85, -2}, {"sadly", 0.85, -2}, {"somber", 0.85, -2}, {"sombre", 0.85, -2},
    {"melancholy", 0.85, -2}, {"melancholic", 0.85, -2}, {"gloomy", 0.85, -2},
};
#define NCUES (sizeof CUES / sizeof CUES[0])

/* Words that change the cue after them: a strength (0 = the cue is dropped). */
static const struct {
    const char *word;
    double strength;
} MODIFIERS[] = {
    {"very", 2}, {"really", 2}, {"extremely", 2}, {"super", 2}, {"much", 2},
    {"slightly", 0.5}, {"somewhat", 0.5}, {"little", 0.5}, {"bit", 0.5},
    {"not", 0}, {"don't", 0}, {"never", 0}, {"no", 0}, {"without", 0},
};
#define NMODIFIERS (sizeof MODIFIERS / sizeof MODIFIERS[0])

/* Words between a modifier and its cue that keep the modifier: "not too fast". */
static bool passes_modifier_on(const char *w)
{
    return !strcmp(w, "too") || !strcmp(w, "so") || !strcmp(w, "overly") || !strcmp(w, "a");
}

#define WORD_MAX 24 /* longer runs are no cue: skipped */

typedef struct {
    char w[WORD_MAX + 1];
} word;

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '\'';
}

/* The next word at text[*pos..len), lower-cased into out; false at the end. */
static bool next_word(const char *text, size_t len, size_t *pos, word *out)
{
    for (;;) {
        while (*pos < len && !word_char(text[*pos]))
            (*pos)++;
        if (*pos >= len)
            return false;
        size_t n = 0;
        bool too_long = false;
        for (; *pos < len && word_char(text[*pos]); (*pos)++) {
            char c = text[*pos];
            if (n == WORD_MAX)
                too_long = true;
            else
                out->w[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        out->w[n] = '\0';
        if (!too_long)
            return true;
    }
}

static double modifier_strength(const char *w)
{
    for (size_t i = 0; i < NMODIFIERS; i++)
        if (!strcmp(w, MODIFIERS[i].word))
            return MODIFIERS[i].strength;
    return 1;
}

/* The cue spelled by one word, or by `a b`; NULL when none. */
static const cue *find_cue(const char *a, const char *b)
{
    char two[2 * WORD_MAX + 2];
    if (b) {
        snprintf(two, sizeof two, "%s %s", a, b);
        a = two;
    }
    for (size_t i = 0; i < NCUES; i++)
        if (!strcmp(a, CUES[i].phrase))
            return &CUES[i];
    return NULL;
}

static void note(gw_openai_instructions *out, const char *modifier, const cue *c, double speed, double pitch)
{
    size_t used = strlen(out->understood);
    size_t cap = sizeof out->understood;
    if (used + 1 >= cap)
        return;
    char effect[64] = "";
    if (c->speed != 1 && c->pitch != 0)
        snprintf(effect, sizeof effect, "speed x%.3g, pitch %+.3g st", speed, pitch);
    else if (c->speed != 1)
        snprintf(effect, sizeof effect, "speed x%.3g", speed);
    else
        snprintf(effect, sizeof effect, "pitch %+.3g st", pitch);
    snprintf(out->understood + used, cap - used, "%s%s%s%s: %s", used ? "; " : "", modifier ? modifier : "",
             modifier ? " " : "", c->phrase, effect);
}

void gw_openai_instructions_read(const char *text, size_t len, gw_openai_instructions *out)
{
    out->speed_factor = 1;
    out->pitch_semitones = 0;
    out->understood[0] = '\0';
    bool used[NCUES] = {false};
    word prev = {""}, cur, next;
    size_t pos = 0;
    bool have_next = next_word(text, len, &pos, &next);
    while (have_next) {
        cur = next;
        have_next = next_word(text, len, &pos, &next);
        const cue *c = have_next ? find_cue(cur.w, next.w) : NULL;
        bool two_words = c != NULL;
        if (!c)
            c = find_cue(cur.w, NULL);
        if (c) {
            size_t i = (size_t)(c - CUES);
            double strength = modifier_strength(prev.w);
            if (!used[i] && strength > 0) {
                used[i] = true;
                double speed = pow(c->speed, strength), pitch = c->pitch * strength;
                out->speed_factor *= speed;
                out->pitch_semitones += pitch;
                note(out, strength != 1 ? prev.w : NULL, c, speed, pitch);
            }
            if (two_words) { /* the second word is spent */
                cur = next;
                have_next = next_word(text, len, &pos, &next);
            }
        }
        if (!passes_modifier_on(cur.w))
            prev = cur;
    }
}

void gw_openai_instructions_report(gw_request *r, const gw_speak_params *p)
{
    if (!p->instructions_given)
        return;
    const char *what = *p->instructions_understood ? p->instructions_understood : "nothing";
    evhttp_add_header(evhttp_request_get_output_headers(r->req), GW_INSTRUCTIONS_HEADER, what);
    ss_info(r->id, "instructions understood: %s (speed %.3g, pitch %+.3g st)", what, p->speed, p->pitch);
}
