/* Output encoders (common/audio_encode.h) checked by independent decoders.
 *
 * Every format at every rate the API allows encodes 1.5 s of a 440 Hz tone
 * plus a 100-3000 Hz chirp at 32 kHz, fed in uneven chunks. The bytes go to
 * a file under /tmp and the command-line tools decode them: sox/soxi for
 * wav, flac and raw pcm; soxi for the mp3 header and mpg123 to decode it
 * (sox's libmad decoder ignores the LAME tag and keeps LAME's delay and
 * padding: +36 ms at 48 kHz up to +156 ms at 8 kHz; mpg123 trims them, as
 * browsers and ffmpeg do); opusinfo and opusdec (opus-tools) for Ogg Opus.
 * Checked: the file decodes, its rate is the one asked for, the decoded
 * duration is 1.5 s within 20 ms, and the
 * decoded signal matches the input resampled by sox (an independent
 * resampler): correlation > 0.99 for the lossless formats, energy within
 * 25 % for the lossy ones. Also: rate/format combinations outside the API
 * table, garbage arguments, zero-length input, and which formats expose
 * bytes before finish. */
#include "common/audio_encode.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_RATE 32000
#define IN_SAMPLES (IN_RATE * 3 / 2)

static const int GENERAL_RATES[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
static const int OPUS_RATES[] = {8000, 12000, 16000, 24000, 48000};

static void make_input(int16_t *x, size_t n)
{
    const double t_end = (double)n / IN_RATE;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / IN_RATE;
        /* linear chirp 100 -> 3000 Hz over the clip */
        double phase = 2 * M_PI * (100.0 * t + (3000.0 - 100.0) / (2 * t_end) * t * t);
        double v = 0.3 * sin(2 * M_PI * 440.0 * t) + 0.3 * sin(phase);
        x[i] = (int16_t)lrint(v * 32767.0);
    }
}

/* Encodes in[0..n) in uneven chunks; returns the malloc'd file bytes. */
static uint8_t *encode(ss_audio_format f, int rate, const int16_t *in, size_t n, size_t *len)
{
    static const size_t CHUNKS[] = {1, 17, 160, 999, 3, 4096, 320, 2500};
    char err[256] = "";
    ss_audio_encoder *e = ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
    cr_assert_not_null(e, "%s@%d: %s", ss_audio_format_name(f), rate, err);
    uint8_t *bytes = NULL;
    size_t have = 0;
    size_t off = 0;
    for (size_t c = 0; off < n; c++) {
        size_t k = CHUNKS[c % (sizeof CHUNKS / sizeof *CHUNKS)];
        if (k > n - off)
            k = n - off;
        cr_assert_eq(ss_audio_encoder_write(e, in + off, k, err, sizeof err), 0, "%s", err);
        off += k;
        /* streaming formats: take bytes as they come, as the gateway would */
        size_t avail = 0;
        const uint8_t *p = ss_audio_encoder_data(e, &avail);
        if (avail) {
            bytes = realloc(bytes, have + avail);
            memcpy(bytes + have, p, avail);
            have += avail;
            ss_audio_encoder_consume(e, avail);
        }
    }
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
    size_t avail = 0;
    const uint8_t *p = ss_audio_encoder_data(e, &avail);
    bytes = realloc(bytes, have + avail + 1);
    if (avail)
        memcpy(bytes + have, p, avail);
    have += avail;
    ss_audio_encoder_consume(e, avail);
    size_t after = 1;
    ss_audio_encoder_data(e, &after);
    cr_assert_eq(after, 0);
    ss_audio_encoder_free(e);
    *len = have;
    return bytes;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "%s", path);
    if (n > 0)
        cr_assert_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* Runs a shell command, returns its stdout (first 4 KB); fails the test on a
 * non-zero exit. */
static void run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    cr_assert_eq(st, 0, "command failed (%d): %s\n%s", st, cmd, out);
}

static int16_t *read_raw(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s", path);
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    int16_t *x = malloc((size_t)sz + 2);
    cr_assert_eq(fread(x, 1, (size_t)sz, fp), (size_t)sz);
    fclose(fp);
    *n = (size_t)sz / 2;
    return x;
}

static double energy(const int16_t *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return s;
}

static double correlation(const int16_t *a, const int16_t *b, size_t n)
{
    double ab = 0;
    for (size_t i = 0; i < n; i++)
        ab += (double)a[i] * b[i];
    return ab / sqrt(energy(a, n) * energy(b, n) + 1e-9);
}

static const char *ext(ss_audio_format f) { return f == SS_FMT_PCM ? "raw" : ss_audio_format_name(f); }

/* Encodes, decodes with the outside tool, checks rate, duration and signal. */
static void check_format_rate(ss_audio_format f, int rate, const int16_t *in, const char *ref_in)
{
    char dir[64], enc[128], dec[128], ref[128], cmd[768], out[4096];
    snprintf(dir, sizeof dir, "/tmp/ss_audio_test_%d", (int)getpid());
    snprintf(enc, sizeof enc, "%s/out_%d.%s", dir, rate, ext(f));
    snprintf(dec, sizeof dec, "%s/dec_%s_%d.raw", dir, ss_audio_format_name(f), rate);
    snprintf(ref, sizeof ref, "%s/ref_%s_%d.raw", dir, ss_audio_format_name(f), rate);

    size_t len = 0;
    uint8_t *bytes = encode(f, rate, in, IN_SAMPLES, &len);
    cr_assert_gt(len, 0);
    write_file(enc, bytes, len);
    free(bytes);

    int decoded_rate = 0;
    if (f == SS_FMT_OPUS) {
        snprintf(cmd, sizeof cmd, "opusinfo '%s' 2>&1", enc);
        run(cmd, out, sizeof out);
        const char *r = strstr(out, "Original sample rate: ");
        cr_assert_not_null(r, "opusinfo: %s", out);
        decoded_rate = atoi(r + strlen("Original sample rate: "));
        cr_assert_null(strstr(out, "WARNING"), "opusinfo warns: %s", out);
        snprintf(cmd, sizeof cmd,
                 "opusdec --quiet --rate %d '%s' %s/tmp.wav 2>&1 && "
                 "sox -D %s/tmp.wav -t raw -e signed -b 16 -c 1 '%s' 2>&1",
                 rate, enc, dir, dir, dec);
        run(cmd, out, sizeof out);
    } else if (f == SS_FMT_PCM) {
        decoded_rate = rate; /* raw has no header: the rate is the contract */
        snprintf(cmd, sizeof cmd,
                 "sox -D -t raw -r %d -e signed -b 16 -c 1 -L '%s' -t raw -e signed -b 16 '%s' "
                 "2>&1", rate, enc, dec);
        run(cmd, out, sizeof out);
    } else if (f == SS_FMT_MP3) {
        /* sox (libmad) reads the rate and must decode the file, but it keeps
         * LAME's delay and padding; mpg123 trims them using the LAME tag. */
        snprintf(cmd, sizeof cmd, "soxi -r '%s' 2>&1 && sox -D '%s' -n 2>&1", enc, enc);
        run(cmd, out, sizeof out);
        decoded_rate = atoi(out);
        snprintf(cmd, sizeof cmd,
                 "mpg123 -q -w %s/tmp.wav '%s' 2>&1 && "
                 "sox -D %s/tmp.wav -t raw -e signed -b 16 -c 1 '%s' 2>&1",
                 dir, enc, dir, dec);
        run(cmd, out, sizeof out);
    } else {
        snprintf(cmd, sizeof cmd, "soxi -r '%s' 2>&1", enc);
        run(cmd, out, sizeof out);
        decoded_rate = atoi(out);
        snprintf(cmd, sizeof cmd, "sox -D '%s' -t raw -e signed -b 16 -c 1 '%s' 2>&1", enc, dec);
        run(cmd, out, sizeof out);
    }
    cr_assert_eq(decoded_rate, rate, "%s: decoder says %d Hz, asked %d", ss_audio_format_name(f),
                 decoded_rate, rate);

    size_t n_dec = 0;
    int16_t *y = read_raw(dec, &n_dec);
    double dur_ms = 1000.0 * (double)n_dec / rate;
    double tol_ms = 20.0;
    cr_log_info("%s@%d: %zu bytes, decoded %.2f ms (expected 1500)", ss_audio_format_name(f),
                rate, len, dur_ms);
    cr_assert(fabs(dur_ms - 1500.0) <= tol_ms, "%s@%d: decoded duration %.2f ms, want 1500 +- %.0f",
              ss_audio_format_name(f), rate, dur_ms, tol_ms);

    /* sox's own resampler gives the reference at the output rate. */
    snprintf(cmd, sizeof cmd,
             "sox -D -t raw -r %d -e signed -b 16 -c 1 '%s' -t raw -r %d '%s' 2>&1", IN_RATE,
             ref_in, rate, ref);
    run(cmd, out, sizeof out);
    size_t n_ref = 0;
    int16_t *x = read_raw(ref, &n_ref);
    size_t n = n_ref < n_dec ? n_ref : n_dec;
    double e_ratio = energy(y, n) / energy(x, n);
    if (f == SS_FMT_WAV || f == SS_FMT_FLAC || f == SS_FMT_PCM) {
        double c = correlation(x, y, n);
        cr_assert_gt(c, 0.99, "%s@%d: correlation with the sox-resampled input %.4f",
                     ss_audio_format_name(f), rate, c);
        cr_assert(fabs(n_dec - (double)IN_SAMPLES * rate / IN_RATE) <= 2.0,
                  "%s@%d: %zu samples, want %.1f", ss_audio_format_name(f), rate, n_dec,
                  (double)IN_SAMPLES * rate / IN_RATE);
    }
    cr_assert(e_ratio > 0.75 && e_ratio < 1.25, "%s@%d: energy ratio %.3f",
              ss_audio_format_name(f), rate, e_ratio);
    free(x);
    free(y);
    unlink(enc);
    unlink(dec);
    unlink(ref);
}

static void check_format(ss_audio_format f)
{
    char dir[64], ref_in[128], cmd[256];
    snprintf(dir, sizeof dir, "/tmp/ss_audio_test_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(ref_in, sizeof ref_in, "%s/in.raw", dir);
    static int16_t in[IN_SAMPLES];
    make_input(in, IN_SAMPLES);
    write_file(ref_in, in, sizeof in);
    const int *rates = f == SS_FMT_OPUS ? OPUS_RATES : GENERAL_RATES;
    size_t nr = f == SS_FMT_OPUS ? sizeof OPUS_RATES / sizeof *OPUS_RATES
                                 : sizeof GENERAL_RATES / sizeof *GENERAL_RATES;
    for (size_t i = 0; i < nr; i++)
        check_format_rate(f, rates[i], in, ref_in);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(audio_encode, wav_every_rate) { check_format(SS_FMT_WAV); }
Test(audio_encode, flac_every_rate) { check_format(SS_FMT_FLAC); }
Test(audio_encode, pcm_every_rate) { check_format(SS_FMT_PCM); }
Test(audio_encode, mp3_every_rate) { check_format(SS_FMT_MP3); }
Test(audio_encode, opus_every_rate) { check_format(SS_FMT_OPUS); }

Test(audio_encode, format_table)
{
    ss_audio_format f;
    const char *names[] = {"wav", "mp3", "opus", "flac", "pcm"};
    for (int i = 0; i < SS_AUDIO_FORMAT_COUNT; i++) {
        cr_assert_eq(ss_audio_format_parse(names[i], &f), 0);
        cr_assert_str_eq(ss_audio_format_name(f), names[i]);
    }
    const char *bad[] = {"WAV", "", "ogg", "mp4", "wav ", "opus\n", "l16"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(ss_audio_format_parse(bad[i], &f), -1, "%s", bad[i]);
    cr_assert_eq(ss_audio_format_parse(NULL, &f), -1);
    cr_assert_eq(ss_audio_format_parse("wav", NULL), -1);
    cr_assert_null(ss_audio_format_name((ss_audio_format)7));

    char buf[64];
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_WAV, 24000, buf, sizeof buf), "audio/wav");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_MP3, 24000, buf, sizeof buf), "audio/mpeg");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_OPUS, 48000, buf, sizeof buf), "audio/ogg");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_FLAC, 8000, buf, sizeof buf), "audio/flac");
    cr_assert_str_eq(ss_audio_format_content_type(SS_FMT_PCM, 22050, buf, sizeof buf),
                     "audio/L16;rate=22050");
    cr_assert_null(ss_audio_format_content_type(SS_FMT_PCM, 12345, buf, sizeof buf));
    cr_assert_null(ss_audio_format_content_type(SS_FMT_PCM, 22050, buf, 10));
    cr_assert_null(ss_audio_format_content_type((ss_audio_format)-1, 8000, buf, sizeof buf));
    cr_assert_null(ss_audio_format_content_type(SS_FMT_WAV, 8000, NULL, 0));

    for (int i = 0; i < SS_AUDIO_FORMAT_COUNT; i++) {
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
    cr_assert_eq(ss_audio_rate_allowed((ss_audio_format)5, 8000), 0);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_PCM), 1);
    cr_assert_eq(ss_audio_format_streams(SS_FMT_OPUS), 1);
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

/* Zero samples in: wav/flac/pcm are empty files that decode to nothing;
 * mp3 and opus hold one sample of silence (neither has an empty form its
 * decoders accept). */
Test(audio_encode, zero_length_input)
{
    char dir[64], path[128], cmd[512], out[4096], err[256];
    snprintf(dir, sizeof dir, "/tmp/ss_audio_test_zero_%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    cr_assert_eq(system(cmd), 0);
    const int rates[] = {8000, 16000, 48000};
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
        ss_audio_format f = (ss_audio_format)fi;
        for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
            int rate = rates[ri];
            ss_audio_encoder *e = ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
            cr_assert_not_null(e, "%s", err);
            cr_assert_eq(ss_audio_encoder_write(e, NULL, 0, err, sizeof err), 0, "%s", err);
            cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s@%d: %s",
                         ss_audio_format_name(f), rate, err);
            size_t len = 0;
            const uint8_t *p = ss_audio_encoder_data(e, &len);
            snprintf(path, sizeof path, "%s/z_%d.%s", dir, rate, ext(f));
            write_file(path, p, len);
            uint64_t samples = ss_audio_encoder_samples_out(e);
            switch (f) {
            case SS_FMT_PCM:
                cr_assert_eq(len, 0);
                cr_assert_eq(samples, 0);
                break;
            case SS_FMT_WAV:
                cr_assert_eq(len, 44);
                cr_assert_eq(memcmp(p, "RIFF\x24\0\0\0WAVEfmt ", 16), 0);
                cr_assert_eq(memcmp(p + 36, "data\0\0\0\0", 8), 0);
                /* fall through */
            case SS_FMT_FLAC:
                snprintf(cmd, sizeof cmd, "soxi -s '%s' 2>&1 && soxi -r '%s'", path, path);
                run(cmd, out, sizeof out);
                cr_assert_eq(atoi(out), 0, "%s", out);
                cr_assert_eq(atoi(strchr(out, '\n') + 1), rate, "%s", out);
                cr_assert_eq(samples, 0);
                break;
            case SS_FMT_MP3:
                snprintf(cmd, sizeof cmd, "mpg123 -q -w %s/z.wav '%s' 2>&1 && soxi -s %s/z.wav",
                         dir, path, dir);
                run(cmd, out, sizeof out);
                cr_assert_leq(atoi(out), 1, "%s", out);
                cr_assert_eq(samples, 1);
                break;
            case SS_FMT_OPUS:
                snprintf(cmd, sizeof cmd, "opusinfo '%s' 2>&1", path);
                run(cmd, out, sizeof out);
                cr_assert_null(strstr(out, "ERROR"), "%s", out);
                cr_assert_null(strstr(out, "WARN"), "%s", out);
                snprintf(cmd, sizeof cmd,
                         "opusdec --quiet --rate %d '%s' %s/z.wav 2>&1 && soxi -s %s/z.wav",
                         rate, path, dir, dir);
                run(cmd, out, sizeof out);
                cr_assert_leq(atoi(out), 1, "%s", out);
                cr_assert_eq(samples, 1);
                break;
            }
            ss_audio_encoder_free(e);
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* pcm and opus bytes can be taken while audio is still coming; wav, flac and
 * mp3 show nothing until finish. */
Test(audio_encode, streaming_exposes_bytes_before_finish)
{
    static int16_t in[IN_RATE];
    make_input(in, IN_RATE);
    char err[256];
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
        ss_audio_format f = (ss_audio_format)fi;
        ss_audio_encoder *e = ss_audio_encoder_new(f, IN_RATE, 16000, err, sizeof err);
        cr_assert_not_null(e, "%s", err);
        size_t len = 0;
        const uint8_t *p = ss_audio_encoder_data(e, &len);
        if (f == SS_FMT_OPUS) { /* the header pages are out at once */
            cr_assert_gt(len, 27);
            cr_assert_eq(memcmp(p, "OggS", 4), 0);
            ss_audio_encoder_consume(e, len);
        } else {
            cr_assert_eq(len, 0);
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
        else if (f == SS_FMT_OPUS) /* pages every 20 ms, not after 1-2 s */
            cr_assert_gt(seen, 2000, "opus: %zu bytes before finish", seen);
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
