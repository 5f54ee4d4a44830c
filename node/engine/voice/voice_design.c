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
    const lexeme *slot[K_N] = {0};
    double gain[K_N] = {0};
    double next_gain = 1.0;
    size_t i = 0;
    while (i < len) {
        while (i < len && !isalpha((unsigned char)prompt[i]))
            i++;
        char w[32];
        size_t k = 0;
        while (i < len && isalpha((unsigned char)prompt[i])) {
            if (k + 1 < sizeof w)
                w[k++] = (char)tolower((unsigned char)prompt[i]);
            i++;
        }
        w[k] = 0;
        if (!k)
            break;
        if (!strcmp(w, "very") || !strcmp(w, "extremely") || !strcmp(w, "really")) {
            next_gain = 2.0;
            append(u->used, sizeof u->used, w);
            continue;
        }
        if (!strcmp(w, "slightly") || !strcmp(w, "somewhat") || !strcmp(w, "bit")) {
            next_gain = 0.5;
            append(u->used, sizeof u->used, w);
            continue;
        }
        if (!strcmp(w, "not")) {
            next_gain = 0.0;
            append(u->used, sizeof u->used, w);
            continue;
        }
        const lexeme *hit = NULL;
        for (size_t j = 0; j < sizeof lexicon / sizeof lexicon[0]; j++)
            if (!strcmp(lexicon[j].word, w)) {
                hit = &lexicon[j];
                break;
            }
        if (hit) {
            if (next_gain > 0) {
                slot[hit->kind] = hit;
                gain[hit->kind] = next_gain;
            }
            append(u->used, sizeof u->used, w);
        } else if (strcmp(w, "a") != 0) {
            append(u->ignored, sizeof u->ignored, w);
        }
        next_gain = 1.0;
    }
    char *fields[K_N] = {u->gender, u->age, u->pitch, u->pace, u->timbre, u->energy};
    for (int kk = 0; kk < K_N; kk++)
        if (slot[kk])
            snprintf(fields[kk], 16, "%s", slot[kk]->value);

    /* gender: absolute F0 target */
    if (slot[K_GENDER]) {
        double g = gain[K_GENDER];
        if (!strcmp(u->gender, "male")) {
            out->lf0_shift = log(110.0) - model_lf0_mean;
            out->alpha += 0.04 * g;
        } else {
            out->lf0_shift = log(200.0) - model_lf0_mean;
        }
    }
    double st = 0, spread = 1, dur = 1, dalpha = 0, c1 = 0, c0 = 0;
    if (slot[K_AGE]) {
        double g = gain[K_AGE];
        if (!strcmp(u->age, "child")) {
            st += 4 * g;
            dalpha -= 0.04 * g;
        } else if (!strcmp(u->age, "young")) {
            st += 1 * g;
        } else if (!strcmp(u->age, "middle-aged")) {
            st -= 1 * g;
        } else {
            st -= 1.5 * g;
            spread *= pow(0.85, g);
            dur *= pow(1.1, g);
        }
    }
    if (slot[K_PITCH]) {
        double g = gain[K_PITCH];
        st += (!strcmp(u->pitch, "low") ? -3.0 : 3.0) * g;
        if (!strcmp(slot[K_PITCH]->word, "deep"))
            dalpha += 0.02 * g;
    }
    if (slot[K_PACE])
        dur *= pow(!strcmp(u->pace, "slow") ? 1.2 : 0.83, gain[K_PACE]);
    if (slot[K_TIMBRE])
        c1 += (!strcmp(u->timbre, "warm") ? 0.15 : -0.15) * gain[K_TIMBRE];
    if (slot[K_ENERGY]) {
        double g = gain[K_ENERGY];
        if (!strcmp(u->energy, "energetic")) {
            spread *= pow(1.3, g);
            dur *= pow(0.95, g);
            c0 += 2.0 * g * DB_TO_NEPER;
        } else if (!strcmp(u->energy, "calm")) {
            spread *= pow(0.75, g);
            c0 -= 2.0 * g * DB_TO_NEPER;
        } else {
            spread *= pow(0.5, g);
        }
    }
    out->lf0_shift += st * ST;
    out->lf0_scale = spread;
    out->duration_scale = dur;
    out->alpha += dalpha;
    out->cep_bias[0] = c0;
    out->cep_bias[1] = c1;
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
