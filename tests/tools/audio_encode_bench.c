/* audio_encode_bench: CPU cost of the output encoders.
 *
 *   audio_encode_bench [--input SPEECH.wav] [--all-rates] [--only FORMAT]
 *                      [SECONDS] [REPEATS]
 *
 * Encodes SECONDS (default 30) of audio per format, fed in 20 ms chunks as
 * the node streams it, taking the bytes out as they become readable, in
 * file mode (ss_audio_encoder_new) and stream mode
 * (ss_audio_encoder_new_stream). The input is SPEECH.wav (mono; looped or
 * cut to SECONDS; `make bench` passes the engine's own speech) or else a
 * tone + chirp at 32 kHz. Rates: 48 kHz (the target rate) and
 * 24 kHz; --all-rates adds 16, 22.05 and 44.1 kHz. --only measures one
 * format (a name from ss_audio_format_name, opus_packets included). Time is process CPU
 * time, the best of REPEATS (default 3; the machine is shared). Prints CPU
 * milliseconds per second of audio (resampling included) and the bitrate. */
#include "common/audio_encode.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TONE_RATE 32000

typedef struct {
    int16_t *pcm;
    size_t n;
    int rate;
} input;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int make_tone(input *in, double seconds)
{
    in->rate = TONE_RATE;
    in->n = (size_t)(seconds * TONE_RATE);
    if (!(in->pcm = malloc(in->n * sizeof *in->pcm)))
        return -1;
    for (size_t i = 0; i < in->n; i++) {
        double t = (double)i / TONE_RATE, u = fmod(t, 1.0);
        double v = 0.3 * sin(2 * M_PI * 440 * t) + 0.3 * sin(2 * M_PI * (100 * u + 1450 * u * u));
        in->pcm[i] = (int16_t)lrint(v * 32767);
    }
    return 0;
}

/* SECONDS of path (mono), looped when shorter. */
static int read_speech(input *in, const char *path, double seconds)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf || info.channels != 1 || info.frames <= 0) {
        fprintf(stderr, "audio_encode_bench: %s: %s\n", path, sf ? "not mono" : sf_strerror(NULL));
        if (sf)
            sf_close(sf);
        return -1;
    }
    in->rate = info.samplerate;
    in->n = (size_t)(seconds * info.samplerate);
    in->pcm = malloc(in->n * sizeof *in->pcm);
    int16_t *clip = malloc((size_t)info.frames * sizeof *clip);
    sf_count_t got = in->pcm && clip ? sf_read_short(sf, clip, info.frames) : 0;
    sf_close(sf);
    if (got <= 0) {
        fprintf(stderr, "audio_encode_bench: %s: nothing read\n", path);
        free(clip);
        return -1;
    }
    for (size_t i = 0; i < in->n; i++)
        in->pcm[i] = clip[i % (size_t)got];
    free(clip);
    return 0;
}

/* One encode; returns CPU seconds or -1, and the output size in *bytes. */
static double encode_once(ss_audio_format f, int stream, int rate, const input *in, size_t *bytes)
{
    char err[256];
    size_t chunk = (size_t)in->rate / 50, total = 0, len = 0;
    double t0 = cpu_s();
    ss_audio_encoder *e = stream ? ss_audio_encoder_new_stream(f, in->rate, rate, err, sizeof err)
                                 : ss_audio_encoder_new(f, in->rate, rate, err, sizeof err);
    if (!e) {
        fprintf(stderr, "audio_encode_bench: %s\n", err);
        return -1;
    }
    for (size_t off = 0; off < in->n; off += chunk) {
        size_t k = in->n - off < chunk ? in->n - off : chunk;
        if (ss_audio_encoder_write(e, in->pcm + off, k, err, sizeof err) != 0) {
            fprintf(stderr, "audio_encode_bench: %s\n", err);
            ss_audio_encoder_free(e);
            return -1;
        }
        ss_audio_encoder_data(e, &len);
        total += len;
        ss_audio_encoder_consume(e, len);
    }
    if (ss_audio_encoder_finish(e, err, sizeof err) != 0) {
        fprintf(stderr, "audio_encode_bench: %s\n", err);
        ss_audio_encoder_free(e);
        return -1;
    }
    ss_audio_encoder_data(e, &len);
    total += len;
    ss_audio_encoder_free(e);
    *bytes = total;
    return cpu_s() - t0;
}

static int bench(ss_audio_format f, int stream, int rate, const input *in, double seconds,
                 int repeats)
{
    double best = -1;
    size_t bytes = 0;
    for (int r = 0; r < repeats; r++) {
        double s = encode_once(f, stream, rate, in, &bytes);
        if (s < 0)
            return -1;
        if (best < 0 || s < best)
            best = s;
    }
    printf("%-12s %-6s %6d %14.3f %10.1f\n", ss_audio_format_name(f), stream ? "stream" : "file",
           rate, best * 1000 / seconds, bytes * 8 / seconds / 1000);
    return 0;
}

int main(int argc, char **argv)
{
    const char *speech = NULL, *only = NULL;
    int all_rates = 0, a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--input") == 0 && a + 1 < argc)
            speech = argv[++a];
        else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc)
            only = argv[++a];
        else if (strcmp(argv[a], "--all-rates") == 0)
            all_rates = 1;
        else
            break;
    }
    double seconds = a < argc ? atof(argv[a]) : 30.0;
    int repeats = a + 1 < argc ? atoi(argv[a + 1]) : 3;
    if (seconds <= 0 || seconds > 600 || repeats < 1 || a + 2 < argc) {
        fprintf(stderr, "usage: audio_encode_bench [--input SPEECH.wav] [--all-rates] "
                        "[--only FORMAT] [SECONDS (0..600]] [REPEATS >= 1]\n");
        return 2;
    }
    input in = {0};
    if ((speech ? read_speech(&in, speech, seconds) : make_tone(&in, seconds)) != 0)
        return 1;
    const int some[] = {24000, 48000}, all[] = {16000, 22050, 24000, 44100, 48000};
    const int *rates = all_rates ? all : some;
    size_t n_rates = all_rates ? sizeof all / sizeof *all : sizeof some / sizeof *some;
    printf("audio_encode_bench: %.0f s of %s at %d Hz in 20 ms chunks, process CPU, best of %d\n",
           seconds, speech ? "speech" : "tone + chirp", in.rate, repeats);
    printf("%-12s %-6s %6s %14s %10s\n", "format", "mode", "rate", "ms CPU per s", "kbit/s");
    int rc = 0;
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT && rc == 0; fi++)
        for (size_t ri = 0; ri < n_rates && rc == 0; ri++)
            for (int stream = 0; stream <= 1 && rc == 0; stream++)
                if (ss_audio_rate_allowed((ss_audio_format)fi, rates[ri]) &&
                    (!only || strcmp(only, ss_audio_format_name((ss_audio_format)fi)) == 0))
                    rc = bench((ss_audio_format)fi, stream, rates[ri], &in, seconds, repeats);
    free(in.pcm);
    return rc == 0 ? 0 : 1;
}
