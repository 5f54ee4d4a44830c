/* Output encoders in file mode (common/audio_encode.h) checked by
 * independent decoders, plus the format table and the argument rules.
 *
 * Every format at every rate the API allows encodes 1.5 s of a 440 Hz tone
 * plus a 100-3000 Hz chirp at 32 kHz, fed in uneven chunks. The bytes go to
 * a file under /tmp and the command-line tools decode them: sox/soxi for
 * wav, flac (and flac -t) and raw pcm; soxi for the mp3 header and mpg123
 * to decode it (sox's libmad decoder ignores the LAME tag and keeps LAME's
 * delay and padding: +36 ms at 48 kHz up to +156 ms at 8 kHz; mpg123 trims
 * them, as browsers and ffmpeg do); opusinfo and opusdec (opus-tools) for
 * Ogg Opus; ffprobe/ffmpeg for ADTS AAC. Checked: the file decodes, its
 * rate is the one asked for, the decoded duration (audio_encode_check.h,
 * expected_ms, for the tolerances) and the decoded signal against the input
 * resampled by sox (an independent resampler): correlation > 0.99 for the
 * lossless formats, energy within 25 % for the lossy ones. Also:
 * rate/format combinations outside the API table, garbage arguments,
 * zero-length input, and which formats expose bytes before finish.
 * Stream mode and raw Opus packets: test_audio_encode_stream.c. */
#include "tests/unit/audio_encode_check.h"

Test(audio_encode, wav_every_rate) { check_format(SS_FMT_WAV, 0); }
Test(audio_encode, flac_every_rate) { check_format(SS_FMT_FLAC, 0); }
Test(audio_encode, pcm_every_rate) { check_format(SS_FMT_PCM, 0); }
Test(audio_encode, mp3_every_rate) { check_format(SS_FMT_MP3, 0); }
Test(audio_encode, opus_every_rate) { check_format(SS_FMT_OPUS, 0); }
Test(audio_encode, aac_every_rate) { check_format(SS_FMT_AAC, 0); }

Test(audio_encode, format_table)
{
    ss_audio_format f;
    const char *names[] = {"wav", "mp3", "opus", "flac", "pcm", "aac"};
    for (int i = 0; i < SS_AUDIO_API_FORMAT_COUNT; i++) {
        cr_assert_eq(ss_audio_format_parse(names[i], &f), 0);
        cr_assert_str_eq(ss_audio_format_name(f), names[i]);
    }
    const char *bad[] = {"WAV", "", "ogg", "mp4", "wav ", "opus\n", "l16", "AAC", "opus_packets"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(ss_audio_format_parse(bad[i], &f), -1, "%s", bad[i]);
    cr_assert_eq(ss_audio_format_parse(NULL, &f), -1);
    cr_assert_eq(ss_audio_format_parse("wav", NULL), -1);
    cr_assert_str_eq(ss_audio_format_name(SS_FMT_OPUS_PACKETS), "opus_packets");
    cr_assert_null(ss_audio_format_name((ss_audio_format)7));

    char buf[64];
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_WAV, 24000, buf, sizeof buf), "audio/wav");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_MP3, 24000, buf, sizeof buf), "audio/mpeg");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_OPUS, 48000, buf, sizeof buf), "audio/ogg");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_FLAC, 8000, buf, sizeof buf), "audio/flac");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_AAC, 44100, buf, sizeof buf), "audio/aac");
    cr_assert_null(ss_audio_format_content_type(SS_FMT_OPUS_PACKETS, 48000, buf, sizeof buf));
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_PCM, 22050, buf, sizeof buf),
                     "audio/L16;rate=22050");
    cr_assert_null(ss_audio_format_content_type(SS_FMT_PCM, 12345, buf, sizeof buf));
    cr_assert_null(ss_audio_format_content_type(SS_FMT_PCM, 22050, buf, 10));
    cr_assert_null(ss_audio_format_content_type((ss_audio_format)-1, 8000, buf, sizeof buf));
    cr_assert_null(ss_audio_format_content_type(SS_FMT_WAV, 8000, NULL, 0));

    for (int i = 0; i < SS_AUDIO_API_FORMAT_COUNT; i++) {
        ss_audio_format g = (ss_audio_format)i;
        int opus = g == SS_FMT_OPUS;
        cr_assert_eq(ss_audio_rate_allowed(g, 8000), 1);
        cr_assert_eq(ss_audio_rate_allowed(g, 16000), 1);
        cr_assert_eq(ss_audio_rate_allowed(g, 24000), 1);
        cr_assert_eq(ss_audio_rate_allowed(g, 48000), 1);
        cr_assert_eq(ss_audio_rate_allowed(g, 12000), opus);
        cr_assert_eq(ss_audio_rate_allowed(g, 22050), !opus);
        cr_assert_eq(ss_audio_rate_allowed(g, 32000), !opus);
        cr_assert_eq(ss_audio_rate_allowed(g, 44100), !opus);
        cr_assert_eq(ss_audio_rate_allowed(g, 11025), 0);
        cr_assert_eq(ss_audio_rate_allowed(g, 0), 0);
        cr_assert_eq(ss_audio_rate_allowed(g, -48000), 0);
        cr_assert_eq(ss_audio_rate_allowed(g, 96000), 0);
    }
    for (size_t i = 0; i < sizeof GENERAL_RATES / sizeof *GENERAL_RATES; i++)
        cr_assert_eq(ss_audio_rate_allowed(SS_FMT_OPUS_PACKETS, GENERAL_RATES[i]),
                     GENERAL_RATES[i] == 48000);
    cr_assert_eq(ss_audio_rate_allowed((ss_audio_format)7, 8000), 0);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_PCM), 1);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_OPUS), 1);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_AAC), 1);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_OPUS_PACKETS), 1);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_WAV), 0);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_FLAC), 0);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_MP3), 0);
}

Test(audio_encode, rejects_bad_arguments)
{
    char err[256] = "";
    cr_assert_null(ss_audio_encoder_new(SS_FMT_OPUS, IN_RATE, 44100, err, sizeof err));
    cr_assert(strstr(err, "opus") && strstr(err, "44100"), "%s", err);
    cr_assert_null(ss_audio_encoder_new(SS_FMT_OPUS, IN_RATE, 22050, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_WAV, IN_RATE, 12000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_MP3, IN_RATE, 11025, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new((ss_audio_format)9, IN_RATE, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new((ss_audio_format)-1, IN_RATE, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_PCM, 0, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_PCM, -32000, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_PCM, 10000000, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_FLAC, IN_RATE, 0, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_AAC, IN_RATE, 12000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new(SS_FMT_OPUS_PACKETS, IN_RATE, 24000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new_stream(SS_FMT_OPUS, IN_RATE, 44100, err, sizeof err));
    cr_assert(strstr(err, "opus") && strstr(err, "44100"), "%s", err);
    cr_assert_null(ss_audio_encoder_new_stream((ss_audio_format)9, IN_RATE, 16000, err, sizeof err));
    cr_assert_null(ss_audio_encoder_new_stream(SS_FMT_WAV, 999, 16000, err, sizeof err));
    cr_assert_eq(ss_audio_encoder_streams(NULL), 0);

    err[0] = 0;
    cr_assert_eq(ss_audio_encoder_write(NULL, NULL, 0, err, sizeof err), -1);
    cr_assert_neq(err[0], 0);
    cr_assert_eq(ss_audio_encoder_finish(NULL, err, sizeof err), -1);
    size_t len = 99;
    cr_assert_null(ss_audio_encoder_data(NULL, &len));
    cr_assert_eq(len, 0);
    ss_audio_encoder_consume(NULL, 10);
    ss_audio_encoder_free(NULL);

    ss_audio_encoder *e = ss_audio_encoder_new(SS_FMT_WAV, IN_RATE, 16000, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    cr_assert_eq(ss_audio_encoder_write(e, NULL, 10, err, sizeof err), -1);
    int16_t pcm[64] = {0};
    cr_assert_eq(ss_audio_encoder_write(e, pcm, 64, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), -1);
    cr_assert_eq(ss_audio_encoder_write(e, pcm, 64, err, sizeof err), -1);
    cr_assert(strstr(err, "finish"), "%s", err);
    /* consuming more than is there takes what is there */
    ss_audio_encoder_data(e, &len);
    cr_assert_eq(len, 44 + 64);
    ss_audio_encoder_consume(e, 1000);
    ss_audio_encoder_data(e, &len);
    cr_assert_eq(len, 0);
    ss_audio_encoder_free(e);
}

/* Zero samples in, file and stream mode: wav/flac/pcm are empty files that
 * decode to nothing, opus_packets gives no record; mp3, opus and aac hold
 * one sample of silence (none has an empty form its decoders accept). */
static void check_zero(ss_audio_format f, int rate, int stream, const char *dir)
{
    char path[128], cmd[512], out[4096], err[256];
    ss_audio_encoder *e = stream ? ss_audio_encoder_new_stream(f, IN_RATE, rate, err, sizeof err)
                                 : ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    const char *name = ss_audio_format_name(f);
    cr_assert_eq(ss_audio_encoder_write(e, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s@%d: %s", name, rate, err);
    uint8_t *bytes = malloc(1);
    size_t len = 0;
    take(e, &bytes, &len); /* a stream may have shown its header already: all of it here */
    snprintf(path, sizeof path, "%s/z_%d_%d.%s", dir, rate, stream, ext(f));
    write_file(path, bytes, len);
    uint64_t samples = ss_audio_encoder_samples_out(e);
    switch (f) {
    case SS_FMT_PCM:
    case SS_FMT_OPUS_PACKETS:
        cr_assert_eq(len, 0);
        cr_assert_eq(samples, 0);
        break;
    case SS_FMT_WAV:
        cr_assert_eq(len, 44);
        cr_assert_eq(memcmp(bytes, stream ? "RIFF\xff\xff\xff\xffWAVEfmt " : "RIFF\x24\0\0\0WAVEfmt ",
                            16), 0);
        cr_assert_eq(memcmp(bytes + 36, stream ? "data\xff\xff\xff\xff" : "data\0\0\0\0", 8), 0);
        cr_assert_eq(samples, 0);
        break;
    case SS_FMT_FLAC:
        /* flac -t passes it (warning that a 0-sample STREAMINFO is "unknown") */
        snprintf(cmd, sizeof cmd, "flac -t -s '%s' 2>&1", path);
        run(cmd, out, sizeof out);
        snprintf(cmd, sizeof cmd, "soxi -s '%s' && soxi -r '%s'", path, path);
        run(cmd, out, sizeof out);
        cr_assert_eq(atoi(out), 0, "%s", out);
        cr_assert_eq(atoi(strchr(out, '\n') + 1), rate, "%s", out);
        cr_assert_eq(samples, 0);
        break;
    case SS_FMT_MP3:
        snprintf(cmd, sizeof cmd, "mpg123 -q -w %s/z.wav '%s' 2>&1 && soxi -s %s/z.wav", dir,
                 path, dir);
        run(cmd, out, sizeof out);
        /* with the LAME tag: 1 sample; without: LAME's delay and padding */
        cr_assert_leq(atoi(out), stream ? 576 + 529 + 2 * 1152 : 1, "%s", out);
        cr_assert_eq(samples, 1);
        break;
    case SS_FMT_OPUS:
        snprintf(cmd, sizeof cmd, "opusinfo '%s' 2>&1", path);
        run(cmd, out, sizeof out);
        cr_assert_null(strstr(out, "ERROR"), "%s", out);
        cr_assert_null(strstr(out, "WARN"), "%s", out);
        snprintf(cmd, sizeof cmd,
                 "opusdec --quiet --rate %d '%s' %s/z.wav 2>&1 && soxi -s %s/z.wav", rate, path,
                 dir, dir);
        run(cmd, out, sizeof out);
        cr_assert_leq(atoi(out), 1, "%s", out);
        cr_assert_eq(samples, 1);
        break;
    case SS_FMT_AAC:
        snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -i '%s' -f s16le -ac 1 %s/z.raw 2>&1 && "
                 "stat -c %%s %s/z.raw", path, dir, dir);
        run(cmd, out, sizeof out);
        cr_assert_leq(atoi(out), 2 * 2048, "%s", out); /* priming + one frame */
        cr_assert_eq(samples, 1);
        break;
    }
    free(bytes);
    ss_audio_encoder_free(e);
}

Test(audio_encode, zero_length_input)
{
    char dir[64], cmd[256];
    snprintf(dir, sizeof dir, "/tmp/ss_audio_test_zero_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    cr_assert_eq(system(cmd), 0);
    const int rates[] = {8000, 16000, 48000};
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++)
        for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++)
            for (int stream = 0; stream <= 1; stream++)
                if (ss_audio_rate_allowed((ss_audio_format)fi, rates[ri]))
                    check_zero((ss_audio_format)fi, rates[ri], stream, dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* File mode: pcm, opus, aac and opus_packets bytes can be taken while audio
 * is still coming; wav, flac and mp3 show nothing until finish (they patch
 * their start then). */
Test(audio_encode, file_mode_exposes_bytes_before_finish_where_it_can)
{
    static int16_t in[IN_RATE];
    make_input(in, IN_RATE);
    char err[256];
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
        ss_audio_format f = (ss_audio_format)fi;
        int rate = f == SS_FMT_OPUS_PACKETS ? 48000 : 16000;
        ss_audio_encoder *e = ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
        cr_assert_not_null(e, "%s", err);
        cr_assert_eq(ss_audio_encoder_streams(e), ss_audio_format_streams(f));
        size_t len = 0;
        const uint8_t *p = ss_audio_encoder_data(e, &len);
        if (f == SS_FMT_OPUS) { /* the header pages are out at once */
            cr_assert_gt(len, 27);
            cr_assert_eq(memcmp(p, "OggS", 4), 0);
            ss_audio_encoder_consume(e, len);
        } else {
            cr_assert_eq(len, 0, "%s: %zu bytes at creation", ss_audio_format_name(f), len);
        }
        /* 1 s in 20 ms chunks, as the engine streams it */
        size_t seen = 0;
        for (size_t off = 0; off < IN_RATE; off += 640) {
            cr_assert_eq(ss_audio_encoder_write(e, in + off, 640, err, sizeof err), 0, "%s", err);
            ss_audio_encoder_data(e, &len);
            seen += len;
            ss_audio_encoder_consume(e, len);
        }
        if (f == SS_FMT_PCM) /* all but soxr's filter latency is out */
            cr_assert(seen > 2 * 16000 * 9 / 10 && seen <= 2 * 16000, "pcm: %zu bytes", seen);
        else if (ss_audio_format_streams(f)) /* packets every 20-64 ms, not at the end */
            cr_assert_gt(seen, 2000, "%s: %zu bytes before finish", ss_audio_format_name(f), seen);
        else
            cr_assert_eq(seen, 0, "%s exposed %zu bytes before finish", ss_audio_format_name(f),
                         seen);
        cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
        ss_audio_encoder_data(e, &len);
        if (f == SS_FMT_PCM)
            cr_assert_eq(seen + len, 2 * 16000);
        else
            cr_assert_gt(len, 0);
        ss_audio_encoder_free(e);
    }
}
