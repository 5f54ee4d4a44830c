/* speak_first_chunk: first-chunk latency and peak memory of text -> audio
 * through ss_engine_speak (engine.h), the call the node and the CLI make.
 *
 *   speak_first_chunk VOICE TEXT_FILE [RUNS [STOP_AFTER_CHUNKS]]
 *
 * Each run speaks the file's text and times, on the wall clock, the call
 * to its first audio chunk (front end included: that is what a caller
 * waits for); the best of RUNS (default 3) is printed. STOP_AFTER_CHUNKS
 * > 0 makes the sink stop the call after that many chunks (a cancel), so a
 * long text's first chunk can be measured without speaking all of it; 0
 * (default) speaks everything. Peak RSS is the process's VmHWM at the end.
 * Benchmark only: the tests assert on counts, never on these times. */
#include "node/engine/engine.h"
#include "tests/tools/whole_file.h"
#include "tests/unit/long_text_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    struct timespec t0;
    double first_ms;
    size_t chunks, samples, stop_after;
} run_state;

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1000.0 * (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int on_audio(void *user, const ss_audio_chunk *c)
{
    run_state *r = user;
    if (r->chunks++ == 0) r->first_ms = ms_since(&r->t0);
    r->samples += c->nsamples;
    return r->stop_after > 0 && r->chunks >= r->stop_after;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: speak_first_chunk VOICE TEXT_FILE [RUNS [STOP_AFTER_CHUNKS]]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    size_t stop_after = argc > 4 ? (size_t)atol(argv[4]) : 0;
    char err[256];
    size_t len;
    char *text = whole_file_read(argv[2], &len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    ss_voice *v = ss_voice_load(argv[1], err, sizeof err);
    ss_frontend *fe = v ? ss_frontend_create(err, sizeof err) : NULL;
    if (!fe) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ss_synth_options o;
    ss_synth_options_init(&o);
    double best = 1e18, total = 0;
    run_state r = {0};
    for (int i = 0; i < (runs > 0 ? runs : 1); i++) {
        r = (run_state){.stop_after = stop_after};
        ss_speak_sink sink = {.audio = on_audio, .user = &r};
        clock_gettime(CLOCK_MONOTONIC, &r.t0);
        int rc = ss_engine_speak(v, fe, text, len, &o, &sink, NULL, err, sizeof err);
        total = ms_since(&r.t0);
        if (rc != 0 && !(rc == SS_SYNTH_CANCELLED && stop_after > 0)) {
            fprintf(stderr, "speak failed (%d): %s\n", rc, err);
            return 1;
        }
        if (r.first_ms < best) best = r.first_ms;
    }
    printf("text %zu bytes: first chunk %.1f ms (best of %d), last run %.1f ms, %zu chunks, %.1f s audio, "
           "peak RSS %.1f MiB\n",
           len, best, runs, total, r.chunks, (double)r.samples / o.sample_rate, vm_hwm_kb() / 1024.0);
    ss_frontend_free(fe);
    ss_voice_free(v);
    free(text);
    return 0;
}
