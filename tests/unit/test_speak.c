/* Unit tests for node/engine/synth/speak.c (ss_engine_speak, the one text ->
 * audio orchestration): chunks arrive in order with utterance offsets that
 * join without gaps across sentences; per-sentence timings are shifted by the
 * audio before them and point back into the caller's text; SSML breaks and
 * prosody are applied; invalid SSML, empty text and out-of-range options are
 * SS_SPEAK_INVALID; a sink that says stop cancels. */
#include "node/engine/engine.h"

#include "tests/unit/long_text_memory.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static ss_voice *voice;
static ss_frontend *fe;

static void setup(void)
{
    char err[256];
    voice = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(voice, "%s", err);
    fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
}

static void teardown(void)
{
    ss_frontend_free(fe);
    ss_voice_free(voice);
}

typedef struct {
    size_t samples, chunks, next_index, sentences, words;
    int gap;                    /* a chunk did not start where the last ended */
    int bad_word;               /* a word's text does not match its range */
    double last_word_end_ms;
    int stop_after_chunks;      /* > 0: say stop at that chunk */
    const char *text;
} collector;

static int on_audio(void *user, const ss_audio_chunk *c)
{
    collector *k = user;
    if (c->first_sample != k->samples || c->index != k->next_index)
        k->gap = 1;
    k->samples += c->nsamples;
    k->chunks++;
    k->next_index++;
    return k->stop_after_chunks > 0 && (int)k->chunks >= k->stop_after_chunks;
}

static int on_alignment(void *user, const ss_sentence_alignment *a)
{
    collector *k = user;
    cr_expect_eq(a->sentence, k->sentences, "sentences numbered in order");
    k->sentences++;
    for (size_t i = 0; i < a->nwords; i++) {
        const ss_spoken_word *w = &a->words[i];
        if (w->text != k->text + w->src_start || w->text_len != w->src_end - w->src_start)
            k->bad_word = 1;
        cr_expect(w->start_ms + 1e-9 >= k->last_word_end_ms, "word times go forward");
        cr_expect(w->end_ms > w->start_ms);
        k->last_word_end_ms = w->end_ms;
        k->words++;
    }
    return 0;
}

static int speak(const char *text, ss_synth_options *o, collector *k, char *err, size_t errlen)
{
    ss_synth_options def;
    if (!o) {
        ss_synth_options_init(&def);
        o = &def;
    }
    k->text = text;
    ss_speak_sink sink = {.audio = on_audio, .alignment = on_alignment, .user = k};
    ss_speak_stats st;
    int rc = ss_engine_speak(voice, fe, text, strlen(text), o, &sink, &st, err, errlen);
    if (rc == 0) {
        cr_expect_eq(st.nsamples, k->samples, "stats count every sample delivered");
        cr_expect_eq(st.sentences, k->sentences);
    }
    return rc;
}

TestSuite(speak, .init = setup, .fini = teardown, .timeout = 60);

Test(speak, sentences_join_without_gaps_and_words_point_into_the_text)
{
    collector k = {0};
    char err[256];
    const char *text = "Good morning. The next train leaves at nine. Thank you!";
    cr_assert_eq(speak(text, NULL, &k, err, sizeof err), 0, "%s", err);
    cr_expect_eq(k.sentences, 3);
    cr_expect_eq(k.gap, 0, "chunks are contiguous across sentences");
    cr_expect_eq(k.bad_word, 0, "every word's text is its range of the input");
    cr_expect_geq(k.words, 10);
    cr_expect(k.last_word_end_ms <= 1000.0 * (double)k.samples / 32000 + 1);
}

Test(speak, break_adds_its_length)
{
    collector a = {0}, b = {0};
    char err[256];
    cr_assert_eq(speak("<speak>One two.</speak>", NULL, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(speak("<speak>One <break time=\"1500ms\"/> two.</speak>", NULL, &b, err, sizeof err), 0, "%s",
                 err);
    double added = (double)(b.samples - a.samples) / 32000;
    cr_expect(added >= 1.4 && added <= 1.7, "break added %.3f s", added);
}

Test(speak, prosody_rate_slow_lengthens)
{
    collector a = {0}, b = {0};
    char err[256];
    cr_assert_eq(speak("<speak>The quick brown fox.</speak>", NULL, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(speak("<speak><prosody rate=\"slow\">The quick brown fox.</prosody></speak>", NULL, &b, err,
                       sizeof err),
                 0, "%s", err);
    cr_expect(b.samples > a.samples * 1.15, "%zu vs %zu samples", b.samples, a.samples);
}

Test(speak, bad_text_and_bad_options_are_invalid)
{
    collector k = {0};
    char err[256];
    cr_expect_eq(speak("<speak>unclosed <prosody rate=\"slow\">x</speak>", NULL, &k, err, sizeof err),
                 SS_SPEAK_INVALID, "%s", err);
    cr_expect_eq(speak("   ", NULL, &k, err, sizeof err), SS_SPEAK_INVALID);
    cr_expect(strstr(err, "nothing to say") != NULL, "%s", err);
    ss_synth_options o;
    ss_synth_options_init(&o);
    o.speed = 4.5;
    cr_expect_eq(speak("Hello.", &o, &k, err, sizeof err), SS_SPEAK_INVALID);
    cr_expect(strstr(err, "speed must be a number from 0.25 to 4") != NULL, "%s", err);
    cr_expect_eq(k.chunks, 0, "nothing was synthesized");
}

Test(speak, a_sink_that_says_stop_cancels)
{
    collector k = {.stop_after_chunks = 1};
    char err[256];
    cr_expect_eq(speak("First sentence here. Second sentence there. Third one.", NULL, &k, err, sizeof err),
                 SS_SYNTH_CANCELLED);
    cr_expect_eq(k.chunks, 1, "no chunk after the sink said stop");
}


/* The front end is pulled sentence by sentence: the first chunk of a
 * 300 KB text goes out when only the first window of it has been read, and
 * the process never holds the text's analysis (analysed up front, as
 * before, its labels alone took about 60 MB). Cancelled after two chunks:
 * what is measured is how the call starts, in a second. */
Test(speak, a_long_text_starts_before_it_is_read_and_in_bounded_memory)
{
    static const char *const S[] = {"The birch canoe slid on the smooth planks. ",
                                    "Glue the sheet to the dark blue background, then wait for me. ",
                                    "It's easy to tell the depth of a well. "};
    size_t len;
    char *text = long_text(S, 3, 300 * 1024, &len);
    cr_assert_not_null(text);
    long before_kb = vm_hwm_kb();
    collector k = {.stop_after_chunks = 2};
    char err[256];
    ss_synth_options o;
    ss_synth_options_init(&o);
    k.text = text;
    ss_speak_sink sink = {.audio = on_audio, .alignment = on_alignment, .user = &k};
    ss_speak_stats st;
    cr_assert_eq(ss_engine_speak(voice, fe, text, len, &o, &sink, &st, err, sizeof err), SS_SYNTH_CANCELLED,
                 "%s", err);
    cr_expect_eq(k.chunks, 2);
    cr_expect_gt(st.text_read_at_first_chunk, 0);
    cr_expect_lt(st.text_read_at_first_chunk, 16 * 1024, "%zu of %zu bytes read before the first chunk",
                 st.text_read_at_first_chunk, len);
    long after_kb = vm_hwm_kb();
    if (RSS_IS_MEANINGFUL)
        cr_expect_lt(after_kb - before_kb, 16 * 1024, "peak RSS grew from %ld KiB to %ld KiB", before_kb, after_kb);
    free(text);
}

Test(speak, ssml_is_read_whole_before_the_first_chunk)
{
    collector k = {0};
    char err[256];
    const char *text = "<speak><s>One two.</s><s>Three four.</s></speak>";
    k.text = text;
    ss_synth_options o;
    ss_synth_options_init(&o);
    ss_speak_sink sink = {.audio = on_audio, .alignment = on_alignment, .user = &k};
    ss_speak_stats st;
    cr_assert_eq(ss_engine_speak(voice, fe, text, strlen(text), &o, &sink, &st, err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.text_read_at_first_chunk, strlen(text));
    cr_expect_eq(k.sentences, 2);
}
