/* Voice design prompt parser; the vocabulary and steps are in
 * voice_design.h. One pass over the words: each known word sets its kind's
 * slot (last wins), with an intensity from the word before it; the slots
 * are then turned into conditioning in a fixed order. */
#include "node/engine/voice/voice_design.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum kind { K_GENDER, K_AGE, K_PITCH, K_PACE, K_TIMBRE, K_ENERGY, K_N };

typedef struct {
    const char *word;
    enum kind kind;
    const char *value;
} lexeme;

static const lexeme lexicon[] = {
    {"male", K_GENDER, "male"}, {"man", K_GENDER, "male"}, {"boy", K_GENDER, "male"},
    {"masculine", K_GENDER, "male"}, {"baritone", K_GENDER, "male"}, {"bass", K_GENDER, "male"},
    {"gentleman", K_GENDER, "male"}, {"guy", K_GENDER, "male"},
    {"female", K_GENDER, "female"}, {"woman", K_GENDER, "female"}, {"girl", K_GENDER, "female"},
    {"feminine", K_GENDER, "female"}, {"soprano", K_GENDER, "female"}, {"lady", K_GENDER, "female"},
    {"child", K_AGE, "child"}, {"kid", K_AGE, "child"}, {"young", K_AGE, "young"},
    {"youthful", K_AGE, "young"}, {"teen", K_AGE, "young"}, {"teenage", K_AGE, "young"},
    {"middle", K_AGE, "middle-aged"}, {"mature", K_AGE, "middle-aged"},
    {"elderly", K_AGE, "elderly"}, {"old", K_AGE, "elderly"}, {"aged", K_AGE, "elderly"},
    {"senior", K_AGE, "elderly"},
    {"deep", K_PITCH, "low"}, {"low", K_PITCH, "low"}, {"high", K_PITCH, "high"},
    {"squeaky", K_PITCH, "high"},
    {"slow", K_PACE, "slow"}, {"slowly", K_PACE, "slow"}, {"deliberate", K_PACE, "slow"},
    {"measured", K_PACE, "slow"}, {"leisurely", K_PACE, "slow"},
    {"fast", K_PACE, "fast"}, {"quick", K_PACE, "fast"}, {"rapid", K_PACE, "fast"},
    {"brisk", K_PACE, "fast"}, {"hurried", K_PACE, "fast"},
    {"warm", K_TIMBRE, "warm"}, {"dark", K_TIMBRE, "warm"}, {"mellow", K_TIMBRE, "warm"},
    {"rich", K_TIMBRE, "warm"}, {"husky", K_TIMBRE, "warm"}, {"smooth", K_TIMBRE, "warm"},
    {"bright", K_TIMBRE, "bright"}, {"crisp", K_TIMBRE, "bright"}, {"clear", K_TIMBRE, "bright"},
    {"thin", K_TIMBRE, "bright"}, {"sharp", K_TIMBRE, "bright"},
    {"energetic", K_ENERGY, "energetic"}, {"lively", K_ENERGY, "energetic"},
    {"excited", K_ENERGY, "energetic"}, {"animated", K_ENERGY, "energetic"},
    {"expressive", K_ENERGY, "energetic"}, {"enthusiastic", K_ENERGY, "energetic"},
    {"dynamic", K_ENERGY, "energetic"},
    {"calm", K_ENERGY, "calm"}, {"soft", K_ENERGY, "calm"}, {"gentle", K_ENERGY, "calm"},
    {"relaxed", K_ENERGY, "calm"}, {"soothing", K_ENERGY, "calm"}, {"quiet", K_ENERGY, "calm"},
    {"monotone", K_ENERGY, "monotone"}, {"flat", K_ENERGY, "monotone"},
};

/* Two-word cues, tried before their first word alone: "low energy" is an
 * energy, not a low pitch ("low-energy" splits into the same two words). */
static const struct {
    const char *first, *second;
    lexeme as;
} phrases[] = {
    {"low", "energy", {"low energy", K_ENERGY, "calm"}},
    {"high", "energy", {"high energy", K_ENERGY, "energetic"}},
    {"low", "key", {"low key", K_ENERGY, "calm"}},
};

static void append(char *dst, size_t cap, const char *w)
{
    size_t n = strlen(dst);
    if (n + strlen(w) + 2 > cap)
        return;
    snprintf(dst + n, cap - n, "%s%s", n ? " " : "", w);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Clamps to conditioning's safe ranges (conditioning.c). */
static int finish(ss_conditioning *c, char *err, size_t errlen)
{
    c->lf0_shift = clampd(c->lf0_shift, -1.05, 1.05);
    c->lf0_scale = clampd(c->lf0_scale, 0.4, 2.5);
    c->alpha = clampd(c->alpha, 0.30, 0.60);
    c->duration_scale = clampd(c->duration_scale, 0.6, 1.6);
    for (int k = 0; k < SS_COND_NBIAS; k++)
        c->cep_bias[k] = clampd(c->cep_bias[k], -1.5, 1.5);
    return ss_conditioning_validate(c, err, errlen);
}

#define ST (log(2.0) / 12.0) /* one semitone in natural-log F0 */
#define DB_TO_NEPER (log(10.0) / 20.0)

/* Intensity words: the gain they give the next word ("a bit" is "bit",
 * "a" being skipped). */
static const struct {
    const char *word;
    double gain;
} modifiers[] = {
    {"very", 2.0}, {"extremely", 2.0}, {"really", 2.0},
    {"slightly", 0.5}, {"somewhat", 0.5}, {"bit", 0.5},
    {"not", 0.0},
};

/* The prompt read: per kind, the last word of that kind and its gain. */
typedef struct {
    const lexeme *slot[K_N];
    double gain[K_N];
} design_words;

/* The steps the words add up to, applied to the conditioning at the end. */
typedef struct {
    ss_conditioning *out;
    double model_lf0_mean;
    double st, spread, dur, dalpha, c1, c0;
} design_steps;

/* Reads the next word of prompt from *i into w (lower case, cut to fit);
 * returns its length, 0 at the end. */
static size_t next_word(const char *prompt, size_t len, size_t *i, char w[32])
{
    while (*i < len && !isalpha((unsigned char)prompt[*i]))
        (*i)++;
    size_t k = 0;
    while (*i < len && isalpha((unsigned char)prompt[*i])) {
        if (k + 1 < 32)
            w[k++] = (char)tolower((unsigned char)prompt[*i]);
        (*i)++;
    }
    w[k] = 0;
    return k;
}

static const lexeme *find_lexeme(const char *w)
{
    for (size_t j = 0; j < sizeof lexicon / sizeof lexicon[0]; j++)
        if (!strcmp(lexicon[j].word, w))
            return &lexicon[j];
    return NULL;
}

/* The two-word cue that w and the word after *i make; when there is one,
 * *i moves past its second word. */
static const lexeme *find_phrase(const char *w, const char *prompt, size_t len, size_t *i)
{
    size_t j = *i;
    char second[32];
    if (!next_word(prompt, len, &j, second))
        return NULL;
    for (size_t k = 0; k < sizeof phrases / sizeof phrases[0]; k++)
        if (!strcmp(phrases[k].first, w) && !strcmp(phrases[k].second, second)) {
            *i = j;
            return &phrases[k].as;
        }
    return NULL;
}

/* Gain of intensity word w into *gain; 0 if w is one, -1 if not. */
static int find_modifier(const char *w, double *gain)
{
    for (size_t j = 0; j < sizeof modifiers / sizeof modifiers[0]; j++)
        if (!strcmp(modifiers[j].word, w)) {
            *gain = modifiers[j].gain;
            return 0;
        }
    return -1;
}

/* One pass over the words of prompt: fills dw and the used/ignored lists. */
static void read_words(const char *prompt, size_t len, design_words *dw, ss_design_understood *u)
{
    double next_gain = 1.0;
    size_t i = 0;
    while (i < len) {
        char w[32];
        if (!next_word(prompt, len, &i, w))
            break;
        if (find_modifier(w, &next_gain) == 0) {
            append(u->used, sizeof u->used, w);
            continue;
        }
        const lexeme *hit = find_phrase(w, prompt, len, &i);
        if (!hit)
            hit = find_lexeme(w);
        if (hit) {
            if (next_gain > 0) {
                dw->slot[hit->kind] = hit;
                dw->gain[hit->kind] = next_gain;
            }
            append(u->used, sizeof u->used, hit->word);
        } else if (strcmp(w, "a") != 0) {
            append(u->ignored, sizeof u->ignored, w);
        }
        next_gain = 1.0;
    }
}

/* gender: absolute F0 target */
static void apply_gender(design_steps *d, const lexeme *x, double g)
{
    if (!strcmp(x->value, "male")) {
        d->out->lf0_shift = log(110.0) - d->model_lf0_mean;
        d->out->alpha += 0.04 * g;
    } else {
        d->out->lf0_shift = log(200.0) - d->model_lf0_mean;
    }
}

static void apply_age(design_steps *d, const lexeme *x, double g)
{
    if (!strcmp(x->value, "child")) {
        d->st += 4 * g;
        d->dalpha -= 0.04 * g;
    } else if (!strcmp(x->value, "young")) {
        d->st += 1 * g;
    } else if (!strcmp(x->value, "middle-aged")) {
        d->st -= 1 * g;
    } else {
        d->st -= 1.5 * g;
        d->spread *= pow(0.85, g);
        d->dur *= pow(1.1, g);
    }
}

static void apply_pitch(design_steps *d, const lexeme *x, double g)
{
    d->st += (!strcmp(x->value, "low") ? -3.0 : 3.0) * g;
    if (!strcmp(x->word, "deep"))
        d->dalpha += 0.02 * g;
}

static void apply_pace(design_steps *d, const lexeme *x, double g)
{
    d->dur *= pow(!strcmp(x->value, "slow") ? 1.2 : 0.83, g);
}

static void apply_timbre(design_steps *d, const lexeme *x, double g)
{
    d->c1 += (!strcmp(x->value, "warm") ? 0.15 : -0.15) * g;
}

static void apply_energy(design_steps *d, const lexeme *x, double g)
{
    if (!strcmp(x->value, "energetic")) {
        d->spread *= pow(1.3, g);
        d->dur *= pow(0.95, g);
        d->c0 += 2.0 * g * DB_TO_NEPER;
    } else if (!strcmp(x->value, "calm")) {
        d->spread *= pow(0.75, g);
        d->c0 -= 2.0 * g * DB_TO_NEPER;
    } else {
        d->spread *= pow(0.5, g);
    }
}

/* Per kind, in the order the steps are applied. */
static void (*const apply_kind[K_N])(design_steps *, const lexeme *, double) = {
    [K_GENDER] = apply_gender, [K_AGE] = apply_age,       [K_PITCH] = apply_pitch,
    [K_PACE] = apply_pace,     [K_TIMBRE] = apply_timbre, [K_ENERGY] = apply_energy,
};

int ss_voice_design_parse(const char *prompt, double model_lf0_mean, double model_alpha,
                          ss_conditioning *out, ss_design_understood *u, char *err, size_t errlen)
{
    ss_design_understood local;
    if (!u)
        u = &local;
    memset(u, 0, sizeof *u);
    ss_conditioning_identity(out, model_lf0_mean, model_alpha);
    snprintf(out->source, sizeof out->source, "design");
    size_t len = prompt ? strlen(prompt) : 0;
    if (len == 0 || len > SS_DESIGN_MAX_PROMPT) {
        snprintf(err, errlen, "voice design: the prompt must have 1..%d characters", SS_DESIGN_MAX_PROMPT);
        return -1;
    }
    design_words dw = {0};
    read_words(prompt, len, &dw, u);
    char *fields[K_N] = {u->gender, u->age, u->pitch, u->pace, u->timbre, u->energy};
    for (int kk = 0; kk < K_N; kk++)
        if (dw.slot[kk])
            snprintf(fields[kk], 16, "%s", dw.slot[kk]->value);

    design_steps d = {.out = out, .model_lf0_mean = model_lf0_mean, .spread = 1, .dur = 1};
    for (int kk = 0; kk < K_N; kk++)
        if (dw.slot[kk])
            apply_kind[kk](&d, dw.slot[kk], dw.gain[kk]);
    out->lf0_shift += d.st * ST;
    out->lf0_scale = d.spread;
    out->duration_scale = d.dur;
    out->alpha += d.dalpha;
    out->cep_bias[0] = d.c0;
    out->cep_bias[1] = d.c1;
    return finish(out, err, errlen);
}

int ss_voice_design_from_numbers(double f0_shift_st, double f0_range_scale, double alpha_shift,
                                 double brightness, double energy_db, double rate_scale,
                                 double model_lf0_mean, double model_alpha, ss_conditioning *out,
                                 char *err, size_t errlen)
{
    ss_conditioning_identity(out, model_lf0_mean, model_alpha);
    snprintf(out->source, sizeof out->source, "design");
    const double v[] = {f0_shift_st, f0_range_scale, alpha_shift, brightness, energy_db, rate_scale};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i])) {
            snprintf(err, errlen, "voice design: a parameter is not finite");
            return -1;
        }
    out->lf0_shift = f0_shift_st * ST;
    out->lf0_scale = f0_range_scale > 0 ? f0_range_scale : 1.0;
    out->alpha += alpha_shift;
    out->cep_bias[0] = energy_db * DB_TO_NEPER;
    out->cep_bias[1] = -0.15 * brightness;
    out->duration_scale = rate_scale > 0 ? 1.0 / rate_scale : 1.0;
    return finish(out, err, errlen);
}

void ss_design_understood_format(const ss_design_understood *u, char *buf, size_t cap)
{
    snprintf(buf, cap, "gender=%s age=%s pitch=%s pace=%s timbre=%s energy=%s", u->gender, u->age,
             u->pitch, u->pace, u->timbre, u->energy);
}
