/* Output encoders in stream mode (ss_audio_encoder_new_stream) and the raw
 * Opus packets of the WebSocket (SS_FMT_OPUS_PACKETS).
 *
 * Stream mode: every API format at every rate encodes the 1.5 s test
 * signal (audio_encode_check.h), taking bytes as they appear, and the
 * concatenated bytes — what a chunked HTTP client receives — decode with
 * the outside tools (sox for wav/flac/pcm, flac -t, mpg123, opusinfo and
 * opusdec, ffprobe/ffmpeg for aac) to the expected rate and duration.
 * Tolerances (expected_ms): exact for wav/flac/pcm and opus; mp3 without
 * its LAME tag plays LAME's delay and padding (+1105 samples + up to two
 * frames: at most +71 ms at 48 kHz, +282 ms at 8 kHz); aac in ADTS plays
 * the 1024 priming samples and the last frame's padding (at most +43 ms at
 * 48 kHz, +256 ms at 8 kHz). Then: bytes flow while samples are written
 * (the first audio bytes and the longest silence in the byte flow stay
 * within a frame plus the codec's look-ahead), and the raw Opus packets are
 * whole records that libopus decodes to the padded input length, and four
 * threads encoding at once give what one thread gives. */
#include "tests/unit/audio_encode_check.h"

#include <opus/opus.h>
#include <pthread.h>

Test(audio_encode_stream, wav_every_rate) { check_format(SS_FMT_WAV, 1); }
Test(audio_encode_stream, flac_every_rate) { check_format(SS_FMT_FLAC, 1); }
Test(audio_encode_stream, pcm_every_rate) { check_format(SS_FMT_PCM, 1); }
Test(audio_encode_stream, mp3_every_rate) { check_format(SS_FMT_MP3, 1); }
Test(audio_encode_stream, opus_every_rate) { check_format(SS_FMT_OPUS, 1); }
Test(audio_encode_stream, aac_every_rate) { check_format(SS_FMT_AAC, 1); }

/* The most input (ms) an encoder may take before its first audio byte and
 * between two writes that give bytes: the resampler's 60 ms (first block;
 * then 40) plus about one codec frame (flac's block is at most ~93 ms,
 * aac's 1024 samples, mp3's 576 or 1152) and the codec's look-ahead (aac:
 * one more frame; mp3: 576 samples), at the 20 ms write granularity. */
static double max_held_ms(ss_audio_format f, int rate)
{
    double ms = 1000.0 / rate, resampler = 60;
    switch (f) {
    case SS_FMT_FLAC:
        return resampler + 100;
    case SS_FMT_MP3:
        return resampler + ((rate >= 32000 ? 1152 : 576) + 576) * ms + 20;
    case SS_FMT_AAC:
        return resampler + 2 * 1024 * ms + 20;
    case SS_FMT_OPUS:
        return resampler + 20 + 20;
    default:
        return resampler;
    }
}

Test(audio_encode_stream, bytes_flow_while_samples_are_written)
{
    static int16_t in[3 * IN_RATE];
    make_input(in, 3 * IN_RATE);
    const int rates[] = {8000, 16000, 24000, 48000};
    char err[256];
    for (int fi = 0; fi < SS_AUDIO_API_FORMAT_COUNT; fi++)
        for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
            ss_audio_format f = (ss_audio_format)fi;
            int rate = rates[ri];
            ss_audio_encoder *e = ss_audio_encoder_new_stream(f, IN_RATE, rate, err, sizeof err);
            cr_assert_not_null(e, "%s", err);
            cr_assert_eq(ss_audio_encoder_streams(e), 1);
            size_t header = 0;
            ss_audio_encoder_data(e, &header); /* wav, flac, opus: their header at once */
            ss_audio_encoder_consume(e, header);
            double first = -1, gap = 0, longest = 0;
            for (size_t off = 0; off < 3 * IN_RATE; off += IN_RATE / 50) {
                cr_assert_eq(ss_audio_encoder_write(e, in + off, IN_RATE / 50, err, sizeof err), 0,
                             "%s", err);
                size_t len = 0;
                ss_audio_encoder_data(e, &len);
                ss_audio_encoder_consume(e, len);
                gap += 20;
                if (len > 0) {
                    if (first < 0)
                        first = gap;
                    else if (gap > longest)
                        longest = gap;
                    gap = 0;
                }
            }
            double bound = max_held_ms(f, rate);
            cr_log_info("%s@%d stream: header %zu bytes, first audio bytes after %.0f ms, "
                        "longest wait %.0f ms (bound %.0f)",
                        ss_audio_format_name(f), rate, header, first, longest, bound);
            cr_assert(first > 0 && first <= bound, "%s@%d: first audio bytes after %.0f ms",
                      ss_audio_format_name(f), rate, first);
            cr_assert_leq(longest, bound, "%s@%d: %.0f ms without bytes",
                          ss_audio_format_name(f), rate, longest);
            cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
            ss_audio_encoder_free(e);
        }
}

/* Parses p[0..len) as whole [uint16 LE length][packet] records, decoding
 * each with libopus; returns the number of records, adds decoded samples. */
static size_t decode_records(OpusDecoder *dec, const uint8_t *p, size_t len, int16_t *pcm,
                             size_t cap, size_t *decoded)
{
    size_t records = 0, at = 0;
    while (at < len) {
        cr_assert_leq(at + 2, len, "a record header cut at %zu of %zu", at, len);
        size_t n = (size_t)p[at] | (size_t)p[at + 1] << 8;
        cr_assert(n > 0 && n <= 1275, "packet of %zu bytes", n);
        cr_assert_leq(at + 2 + n, len, "a record cut at %zu of %zu", at, len);
        cr_assert_leq(*decoded + 960, cap);
        int got = opus_decode(dec, p + at + 2, (opus_int32)n, pcm + *decoded, 960, 0);
        cr_assert_eq(got, 960, "opus_decode: %d (%s)", got, got < 0 ? opus_strerror(got) : "");
        *decoded += (size_t)got;
        at += 2 + n;
        records++;
    }
    return records;
}

Test(audio_encode_stream, opus_packets_decode_with_libopus)
{
    /* 1.5 s + 7 ms: the last frame is partial and padded with silence */
    enum { N = IN_SAMPLES + IN_RATE * 7 / 1000, OUT = 48000 * 3 / 2 + 48 * 7 };
    static int16_t in[N], pcm[OUT + 2 * 960];
    make_input(in, N);
    char err[256];
    for (int stream = 0; stream <= 1; stream++) {
        ss_audio_encoder *e =
            stream ? ss_audio_encoder_new_stream(SS_FMT_OPUS_PACKETS, IN_RATE, 48000, err, sizeof err)
                   : ss_audio_encoder_new(SS_FMT_OPUS_PACKETS, IN_RATE, 48000, err, sizeof err);
        cr_assert_not_null(e, "%s", err);
        int rc = 0;
        OpusDecoder *dec = opus_decoder_create(48000, 1, &rc);
        cr_assert_not_null(dec, "%s", opus_strerror(rc));
        size_t decoded = 0, records = 0, len = 0;
        const uint8_t *p = ss_audio_encoder_data(e, &len);
        cr_assert_eq(len, 0); /* no header */
        for (size_t off = 0; off < N; off += 333) { /* chunks across frame edges */
            size_t k = N - off < 333 ? N - off : 333;
            cr_assert_eq(ss_audio_encoder_write(e, in + off, k, err, sizeof err), 0, "%s", err);
            p = ss_audio_encoder_data(e, &len); /* whole records only, every time */
            records += decode_records(dec, p, len, pcm, sizeof pcm / sizeof *pcm, &decoded);
            ss_audio_encoder_consume(e, len);
        }
        cr_assert_geq(decoded, (size_t)OUT - 2 * 960, "packets held back: %zu samples out", decoded);
        cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
        p = ss_audio_encoder_data(e, &len);
        records += decode_records(dec, p, len, pcm, sizeof pcm / sizeof *pcm, &decoded);
        size_t want = (OUT + 959) / 960 * 960;
        cr_log_info("opus_packets %s: %zu records, %zu samples decoded (want %zu)",
                    stream ? "stream" : "file", records, decoded, want);
        cr_assert_eq(decoded, want);
        cr_assert_eq(records, want / 960);
        cr_assert_eq(ss_audio_encoder_samples_out(e), (uint64_t)OUT);
        /* the decoded signal carries the input's energy (312 samples late) */
        double ein = 0, eout = 0;
        for (size_t i = 0; i < N; i++)
            ein += (double)in[i] * in[i] * 1.5; /* 48 kHz has 1.5x the samples */
        eout = energy(pcm, decoded);
        cr_assert(eout / ein > 0.75 && eout / ein < 1.25, "energy ratio %.3f", eout / ein);
        opus_decoder_destroy(dec);
        ss_audio_encoder_free(e);
    }
}

/* The gateway runs encoders on pool threads, one thread per encoder at a
 * time and many encoders at once: four threads encoding every format at
 * once give, byte for byte, what one thread alone gives (encoders share no
 * state; LAME's and libavcodec's one-time set-up is serialised). */
#define THREADS 4

typedef struct {
    const int16_t *in;
    uint8_t *bytes[SS_AUDIO_FORMAT_COUNT];
    size_t len[SS_AUDIO_FORMAT_COUNT];
} encode_all_job;

static void *encode_all(void *arg)
{
    encode_all_job *j = arg;
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
        ss_audio_format f = (ss_audio_format)fi;
        int rate = f == SS_FMT_OPUS_PACKETS || f == SS_FMT_OPUS ? 48000 : 44100;
        j->bytes[fi] = encode_mode(f, rate, 1, j->in, IN_SAMPLES, &j->len[fi]);
    }
    return NULL;
}

Test(audio_encode_stream, concurrent_encoders_match_a_lone_one)
{
    static int16_t in[IN_SAMPLES];
    make_input(in, IN_SAMPLES);
    encode_all_job lone = {.in = in}, jobs[THREADS];
    encode_all(&lone);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (encode_all_job){.in = in};
        cr_assert_eq(pthread_create(&t[i], NULL, encode_all, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
            cr_assert_eq(jobs[i].len[fi], lone.len[fi], "%s: thread %d",
                         ss_audio_format_name((ss_audio_format)fi), i);
            cr_assert_eq(memcmp(jobs[i].bytes[fi], lone.bytes[fi], lone.len[fi]), 0, "%s: thread %d",
                         ss_audio_format_name((ss_audio_format)fi), i);
            free(jobs[i].bytes[fi]);
        }
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++)
        free(lone.bytes[fi]);
}
