/* Unit tests for gateway/openai_instructions.c: the cues of a voice-design
 * prompt become a speed factor and a pitch shift, with what was understood
 * in words; intensifiers double a cue, softeners halve it, negations drop
 * it; a cue counts once; anything else is ignored. */
#include "gateway/openai_instructions.h"

#include <criterion/criterion.h>
#include <string.h>

static gw_openai_instructions read_text(const char *s)
{
    gw_openai_instructions in;
    gw_openai_instructions_read(s, strlen(s), &in);
    return in;
}

Test(openai_instructions, nothing_understood_changes_nothing)
{
    const char *texts[] = {"", "Sound like a pirate.", "   ", "\xc3\xa9\xc3\xa9 \xe2\x82\xac", "-- '' -"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        gw_openai_instructions in = read_text(texts[i]);
        cr_assert_float_eq(in.speed_factor, 1.0, 0, "%s", texts[i]);
        cr_assert_float_eq(in.pitch_semitones, 0.0, 0);
        cr_assert_str_eq(in.understood, "");
    }
}

Test(openai_instructions, pace_pitch_and_energy)
{
    const struct {
        const char *text;
        double speed, pitch;
        const char *understood;
    } cases[] = {
        {"Speak slowly.", 0.8, 0, "slowly: speed x0.8"},
        {"FAST!", 1.25, 0, "fast: speed x1.25"},
        {"a high-pitched voice", 1, 3, "high-pitched: pitch +3 st"},
        {"high pitched", 1, 3, "high pitched: pitch +3 st"},
        {"Deep and calm.", 0.9, -4, "deep: pitch -3 st; calm: speed x0.9, pitch -1 st"},
        {"excited", 1.1, 2, "excited: speed x1.1, pitch +2 st"},
        {"high energy", 1.1, 2, "high energy: speed x1.1, pitch +2 st"},
        {"very slowly", 0.64, 0, "very slowly: speed x0.64"},
        {"slightly faster", 1.118033988749895, 0, "slightly faster: speed x1.12"},
        {"not too fast", 1, 0, ""},
        {"not so deep", 1, 0, ""},
        {"a bit slower", 0.8944271909999159, 0, "bit slower: speed x0.894"},
        {"never fast, slowly", 0.8, 0, "slowly: speed x0.8"},
        {"slow slow slow", 0.8, 0, "slow: speed x0.8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_openai_instructions in = read_text(cases[i].text);
        cr_expect_float_eq(in.speed_factor, cases[i].speed, 1e-9, "%s: speed x%g", cases[i].text, in.speed_factor);
        cr_expect_float_eq(in.pitch_semitones, cases[i].pitch, 1e-9, "%s: pitch %g", cases[i].text,
                           in.pitch_semitones);
        cr_expect_str_eq(in.understood, cases[i].understood, "%s", cases[i].text);
    }
}

/* "high energy" is energy, not pitch: the two-word cue wins over "high". */
Test(openai_instructions, two_word_cues_first)
{
    gw_openai_instructions in = read_text("high energy, low voice");
    cr_assert_float_eq(in.speed_factor, 1.1, 1e-9);
    cr_assert_float_eq(in.pitch_semitones, -1.0, 1e-9);
}

/* A long prompt fills the understood text without overflowing it. */
Test(openai_instructions, long_prompts_stay_bounded)
{
    char text[4096] = "";
    const char *words[] = {"slowly ", "deep ", "calm ", "excited ", "sad ", "happy ", "whisper ", "lively ",
                           "brisk ", "squeaky ", "baritone ", "gentle ", "soothing ", "upbeat ", "gloomy "};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            strcat(text, words[i]);
    gw_openai_instructions in = read_text(text);
    cr_assert_lt(strlen(in.understood), sizeof in.understood);
    cr_assert_gt(strlen(in.understood), 100);
    /* a word longer than any cue is skipped whole, not cut into a cue */
    in = read_text("slowlyslowlyslowlyslowlyslowly fast");
    cr_assert_str_eq(in.understood, "fast: speed x1.25");
}
