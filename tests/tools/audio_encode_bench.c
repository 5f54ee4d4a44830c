/* audio_encode_bench: CPU cost of the /speak output encoders.
 *
 *   audio_encode_bench [SECONDS] [REPEATS]      (defaults 10 s, best of 3)
 *
 * For every format at 16, 24 and 48 kHz (plus 22.05/44.1 kHz for the
 * formats that allow them) it encodes SECONDS of a tone + chirp at the
 * engine's 32 kHz, fed in 20 ms chunks as the node streams it, taking the
 * bytes out as they become readable. Time is thread CPU time (the machine
 * is shared), the best of REPEATS. Prints milliseconds of CPU per second of
 * audio (resampling included) and the output bitrate. */
#include "common/audio_encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define IN_RATE 32000
#define CHUNK (IN_RATE / 50)

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One encode; returns CPU seconds or -1, and the output size in *bytes. */
static double encode_once(ss_audio_format f, int rate, const int16_t *in, size_t n, size_t *bytes)
{
    char err[256];
    double t0 = cpu_s();
    ss_audio_encoder *e = ss_audio_encoder_new(f, IN_RATE, rate, err, sizeof err);
    if (!e) {
        fprintf(stderr, "audio_encode_bench: %s\n", err);
        return -1;
    }
    size_t total = 0, len = 0;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        if (ss_audio_encoder_write(e, in + off, k, err, sizeof err) != 0) {
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

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (seconds <= 0 || seconds > 600 || repeats < 1) {
        fprintf(stderr, "usage: audio_encode_bench [SECONDS (0..600]] [REPEATS >= 1]\n");
        return 2;
    }
    size_t n = (size_t)(seconds * IN_RATE);
    int16_t *in = malloc(n * sizeof *in);
    if (!in)
        return 1;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / IN_RATE, u = fmod(t, 1.0);
        double v = 0.3 * sin(2 * M_PI * 440 * t) + 0.3 * sin(2 * M_PI * (100 * u + 1450 * u * u));
        in[i] = (int16_t)lrint(v * 32767);
    }
    const int rates[] = {16000, 22050, 24000, 44100, 48000};
    printf("audio_encode_bench: %.0f s of audio at %d Hz in 20 ms chunks, best of %d\n", seconds,
           IN_RATE, repeats);
    printf("%-5s %6s %14s %10s\n", "fmt", "rate", "ms CPU per s", "kbit/s");
    for (int fi = 0; fi < SS_AUDIO_FORMAT_COUNT; fi++) {
        ss_audio_format f = (ss_audio_format)fi;
        for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
            if (!ss_audio_rate_allowed(f, rates[ri]))
                continue;
            double best = -1;
            size_t bytes = 0;
            for (int r = 0; r < repeats; r++) {
                double s = encode_once(f, rates[ri], in, n, &bytes);
                if (s < 0) {
                    free(in);
                    return 1;
                }
                if (best < 0 || s < best)
                    best = s;
            }
            printf("%-5s %6d %14.3f %10.1f\n", ss_audio_format_name(f), rates[ri],
                   best * 1000 / seconds, bytes * 8 / seconds / 1000);
        }
    }
    free(in);
    return 0;
}
