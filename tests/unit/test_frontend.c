/* Unit tests for node/engine/frontend/frontend (ss_frontend_analyze, the
 * whole front end): hostile input gives clear errors or sensible speech,
 * never a crash or a hang; plus SSML, lexicon and structure checks through
 * the analysis. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/frontend.h"
#include "node/engine/frontend/ssml_parser.h"

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

static ss_utterance *ok(const char *t, size_t len, const ss_frontend_options *o)
{
    ss_utterance *u = NULL;
    char err[256];
    cr_assert_eq(ss_frontend_analyze(fe, t, len, o, &u, err, sizeof err), 0, "%s", err);
    return u;
}

static void bad(const char *t, const char *needle)
{
    ss_utterance *u = NULL;
    char err[256] = "";
    cr_assert_eq(ss_frontend_analyze(fe, t, strlen(t), NULL, &u, err, sizeof err), SS_FRONTEND_INVALID_TEXT, "accepted: %s", t);
    cr_expect_null(u);
    cr_expect(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

TestSuite(frontend, .init = setup, .fini = teardown);

Test(frontend, empty_and_whitespace)
{
    ss_utterance *u = ok("", 0, NULL);
    cr_expect_eq(u->n_sentences, 0);
    ss_utterance_free(u);
    u = ok(" \t\n  ", 5, NULL);
    cr_expect_eq(u->n_sentences, 0);
    ss_utterance_free(u);
}

Test(frontend, labels_structure)
{
    const char *t = "Glue the sheet to the dark blue background.";
    ss_utterance *u = ok(t, strlen(t), NULL);
    cr_assert_eq(u->n_sentences, 1);
    ss_sentence *s = &u->sentences[0];
    cr_expect_str_eq(s->phones[0].name, "pau");
    cr_expect_str_eq(s->phones[s->n_phones - 1].name, "pau");
    cr_expect_eq(s->n_phrases, 2, "festival breaks before 'to'");
    cr_expect(strncmp(s->labels[0], "x^x-pau+g=l@x_x/A:0_0_0/B:x-x-x", 30) == 0, "%s", s->labels[0]);
    cr_expect(strstr(s->labels[0], "/J:9+8-2") != NULL, "%s", s->labels[0]);
    cr_expect_str_eq(s->words[0].text, "glue");
    cr_expect_eq(s->words[0].src_start, 0);
    cr_expect_eq(s->words[0].src_end, 4);
    ss_utterance_free(u);
}

Test(frontend, clitic_is_one_word_and_the_stays_schwa)
{
    const char *t = "It's the evening.";
    ss_utterance *u = ok(t, strlen(t), NULL);
    ss_sentence *s = &u->sentences[0];
    cr_assert_eq(s->n_words, 3);
    cr_expect_str_eq(s->words[0].text, "it's");
    cr_expect_str_eq(s->phones[s->syls[s->words[1].first_syl].first_phone + 1].name, "ax");
    ss_utterance_free(u);
}

Test(frontend, quarter_megabyte_of_text)
{
    size_t n = 1 << 18; /* 256 KB here (< 2 s); the 1 MB run is in tests/bench/frontend_bench.sh */
    char *t = malloc(n + 1);
    const char *s = "The quick brown fox jumps over 13 lazy dogs, and runs away. ";
    size_t sl = strlen(s);
    for (size_t i = 0; i < n; i++) t[i] = s[i % sl];
    t[n] = 0;
    ss_utterance *u = ok(t, n, NULL);
    cr_expect_gt(u->n_sentences, 4000);
    ss_utterance_free(u);
    free(t);
}

Test(frontend, ten_thousand_digit_number)
{
    size_t n = 10000;
    char *t = malloc(n + 1);
    for (size_t i = 0; i < n; i++) t[i] = (char)('0' + i % 10);
    t[n] = 0;
    ss_utterance *u = ok(t, n, NULL);
    size_t words = 0;
    for (size_t i = 0; i < u->n_sentences; i++) words += u->sentences[i].n_words;
    cr_expect_eq(words, 10000, "read digit by digit");
    ss_utterance_free(u);
    free(t);
}

Test(frontend, invalid_utf8_and_control_chars)
{
    const char t[] = "\xff\xfe\xc3\x28 hello \x01\x02\x1b[31m world \xed\xa0\x80 \xf4\x90\x80\x80 end";
    ss_utterance *u = ok(t, sizeof t - 1, NULL);
    cr_expect_eq(u->n_sentences, 1);
    ss_utterance_free(u);
    const char only[] = "\x01\x02\x03\xff";
    u = ok(only, sizeof only - 1, NULL);
    cr_expect_eq(u->n_sentences, 0);
    ss_utterance_free(u);
}

Test(frontend, ssml_subset)
{
    const char *t = "<speak><p><s>Call <say-as interpret-as=\"telephone\">555-1234</say-as>"
                    "<break time=\"500ms\"/> now.</s></p><prosody rate=\"slow\" pitch=\"+2st\">"
                    "<sub alias=\"World Wide Web\">WWW</sub> and <phoneme alphabet=\"ipa\" "
                    "ph=\"t\xc9\x99\xcb\x88me\xc9\xaat\xc9\x99\xca\x8a\">tomato</phoneme> &amp; "
                    "<say-as interpret-as=\"characters\">ok</say-as></prosody></speak>";
    ss_utterance *u = ok(t, strlen(t), NULL);
    cr_assert_eq(u->n_sentences, 2);
    ss_sentence *a = &u->sentences[0], *b = &u->sentences[1];
    cr_expect_eq(a->n_phrases, 2, "break splits the phrase");
    int pause_ms = 0;
    for (size_t i = 0; i < a->n_phones; i++) if (a->phones[i].pause_ms) pause_ms = a->phones[i].pause_ms;
    cr_expect_eq(pause_ms, 500);
    cr_expect_str_eq(b->words[0].text, "world");
    cr_expect_eq(b->words[0].rate, 0.75);
    cr_expect_eq(b->words[0].pitch_st, 2.0);
    cr_expect_str_eq(b->words[4].text, "tomato");
    cr_expect_str_eq(b->words[5].text, "and");
    cr_expect_str_eq(b->words[6].text, "o");
    ss_utterance_free(u);
}

Test(frontend, ssml_errors_name_the_position)
{
    bad("<speak>unclosed <prosody rate=\"slow\">text</speak>", "line 1:");
    bad("<speak>a <b>x</speak>", "does not match");
    bad("<speak>open", "unclosed element");
    bad("<speak>bad &foo; entity</speak>", "bad entity");
    bad("<speak>\n  <break time=\"1s\"", "line 2:3");
    bad("<speak><sub>x</sub></speak>", "alias");
    bad("<speak><phoneme alphabet=\"ipa\" ph=\"\xe2\x98\x83\">x</phoneme></speak>", "IPA");
    bad("<speak><phoneme ph=\"zz1\">x</phoneme></speak>", "unknown phone");
}

Test(frontend, ssml_deep_nesting_and_unknown_tags)
{
    char t[8192] = "<speak>";
    for (int i = 0; i < 100; i++) strcat(t, "<prosody>");
    strcat(t, "deep");
    for (int i = 0; i < 100; i++) strcat(t, "</prosody>");
    strcat(t, "</speak>");
    bad(t, "nested too deeply");
    const char *u2 = "<speak><emphasis level=\"strong\" foo=\"bar\">loud</emphasis> <mark name=\"m\"/>"
                     "<unknown x=\"1\">words</unknown></speak>";
    ss_utterance *u = ok(u2, strlen(u2), NULL);
    cr_expect_eq(u->sentences[0].n_words, 2);
    ss_utterance_free(u);
}

Test(frontend, runtime_lexicon_wins)
{
    ss_lexicon *lex = ss_lexicon_create();
    char err[256];
    cr_assert_eq(ss_lexicon_add(lex, "Scaispeak", "S K AY1 S P IY0 K", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_lexicon_add(lex, "the", "DH IY1", err, sizeof err), 0, "%s", err);
    cr_expect_eq(ss_lexicon_add(lex, "bad", "QQ1", err, sizeof err), -1);
    ss_frontend_options o = {.lexicon = lex};
    const char *t = "the scaispeak";
    ss_utterance *u = ok(t, strlen(t), &o);
    ss_sentence *s = &u->sentences[0];
    cr_assert_eq(s->n_words, 2);
    cr_expect_str_eq(s->phones[2].name, "iy");
    cr_expect_eq(s->words[1].n_syls, 2);
    cr_expect_str_eq(s->phones[3].name, "s");
    cr_expect_str_eq(s->phones[4].name, "k");
    ss_utterance_free(u);
    ss_lexicon_free(lex);
}

Test(frontend, emphasis_forces_an_accent)
{
    /* "of" is never accented by the tree; inside <emphasis> it is (EMPH). */
    const char *plain = "<speak>The juice of lemons.</speak>";
    const char *emph = "<speak>The juice <emphasis>of</emphasis> lemons.</speak>";
    ss_utterance *a = ok(plain, strlen(plain), NULL), *b = ok(emph, strlen(emph), NULL);
    const ss_sentence *sa = &a->sentences[0], *sb = &b->sentences[0];
    cr_assert_str_eq(sa->words[2].text, "of");
    cr_expect_eq(sa->syls[sa->words[2].first_syl].accented, 0);
    cr_expect_eq(sb->syls[sb->words[2].first_syl].accented, 1);
    cr_expect_str_eq(sb->syls[sb->words[2].first_syl].accent, "H*");
    ss_utterance_free(a);
    ss_utterance_free(b);
}

Test(frontend, long_unpunctuated_text_gets_phrase_breaks)
{
    const char *t = "the man in the blue coat walked along the river with his old dog on a "
                    "cold morning in the early spring of the year before the war";
    ss_utterance *u = ok(t, strlen(t), NULL);
    cr_assert_eq(u->n_sentences, 1);
    cr_expect_geq(u->sentences[0].n_phrases, 2);
    for (size_t p = 0; p < u->sentences[0].n_phrases; p++)
        cr_expect_leq(u->sentences[0].phrases[p].n_words, 13);
    ss_utterance_free(u);
}

typedef struct {
    const char *text;
    char *joined;
} thread_job;

static char *all_labels(ss_utterance *u)
{
    size_t n = 1;
    for (size_t s = 0; s < u->n_sentences; s++)
        for (size_t i = 0; i < u->sentences[s].n_phones; i++) n += strlen(u->sentences[s].labels[i]) + 1;
    char *out = calloc(n, 1);
    for (size_t s = 0; s < u->n_sentences; s++)
        for (size_t i = 0; i < u->sentences[s].n_phones; i++) {
            strcat(out, u->sentences[s].labels[i]);
            strcat(out, "\n");
        }
    return out;
}

static void *analyze_many(void *arg)
{
    thread_job *j = arg;
    for (int k = 0; k < 20; k++) {
        ss_utterance *u = NULL;
        char err[256];
        if (ss_frontend_analyze(fe, j->text, strlen(j->text), NULL, &u, err, sizeof err)) return NULL;
        char *l = all_labels(u);
        ss_utterance_free(u);
        if (j->joined && strcmp(j->joined, l) != 0) { free(l); return NULL; }
        free(j->joined);
        j->joined = l;
    }
    return arg;
}

Test(frontend, concurrent_analysis_gives_the_same_labels)
{
    const char *texts[4] = {"The birch canoe slid on the smooth planks.", "It's 10:30 a.m. on Jan. 3, 2024.",
                            "Call Dr. Smith at 555-123-4567, please.", "The soft cushion broke the man's fall."};
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){texts[i], NULL};
        pthread_create(&th[i], NULL, analyze_many, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_expect_not_null(r, "thread %d saw different labels or an error", i);
        ss_utterance *u = ok(texts[i], strlen(texts[i]), NULL);
        char *single = all_labels(u);
        cr_expect_str_eq(jobs[i].joined ? jobs[i].joined : "", single);
        free(single);
        free(jobs[i].joined);
        ss_utterance_free(u);
    }
}
