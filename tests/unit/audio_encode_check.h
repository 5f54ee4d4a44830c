/* Helpers shared by the output-encoder suites (test_audio_encode.c: file
 * mode and the format table; test_audio_encode_stream.c: stream mode and
 * raw Opus packets): the 1.5 s test signal, encoding in uneven chunks,
 * files under /tmp, running the outside decoders, and comparing signals.
 * Header-only, like hello_labels.h. */
#ifndef SS_TESTS_UNIT_AUDIO_ENCODE_CHECK_H
#define SS_TESTS_UNIT_AUDIO_ENCODE_CHECK_H

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

/* 440 Hz tone plus a linear 100 -> 3000 Hz chirp over the clip. */
static inline void make_input(int16_t *x, size_t n)
{
    const double t_end = (double)n / IN_RATE;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / IN_RATE;
        double phase = 2 * M_PI * (100.0 * t + (3000.0 - 100.0) / (2 * t_end) * t * t);
        double v = 0.3 * sin(2 * M_PI * 440.0 * t) + 0.3 * sin(phase);
        x[i] = (int16_t)lrint(v * 32767.0);
    }
}

/* Appends what e shows now to *bytes; returns how many bytes that was. */
static inline size_t take(ss_audio_encoder *e, uint8_t **bytes, size_t *have)
{
    size_t avail = 0;
    const uint8_t *p = ss_audio_encoder_data(e, &avail);
    if (avail) {
        *bytes = realloc(*bytes, *have + avail + 1);
        cr_assert_not_null(*bytes);
        memcpy(*bytes + *have, p, avail);
        *have += avail;
        ss_audio_encoder_consume(e, avail);
    }
    return avail;
}

/* Encodes in[0..n) in uneven chunks, taking bytes as they come (as the
 * gateway would); returns the malloc'd bytes. stream: new_stream. */
static inline uint8_t *encode_mode(ss_audio_format f, int rate, int stream, const int16_t *in,
                                   size_t n, size_t *len)
{
    static const size_t CHUNKS[] = {1, 17, 160, 999, 3, 4096, 320, 2500};
    char err[256] = "";
    ss_audio_encoder *e = stream ? ss_audio_encoder_new_stream(f, IN_RATE, rate, err, sizeof err)
                                 : ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
    cr_assert_not_null(e, "%s@%d: %s", ss_audio_format_name(f), rate, err);
    uint8_t *bytes = malloc(1);
    size_t have = 0, off = 0;
    for (size_t c = 0; off < n; c++) {
        size_t k = CHUNKS[c % (sizeof CHUNKS / sizeof *CHUNKS)];
        if (k > n - off)
            k = n - off;
        cr_assert_eq(ss_audio_encoder_write(e, in + off, k, err, sizeof err), 0, "%s", err);
        off += k;
        take(e, &bytes, &have);
    }
    cr_assert_eq(ss_audio_encoder_finish(e, err, sizeof err), 0, "%s", err);
    take(e, &bytes, &have);
    size_t after = 1;
    ss_audio_encoder_data(e, &after);
    cr_assert_eq(after, 0);
    ss_audio_encoder_free(e);
    *len = have;
    return bytes;
}

static inline void write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "%s", path);
    if (n > 0)
        cr_assert_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* Runs a shell command, returns its stdout (first cap - 1 bytes); fails
 * the test on a non-zero exit. */
static inline void run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    cr_assert_eq(st, 0, "command failed (%d): %s\n%s", st, cmd, out);
}

static inline int16_t *read_raw(const char *path, size_t *n)
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

static inline double energy(const int16_t *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return s;
}

static inline double correlation(const int16_t *a, const int16_t *b, size_t n)
{
    double ab = 0;
    for (size_t i = 0; i < n; i++)
        ab += (double)a[i] * b[i];
    return ab / sqrt(energy(a, n) * energy(b, n) + 1e-9);
}

static inline const char *ext(ss_audio_format f)
{
    return f == SS_FMT_PCM ? "raw" : ss_audio_format_name(f);
}

/* Decodes file enc (format f, asked rate) with the outside tools into raw
 * s16 mono dec; returns the rate the decoder reports. dir: scratch. */
static inline int decode_with_tools(ss_audio_format f, int rate, const char *enc, const char *dec,
                                    const char *dir)
{
    char cmd[1024], out[4096];
    switch (f) {
    case SS_FMT_OPUS: {
        snprintf(cmd, sizeof cmd, "opusinfo '%s' 2>&1", enc);
        run(cmd, out, sizeof out);
        const char *r = strstr(out, "Original sample rate: ");
        cr_assert_not_null(r, "opusinfo: %s", out);
        cr_assert_null(strstr(out, "WARNING"), "opusinfo warns: %s", out);
        snprintf(cmd, sizeof cmd,
                 "opusdec --quiet --rate %d '%s' %s/tmp.wav 2>&1 && "
                 "sox -D %s/tmp.wav -t raw -e signed -b 16 -c 1 '%s' 2>&1",
                 rate, enc, dir, dir, dec);
        int decoded = atoi(r + strlen("Original sample rate: "));
        run(cmd, out, sizeof out);
        return decoded;
    }
    case SS_FMT_PCM: /* raw has no header: the rate is the contract */
        snprintf(cmd, sizeof cmd,
                 "sox -D -t raw -r %d -e signed -b 16 -c 1 -L '%s' -t raw -e signed -b 16 '%s' "
                 "2>&1", rate, enc, dec);
        run(cmd, out, sizeof out);
        return rate;
    case SS_FMT_MP3:
        /* sox (libmad) reads the rate and must decode the file, but it keeps
         * LAME's delay and padding; mpg123 trims them using the LAME tag. */
        snprintf(cmd, sizeof cmd, "soxi -r '%s' 2>&1 && sox -D '%s' -n 2>&1", enc, enc);
        run(cmd, out, sizeof out);
        int mp3_rate = atoi(out);
        snprintf(cmd, sizeof cmd,
                 "mpg123 -q -w %s/tmp.wav '%s' 2>&1 && "
                 "sox -D %s/tmp.wav -t raw -e signed -b 16 -c 1 '%s' 2>&1",
                 dir, enc, dir, dec);
        run(cmd, out, sizeof out);
        return mp3_rate;
    case SS_FMT_AAC:
        snprintf(cmd, sizeof cmd,
                 "ffprobe -v error -show_entries stream=sample_rate,codec_name -of csv=p=0 '%s' "
                 "2>&1 && ffmpeg -v error -y -i '%s' -f s16le -ac 1 '%s' 2>&1",
                 enc, enc, dec);
        run(cmd, out, sizeof out);
        cr_assert(strncmp(out, "aac,", 4) == 0, "ffprobe: %s", out);
        return atoi(out + 4);
    case SS_FMT_FLAC: /* flac -t checks every frame's CRC and MD5 when set */
        snprintf(cmd, sizeof cmd, "flac -t -s '%s' 2>&1", enc);
        run(cmd, out, sizeof out);
        /* fall through */
    default:
        snprintf(cmd, sizeof cmd, "soxi -r '%s' 2>&1", enc);
        run(cmd, out, sizeof out);
        int decoded = atoi(out);
        /* a stream-mode wav's sizes are 0xFFFFFFFF: sox warns of a
         * premature EOF and decodes what is there */
        snprintf(cmd, sizeof cmd, "sox -V1 -D '%s' -t raw -e signed -b 16 -c 1 '%s' 2>&1", enc,
                 dec);
        run(cmd, out, sizeof out);
        return decoded;
    }
}

/* The decoded length the outside decoder should give, in ms, for 1.5 s in:
 * [*lo, *hi]. Exact (+-2 samples) for the lossless formats; +-20 ms for
 * Ogg Opus (pre-skip and end trimming are exact) and for file-mode mp3
 * (mpg123 trims by the LAME tag). Stream-mode mp3 has no tag: mpg123 plays
 * LAME's 576-sample delay, the decoder's 529 and up to two frames of
 * padding. aac (ADTS, both modes) plays the encoder's 1024 priming samples
 * and up to one frame of padding. */
static inline void expected_ms(ss_audio_format f, int rate, int stream, double *lo, double *hi)
{
    double one = 1000.0 / rate;
    *lo = 1500.0 - 2 * one;
    *hi = 1500.0 + 2 * one;
    if (f == SS_FMT_OPUS || (f == SS_FMT_MP3 && !stream)) {
        *lo = 1480.0;
        *hi = 1520.0;
    } else if (f == SS_FMT_MP3) {
        int frame = rate >= 32000 ? 1152 : 576;
        *hi = 1500.0 + (576 + 529 + 2 * frame) * one;
    } else if (f == SS_FMT_AAC) {
        *hi = 1500.0 + 2048 * one;
    }
}

/* Encodes, decodes with the outside tool, checks rate, duration and signal. */
static inline void check_format_rate(ss_audio_format f, int rate, int stream, const int16_t *in,
                                     const char *ref_in, const char *dir)
{
    char enc[128], dec[128], ref[128], cmd[768], out[4096];
    const char *name = ss_audio_format_name(f), *mode = stream ? "stream" : "file";
    snprintf(enc, sizeof enc, "%s/out_%d.%s", dir, rate, ext(f));
    snprintf(dec, sizeof dec, "%s/dec_%s_%d.raw", dir, name, rate);
    snprintf(ref, sizeof ref, "%s/ref_%s_%d.raw", dir, name, rate);

    size_t len = 0;
    uint8_t *bytes = encode_mode(f, rate, stream, in, IN_SAMPLES, &len);
    cr_assert_gt(len, 0);
    write_file(enc, bytes, len);
    free(bytes);

    int decoded_rate = decode_with_tools(f, rate, enc, dec, dir);
    cr_assert_eq(decoded_rate, rate, "%s@%d %s: decoder says %d Hz", name, rate, mode,
                 decoded_rate);

    size_t n_dec = 0;
    int16_t *y = read_raw(dec, &n_dec);
    double dur_ms = 1000.0 * (double)n_dec / rate, lo, hi;
    expected_ms(f, rate, stream, &lo, &hi);
    cr_log_info("%s@%d %s: %zu bytes, decoded %.2f ms (expected %.2f..%.2f)", name, rate, mode,
                len, dur_ms, lo, hi);
    cr_assert(dur_ms >= lo && dur_ms <= hi, "%s@%d %s: decoded %.2f ms, want %.2f..%.2f", name,
              rate, mode, dur_ms, lo, hi);

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
        cr_assert_gt(c, 0.99, "%s@%d %s: correlation with the sox-resampled input %.4f", name,
                     rate, mode, c);
    }
    cr_assert(e_ratio > 0.75 && e_ratio < 1.25, "%s@%d %s: energy ratio %.3f", name, rate, mode,
              e_ratio);
    free(x);
    free(y);
    unlink(enc);
    unlink(dec);
    unlink(ref);
}

/* Every allowed rate of f in one mode. */
static inline void check_format(ss_audio_format f, int stream)
{
    char dir[64], ref_in[128], cmd[256];
    snprintf(dir, sizeof dir, "/tmp/ss_audio_test_%d_%s_%d", (int)getpid(),
             ss_audio_format_name(f), stream);
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(ref_in, sizeof ref_in, "%s/in.raw", dir);
    static int16_t in[IN_SAMPLES];
    make_input(in, IN_SAMPLES);
    write_file(ref_in, in, sizeof in);
    for (size_t i = 0; i < sizeof GENERAL_RATES / sizeof *GENERAL_RATES; i++)
        if (ss_audio_rate_allowed(f, GENERAL_RATES[i]))
            check_format_rate(f, GENERAL_RATES[i], stream, in, ref_in, dir);
    if (f == SS_FMT_OPUS) /* 12 kHz is Opus-only */
        check_format_rate(f, 12000, stream, in, ref_in, dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
