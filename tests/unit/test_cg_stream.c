/* Unit tests for node/engine/clustergen/cg_stream: streamed vocoding gives
 * the samples of one-shot synthesis (ss_cg_synthesize), bit for bit, for
 * every voice (rms and slt: plain pulse/noise excitation and mixed
 * excitation alike; awb as well), chunk sizes from one frame to more than
 * the utterance, and with speed and pitch; the timings known at open are
 * the one-shot ones; a stream past its end gives nothing. */
#include "node/engine/clustergen/cg_stream.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static const char *const sentence = "Glue the sheet to the dark blue background.";

static void check_streamed_equals_one_shot(const char *name, const ss_cg_options *opt)
{
    char err[256];
    ss_cg_voice *v = ss_cg_voice_load(name, err, sizeof err);
    cr_assert(v, "load %s: %s", name, err);
    ss_cg_audio one;
    cr_assert_eq(ss_cg_synthesize(v, sentence, opt, &one, err, sizeof err), 0, "%s", err);
    static const size_t chunk_frames[] = {1, 3, 7, 20, 64, 100000};
    for (size_t c = 0; c < sizeof chunk_frames / sizeof chunk_frames[0]; c++) {
        ss_cg_stream s;
        cr_assert_eq(ss_cg_stream_open(&s, v, sentence, opt, err, sizeof err), 0, "%s", err);
        cr_assert_eq(s.audio.nframes, one.nframes);
        cr_assert_eq(s.audio.nphones, one.nphones);
        cr_assert_eq(s.audio.nwords, one.nwords);
        cr_assert_eq(memcmp(s.audio.phones, one.phones, one.nphones * sizeof *one.phones), 0);
        cr_assert_eq(memcmp(s.audio.words, one.words, one.nwords * sizeof *one.words), 0);
        const size_t k = chunk_frames[c] < one.nframes ? chunk_frames[c] : one.nframes;
        float *got = malloc((one.nsamples + k * s.audio.frame_period) * sizeof *got);
        cr_assert(got);
        size_t total = 0, n, chunks = 0;
        do {
            cr_assert_eq(ss_cg_stream_next(&s, chunk_frames[c], got + total, &n, err, sizeof err), 0, "%s", err);
            cr_assert_leq(n, k * s.audio.frame_period);
            total += n;
            chunks += n > 0;
        } while (n);
        cr_assert_eq(ss_cg_stream_next(&s, 5, got, &n, err, sizeof err), 0);
        cr_assert_eq(n, 0, "a finished stream gives nothing");
        cr_assert_eq(total, one.nsamples, "%s, %zu frames a chunk: %zu samples, one-shot %zu", name,
                     chunk_frames[c], total, one.nsamples);
        cr_assert_eq(chunks, (one.nframes + k - 1) / k);
        cr_assert_eq(memcmp(got, one.samples, total * sizeof *got), 0,
                     "%s, %zu frames a chunk: streamed samples differ from one-shot", name, chunk_frames[c]);
        free(got);
        ss_cg_stream_close(&s);
    }
    ss_cg_audio_free(&one);
    ss_cg_voice_free(v);
}

static const ss_cg_options plain = {.duration_scale = 1.0, .f0_scale = 1.0};

Test(cg_stream, rms_streamed_equals_one_shot) { check_streamed_equals_one_shot("rms", &plain); }
Test(cg_stream, awb_streamed_equals_one_shot) { check_streamed_equals_one_shot("awb", &plain); }
Test(cg_stream, slt_streamed_equals_one_shot) { check_streamed_equals_one_shot("slt", &plain); }

Test(cg_stream, with_speed_and_pitch)
{
    const ss_cg_options o = {.duration_scale = 0.7, .f0_scale = 1.19};
    check_streamed_equals_one_shot("rms", &o);
}
