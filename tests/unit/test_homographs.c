/* Unit tests for node/engine/frontend/homographs (through the whole front
 * end): each sentence's homograph must get the pronunciation of its sense.
 * Expected phones are festival's lexicon entries for that sense (lex.lookup
 * with the POS), or CMUdict's where festival has a single entry ("wound"
 * w uw n d, "minute" m ay n uw t, "bass" b ey s). */
#include <criterion/criterion.h>
#include <string.h>

#include "node/engine/frontend/frontend.h"
#include "node/engine/frontend/homographs.h"

typedef struct {
    const char *sentence;
    const char *word;
    const char *phones; /* without stress digits */
} homograph_case;

static const homograph_case CASES[] = {
    {"Read verse out loud for pleasure.", "read", "r iy d"},
    {"I like to read books at night.", "read", "r iy d"},
    {"She has read the whole book.", "read", "r eh d"},
    {"They had already read the letter.", "read", "r eh d"},
    {"He read the news yesterday.", "read", "r eh d"},
    {"You should read this report.", "read", "r iy d"},
    {"The lead pipe was heavy.", "lead", "l eh d"},
    {"Lead the way to the station.", "lead", "l iy d"},
    {"She will lead the team.", "lead", "l iy d"},
    {"He is the lead singer.", "lead", "l iy d"},
    {"She took the lead early.", "lead", "l iy d"},
    {"Take the lead pipe away.", "lead", "l eh d"},
    {"They live in a small house.", "live", "l ih v"},
    {"We watched the live show.", "live", "l ay v"},
    {"Live music is best in summer.", "live", "l ay v"},
    {"Both lost their lives in the storm.", "lives", "l ay v z"},
    {"She lives near the river.", "lives", "l ih v z"},
    {"The wind is strong today.", "wind", "w ih n d"},
    {"Wind the clock before bed.", "wind", "w ay n d"},
    {"Please close the door.", "close", "k l ow z"},
    {"He is a close friend of mine.", "close", "k l ow s"},
    {"The shop is close to the park.", "close", "k l ow s"},
    {"A tear rolled down her cheek.", "tear", "t iy r"},
    {"Do not tear the paper.", "tear", "t eh r"},
    {"The wound healed slowly.", "wound", "w uw n d"},
    {"She wound the rope around the post.", "wound", "w aw n d"},
    {"He broke the world record.", "record", "r eh k er d"},
    {"We will record the song tomorrow.", "record", "r ax k ao r d"},
    {"The present was wrapped in gold paper.", "present", "p r eh z ax n t"},
    {"I present my findings today.", "present", "p r iy z eh n t"},
    {"Everyone was present at the meeting.", "present", "p r eh z ax n t"},
    {"The object is round and smooth.", "object", "aa b jh eh k t"},
    {"I object to that remark.", "object", "ax b jh eh k t"},
    {"The project starts next week.", "project", "p r aa jh eh k t"},
    {"They project a loss this year.", "project", "p r ax jh eh k t"},
    {"The content of the box is fragile.", "content", "k aa n t eh n t"},
    {"She was content with the result.", "content", "k ax n t eh n t"},
    {"The desert is dry and hot.", "desert", "d eh z er t"},
    {"Do not desert your friends.", "desert", "d ih z er t"},
    {"Wait a minute please.", "minute", "m ih n ax t"},
    {"Only a minute amount was found.", "minute", "m ay n uw t"},
    {"The use of force is forbidden.", "use", "y uw s"},
    {"We use tools every day.", "use", "y uw z"},
    {"Use a pencil to write the draft.", "use", "y uw z"},
    {"He plays the bass in a band.", "bass", "b ey s"},
    {"We caught a bass in the lake.", "bass", "b ae s"},
    {"The records are kept in the attic.", "records", "r eh k er d z"},
    {"She records every lecture.", "records", "r ax k ao r d z"},
    {"Does he know the answer?", "does", "d ah z"},
    {"Please excuse the delay.", "excuse", "ih k s k y uw z"},
    {"That is a poor excuse.", "excuse", "ih k s k y uw s"},
    {"The farm sells fresh produce.", "produce", "p r ow d uw s"},
    {"The plants produce oxygen.", "produce", "p r ax d uw s"},
    {"Dispose of the refuse properly.", "refuse", "r eh f y uw s"},
    {"I refuse to go.", "refuse", "r ax f y uw z"},
    {"His conduct was excellent.", "conduct", "k ah n d ax k t"},
    {"She will conduct the orchestra.", "conduct", "k ax n d ah k t"},
    {"The rebel leader fled.", "rebel", "r eh b ax l"},
    {"Teenagers often rebel against rules.", "rebel", "r ax b eh l"},
    {"The police arrested the suspect.", "suspect", "s ah s p eh k t"},
    {"I suspect he is lying.", "suspect", "s ax s p eh k t"},
    {"That was an insult.", "insult", "ih n s ax l t"},
    {"Do not insult your guests.", "insult", "ih n s ah l t"},
    {"The house is old.", "house", "hh aw s"},
    {"The museum will house the collection.", "house", "hh aw z"},
    {"Wind up the toy car.", "wind", "w ay n d"},
    {"He went bass fishing on the river.", "bass", "b ae s"},
    {"The tears streamed down his face.", "tears", "t ih r z"},
    {"He tears the page out.", "tears", "t eh r z"},
    {"The sales record was broken.", "record", "r eh k er d"},
};

static ss_frontend *fe;
static void setup(void)
{
    char err[256];
    fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
}
static void teardown(void)
{
    ss_frontend_free(fe);
}

TestSuite(homographs, .init = setup, .fini = teardown);

/* The phones of the first word spelled `word` in the utterance, space
 * separated, into out; 0 when found. */
static int word_phones(const ss_utterance *u, const char *word, char *out, size_t outlen)
{
    for (size_t si = 0; si < u->n_sentences; si++) {
        const ss_sentence *s = &u->sentences[si];
        for (size_t w = 0; w < s->n_words; w++) {
            if (strcmp(s->words[w].text, word) != 0) continue;
            out[0] = 0;
            const ss_word *wd = &s->words[w];
            for (int y = wd->first_syl; y < wd->first_syl + wd->n_syls; y++)
                for (int p = 0; p < s->syls[y].n_phones; p++) {
                    const char *ph = s->phones[s->syls[y].first_phone + p].name;
                    if (out[0]) strncat(out, " ", outlen - strlen(out) - 1);
                    strncat(out, ph, outlen - strlen(out) - 1);
                }
            return 0;
        }
    }
    return -1;
}

Test(homographs, table_of_sentences)
{
    cr_assert_geq(sizeof CASES / sizeof CASES[0], 40);
    int failures = 0;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const homograph_case *c = &CASES[k];
        ss_utterance *u = NULL;
        char err[256], got[256];
        cr_assert_eq(ss_frontend_analyze(fe, c->sentence, strlen(c->sentence), NULL, &u, err,
                                         sizeof err),
                     0, "%s", err);
        cr_assert_eq(word_phones(u, c->word, got, sizeof got), 0, "'%s' not in '%s'", c->word,
                     c->sentence);
        if (strcmp(got, c->phones) != 0) {
            failures++;
            cr_log_error("%s: '%s' is [%s], expected [%s]", c->sentence, c->word, got, c->phones);
        }
        ss_utterance_free(u);
    }
    cr_expect_eq(failures, 0, "%d homograph sentences mispronounced", failures);
}

/* Not a homograph: no pronunciation, the lexicon's stays. */
Test(homographs, unknown_word_is_left_alone)
{
    ss_token t[] = {{.word = "cat"}};
    const char *pos[] = {"n"};
    cr_expect_null(ss_homograph_phones(t, pos, 1, 0, NULL));
}

/* A comma ends the clause: the word after it is clause-initial again. */
Test(homographs, comma_starts_a_clause)
{
    ss_token t[] = {
        {.word = "first", .punct = ','}, {.word = "read"}, {.word = "the"}, {.word = "text"}};
    const char *pos[] = {"j", "v", "0", "n"};
    ss_homograph_sense s = SS_HG_NONE;
    cr_expect_str_eq(ss_homograph_phones(t, pos, 4, 1, &s), "r iy1 d");
    cr_expect_eq(s, SS_HG_VERB);
}

/* A run-time lexicon entry wins over the homograph table. */
Test(homographs, runtime_lexicon_wins)
{
    char err[256];
    ss_lexicon *lex = ss_lexicon_create();
    cr_assert_not_null(lex);
    cr_assert_eq(ss_lexicon_add(lex, "read", "R EH1 D", err, sizeof err), 0, "%s", err);
    ss_frontend_options o = {.input = SS_INPUT_AUTO, .lexicon = lex};
    ss_utterance *u = NULL;
    const char *t = "Read verse out loud.";
    cr_assert_eq(ss_frontend_analyze(fe, t, strlen(t), &o, &u, err, sizeof err), 0, "%s", err);
    char got[64];
    cr_assert_eq(word_phones(u, "read", got, sizeof got), 0);
    cr_expect_str_eq(got, "r eh d");
    ss_utterance_free(u);
    ss_lexicon_free(lex);
}
