/* Voice design: an English description ("deep, slow, elderly male
 * narrator", "bright young female, energetic, fast") read for gender, age,
 * pitch, pace, warmth/brightness and energy, and turned into the same
 * conditioning a reference clip gives (conditioning.h). Deterministic: the
 * same prompt always gives the same parameters. It reports what it
 * understood so the API can show it (API.md §4 design{...}).
 *
 * Words (case-insensitive, hyphens split words: "high-pitched" = "high
 * pitched"), and what each does, starting from the model's own voice:
 *   gender   male/man/boy/masculine/baritone/bass: F0 to 110 Hz, alpha +0.04
 *            (longer vocal tract: formants lower);
 *            female/woman/girl/feminine/soprano: F0 to 200 Hz, alpha +0;
 *            neither: the model's F0 (slt: about 170 Hz).
 *   age      child/kid: +4 st, alpha -0.04; young/youthful/teen: +1 st;
 *            middle-aged/mature: -1 st; elderly/old/aged/senior: -1.5 st,
 *            F0 spread x0.85, durations x1.1.
 *   pitch    deep/low: -3 st (deep also alpha +0.02); high/squeaky: +3 st.
 *   pace     slow/slowly/deliberate/measured/leisurely: durations x1.2;
 *            fast/quick/rapid/brisk/hurried: durations x0.83.
 *   timbre   warm/dark/mellow/rich/husky/smooth: c1 +0.15 (more low
 *            frequencies); bright/crisp/clear/thin/sharp: c1 -0.15.
 *   energy   energetic/lively/excited/animated/expressive/enthusiastic/
 *            dynamic: F0 spread x1.3, durations x0.95, loudness +2 dB;
 *            "high energy" counts as energetic;
 *            calm/soft/gentle/relaxed/soothing/quiet, "low energy", "low
 *            key": spread x0.75, -2 dB;
 *            monotone/flat: spread x0.5.
 *   Two-word cues are read before their first word alone ("low energy" is
 *   no low pitch).
 *   "very"/"extremely"/"really" before a word doubles its step (semitones,
 *   alpha and bias steps; ratios squared); "slightly"/"somewhat"/"a bit"
 *   halves it; "not" before a word cancels it. Other words are ignored (and
 *   listed as ignored). When two words of one kind disagree, the last wins.
 * Results are clamped to conditioning's safe ranges. */
#ifndef SS_ENGINE_VOICE_DESIGN_H
#define SS_ENGINE_VOICE_DESIGN_H

#include "node/engine/voice/conditioning.h"

#include <stddef.h>

#define SS_DESIGN_MAX_PROMPT 1000

typedef struct {
    char gender[16];        /* "male", "female" or "" */
    char age[16];           /* "child", "young", "middle-aged", "elderly" or "" */
    char pitch[16];         /* "low", "high" or "" */
    char pace[16];          /* "slow", "fast" or "" */
    char timbre[16];        /* "warm", "bright" or "" */
    char energy[16];        /* "energetic", "calm", "monotone" or "" */
    char used[256];         /* words that mattered, space-separated, in order */
    char ignored[256];      /* words that did not */
} ss_design_understood;

/* Parses prompt into out (relative to the model's mean log F0 and MCP
 * alpha). u may be NULL. 0, or -1 with err (empty or over-long prompt). */
int ss_voice_design_parse(const char *prompt, double model_lf0_mean, double model_alpha,
                          ss_conditioning *out, ss_design_understood *u, char *err, size_t errlen);

/* Numeric design (the Synthesize request's design fields): F0 shift in
 * semitones, F0 range scale (0 = 1), alpha shift, brightness (-1..1: c1
 * -0.15 per unit), energy dB, rate scale (> 1 faster; 0 = 1). */
int ss_voice_design_from_numbers(double f0_shift_st, double f0_range_scale, double alpha_shift,
                                 double brightness, double energy_db, double rate_scale,
                                 double model_lf0_mean, double model_alpha, ss_conditioning *out,
                                 char *err, size_t errlen);

/* "gender=male age=elderly pitch=low pace=slow timbre= energy=" form. */
void ss_design_understood_format(const ss_design_understood *u, char *buf, size_t cap);

#endif
