/* resample_bench: CPU cost and first-output latency of ss_resampler alone.
 *
 *   resample_bench SPEECH.wav [SECONDS] [REPEATS]
 *
 * SPEECH.wav (mono; looped or cut to SECONDS, default 30) goes through
 * ss_resampler in 20 ms writes (RESAMPLE_WRITE_MS: another size; the
 * node's chunks are 200 ms, its first 50 ms), to 48, 24, 16, 8,
 * 44.1 and 22.05 kHz. Prints, per rate: process CPU milliseconds per
 * second of audio (best of REPEATS, default 5; the machine is shared),
 * and the first-output latency: how many input samples were written
 * before the first output sample came, writing one sample at a time and
 * writing 20 ms at a time, and the most input (ms) not yet given out
 * after any 20 ms write of the stream (what the resampler adds to the
 * latency of every chunk, not only the first). Uses only the public ss_resampler API, so the
 * same source built against an older libss_common measures the old
 * resampler (docs/PERFORMANCE.md, 2026-12-07). */
#include "common/audio_resample.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    size_t out, first_at, fed;
    double max_held_ms; /* the most input time not yet given out after a write */
} counter;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_pcm(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    (void)pcm, (void)err, (void)errlen;
    counter *c = user;
    if (c->out == 0 && n > 0)
        c->first_at = c->fed;
    c->out += n;
    return 0;
}

/* Feeds x[0..n) in writes of chunk samples; returns CPU seconds or -1.
 * With stop_at_first, stops at the first output. */
static double run(int in_rate, int out_rate, const int16_t *x, size_t n, size_t chunk,
                  int stop_at_first, counter *c)
{
    char err[256];
    double t0 = cpu_s();
    ss_resampler *r = ss_resampler_new(in_rate, out_rate, on_pcm, c, err, sizeof err);
    if (!r) {
        fprintf(stderr, "resample_bench: %s\n", err);
        return -1;
    }
    for (size_t off = 0; off < n && !(stop_at_first && c->out > 0); off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        c->fed += k;
        if (ss_resampler_write(r, x + off, k, err, sizeof err) != 0) {
            fprintf(stderr, "resample_bench: %s\n", err);
            ss_resampler_free(r);
            return -1;
        }
        double held = ((double)c->fed / in_rate - (double)c->out / out_rate) * 1000;
        c->max_held_ms = held > c->max_held_ms ? held : c->max_held_ms;
    }
    int rc = stop_at_first ? 0 : ss_resampler_finish(r, err, sizeof err);
    ss_resampler_free(r);
    if (rc != 0) {
        fprintf(stderr, "resample_bench: %s\n", err);
        return -1;
    }
    return cpu_s() - t0;
}

static int16_t *read_speech(const char *path, double seconds, int *rate, size_t *n)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf || info.channels != 1 || info.frames <= 0) {
        fprintf(stderr, "resample_bench: %s: %s\n", path, sf ? "not mono" : sf_strerror(NULL));
        if (sf)
            sf_close(sf);
        return NULL;
    }
    *rate = info.samplerate;
    *n = (size_t)(seconds * info.samplerate);
    int16_t *x = malloc(*n * sizeof *x), *clip = malloc((size_t)info.frames * sizeof *clip);
    sf_count_t got = x && clip ? sf_read_short(sf, clip, info.frames) : 0;
    sf_close(sf);
    if (got <= 0) {
        fprintf(stderr, "resample_bench: %s: nothing read\n", path);
        free(x);
        free(clip);
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        x[i] = clip[i % (size_t)got];
    free(clip);
    return x;
}

int main(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 30.0;
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    if (argc < 2 || argc > 4 || seconds <= 0 || seconds > 600 || repeats < 1) {
        fprintf(stderr, "usage: resample_bench SPEECH.wav [SECONDS (0..600]] [REPEATS >= 1]\n");
        return 2;
    }
    int in_rate = 0;
    size_t n = 0;
    int16_t *x = read_speech(argv[1], seconds, &in_rate, &n);
    if (!x)
        return 1;
    const int rates[] = {48000, 24000, 16000, 8000, 44100, 22050};
    const char *wm = getenv("RESAMPLE_WRITE_MS");
    int write_ms = wm ? atoi(wm) : 20;
    if (write_ms < 1 || write_ms > 10000) {
        fprintf(stderr, "resample_bench: RESAMPLE_WRITE_MS is 1..10000\n");
        free(x);
        return 2;
    }
    const size_t chunk = (size_t)in_rate * (size_t)write_ms / 1000;
    printf("resample_bench: %.0f s of speech at %d Hz in %d ms writes, process CPU, best of %d\n",
           seconds, in_rate, write_ms, repeats);
    printf("%6s %14s %18s %18s %14s\n", "rate", "ms CPU per s", "first out (1-smp)",
           "first out (write)", "max held ms");
    int rc = 0;
    for (size_t i = 0; i < sizeof rates / sizeof *rates && rc == 0; i++) {
        double best = -1, held = 0;
        for (int r = 0; r < repeats && rc == 0; r++) {
            counter c = {0};
            double s = run(in_rate, rates[i], x, n, chunk, 0, &c);
            rc = s < 0;
            best = best < 0 || s < best ? s : best;
            held = c.max_held_ms;
        }
        counter one = {0}, blk = {0};
        if (rc == 0)
            rc = run(in_rate, rates[i], x, n < 20000 ? n : 20000, 1, 1, &one) < 0 ||
                 run(in_rate, rates[i], x, n, chunk, 1, &blk) < 0;
        if (rc == 0)
            printf("%6d %14.3f %18zu %18zu %14.1f\n", rates[i], best * 1000 / seconds, one.first_at,
                   blk.first_at, held);
    }
    free(x);
    return rc;
}
