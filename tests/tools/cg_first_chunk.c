/* Test tool: how early a clustergen node engine (node/cg_node_engine.c)
 * hands its first audio to the node's sink. For one voice and one text it
 * runs the engine's synthesize() as the node does (24 kHz out, chunk_ms
 * 100 unless told) and reports, as medians over the runs, the thread's CPU
 * time from the call to the first audio() call and to the end of the call,
 * and the wall time to the first audio. A figure for reports, not a gate:
 * the timing belongs in benchmarks, never in tests.
 *
 *   cg_first_chunk [VOICE [RUNS [CHUNK_MS [TEXT]]]]   (rms 21 100 a Harvard sentence)
 */
#include "node/cg_node_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    double cpu_start, wall_start;
    double first_cpu, first_wall; /* -1 until the first audio */
    size_t samples;
} probe;

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_audio(void *user, const int16_t *pcm, size_t n, uint64_t start, bool last)
{
    (void)pcm;
    (void)start;
    (void)last;
    probe *p = user;
    if (p->first_cpu < 0) {
        p->first_cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - p->cpu_start;
        p->first_wall = clock_ms(CLOCK_MONOTONIC) - p->wall_start;
    }
    p->samples += n;
    return 0;
}

static int on_alignment(void *user, const ss_word_timing *w, size_t nw, const ss_phoneme_timing *ph, size_t np)
{
    (void)user, (void)w, (void)nw, (void)ph, (void)np;
    return 0;
}

static bool never(void *user)
{
    (void)user;
    return false;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *voice = argc > 1 ? argv[1] : "rms";
    int runs = argc > 2 ? atoi(argv[2]) : 21;
    unsigned chunk_ms = argc > 3 ? (unsigned)atoi(argv[3]) : 100;
    const char *text = argc > 4 ? argv[4] : "The birch canoe slid on the smooth planks.";
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: cg_first_chunk [VOICE [RUNS [CHUNK_MS [TEXT]]]]\n");
        return 2;
    }
    char err[256];
    ss_node_engine *e = ss_cg_node_engine_new(voice, err, sizeof err);
    if (!e) {
        fprintf(stderr, "cg_first_chunk: %s\n", err);
        return 1;
    }
    double *first = calloc((size_t)runs, sizeof *first), *total = calloc((size_t)runs, sizeof *total),
           *wall = calloc((size_t)runs, sizeof *wall);
    if (!first || !total || !wall) {
        fprintf(stderr, "cg_first_chunk: out of memory\n");
        return 1;
    }
    size_t samples = 0;
    for (int i = 0; i <= runs; i++) { /* run 0 warms the caches, not counted */
        probe p = {.first_cpu = -1};
        ss_node_synth_sink sink = {.user = &p, .audio = on_audio, .alignment = on_alignment, .cancelled = never};
        ss_node_synth_request req = {.request_id = "cg-first-chunk", .text = text, .voice_id = "",
                                     .reference_sha256 = "", .sample_rate = 24000, .speed = 1.0f,
                                     .want_timestamps = true, .chunk_ms = chunk_ms};
        p.cpu_start = clock_ms(CLOCK_THREAD_CPUTIME_ID);
        p.wall_start = clock_ms(CLOCK_MONOTONIC);
        if (e->synthesize(e, &req, &sink, err, sizeof err) != SS_NODE_SYNTH_OK || p.first_cpu < 0) {
            fprintf(stderr, "cg_first_chunk: synthesis failed: %s\n", err);
            return 1;
        }
        if (i > 0) {
            first[i - 1] = p.first_cpu;
            wall[i - 1] = p.first_wall;
            total[i - 1] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - p.cpu_start;
        }
        samples = p.samples;
    }
    qsort(first, (size_t)runs, sizeof *first, by_value);
    qsort(total, (size_t)runs, sizeof *total, by_value);
    qsort(wall, (size_t)runs, sizeof *wall, by_value);
    printf("voice %s, chunk_ms %u, %.2f s of audio, %d runs (medians): first audio %.2f ms CPU (%.2f ms wall), "
           "whole call %.2f ms CPU\n",
           voice, chunk_ms, samples / 24000.0, runs, first[runs / 2], wall[runs / 2], total[runs / 2]);
    free(first);
    free(total);
    free(wall);
    e->destroy(e);
    return 0;
}
