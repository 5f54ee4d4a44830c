/* Unit tests for node/engine/clustergen/cg_speak: the text check refuses
 * what speaking would (bad SSML, nothing to say) and passes the rest; the
 * audio of two sentences arrives in order with contiguous start samples at
 * the asked rate, and one piece's timings per sentence; a sink that says
 * stop after its first audio ends the call as STOPPED with nothing more
 * delivered; a sink without a cancelled hook is fine. */
#include "node/engine/clustergen/cg_speak.h"

#include <criterion/criterion.h>
#include <string.h>

Test(cg_speak, the_check_refuses_what_speaking_would)
{
    char err[256];
    cr_assert_eq(ss_cg_speak_check("<speak>Hello <break time='1s'> there.</speak>", err, sizeof err), -1);
    cr_assert(strstr(err, "SSML"), "%s", err);
    cr_assert_eq(ss_cg_speak_check("  ... ", err, sizeof err), -1);
    cr_assert_str_eq(err, "nothing to say");
    cr_assert_eq(ss_cg_speak_check("<speak> </speak>", err, sizeof err), -1);
    cr_assert_eq(ss_cg_speak_check("Hello.", err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_cg_speak_check("<speak>Hello <break time='1s'/> there.</speak>", err, sizeof err), 0, "%s", err);
}

typedef struct {
    uint64_t next;       /* the start sample the next audio must have */
    size_t calls, pieces, stop_after;
} collector;

static int on_audio(void *user, const int16_t *pcm, size_t n, uint64_t start)
{
    (void)pcm;
    collector *c = user;
    cr_assert_eq(start, c->next, "audio starts at %llu, %llu samples so far", (unsigned long long)start,
                 (unsigned long long)c->next);
    cr_assert_gt(n, 0);
    c->next += n;
    c->calls++;
    return c->stop_after && c->calls >= c->stop_after ? -1 : 0;
}

static int on_timings(void *user, const ss_word_timing *w, size_t nw, const ss_phoneme_timing *p, size_t np)
{
    collector *c = user;
    cr_assert(nw > 0 && np > 0 && p[0].end_ms <= p[np - 1].end_ms);
    cr_assert_leq(w[0].start_ms, w[nw - 1].end_ms);
    c->pieces++;
    return 0;
}

Test(cg_speak, two_sentences_stream_in_order_and_a_stop_stops)
{
    char err[256];
    ss_cg_voice *v = ss_cg_voice_load("awb", err, sizeof err);
    cr_assert(v, "%s", err);
    const char *text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.";
    ss_cg_speak_options o = {.speed = 1, .sample_rate = 24000, .chunk_ms = 40, .timestamps = true};
    collector c = {0};
    ss_cg_speak_sink sink = {&c, on_audio, on_timings, NULL};
    cr_assert_eq(ss_cg_speak(v, text, &o, &sink, err, sizeof err), SS_CG_SPEAK_OK, "%s", err);
    cr_assert_eq(c.pieces, 2, "one set of timings per sentence");
    cr_assert_gt(c.calls, 10, "audio in chunks, not whole sentences");
    cr_assert(c.next > 24000 * 4 && c.next < 24000 * 8, "%llu samples at 24 kHz", (unsigned long long)c.next);

    collector stop = {.stop_after = 1};
    sink.user = &stop;
    o.timestamps = false;
    cr_assert_eq(ss_cg_speak(v, text, &o, &sink, err, sizeof err), SS_CG_SPEAK_STOPPED);
    cr_assert_eq(stop.calls, 1, "audio after the sink said stop");
    cr_assert_eq(stop.pieces, 0, "timings not asked for");
    ss_cg_voice_free(v);
}
