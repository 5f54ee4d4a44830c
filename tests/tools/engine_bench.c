/* engine_bench: per-stage speed of our engine vs libHTSEngine 1.10 on the
 * same label files, in one run.
 *
 *   engine_bench VOICE LABEL_FILE... [--repeat N] [--streams N]
 *
 * Stages: model lookup (+ durations), parameter generation (MLPG + GV),
 * vocoder (excitation + MLSA). Time is thread CPU time (one core; the
 * machine is shared, so CPU time is steadier than wall time), the best of N
 * repeats per file and stage. Prints real-time factors (CPU seconds per
 * second of audio), the ratio ours/hts, first-chunk latency of streamed
 * synthesis for the first file (wall, and this thread's CPU time to the
 * chunk), peak RSS, and with --streams N the aggregate real-time factor of
 * N concurrent streams on one core: N threads, all pinned to the CPU the
 * tool started on, each synthesising every file (ss_synthesize, one-shot,
 * labels -> 32 kHz) after a common start; aggregate = the threads' CPU time
 * summed / the audio they made, next to the same figure for one thread. */
#include "node/engine/engine.h"
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"
#include "node/engine/synth/vocoder.h"

#include "tests/tools/label_file.h"

#include <HTS_engine.h>
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double minv(double a, double b)
{
    return a < b ? a : b;
}

/* ------------------------------------------- concurrent streams --- */

typedef struct {
    const ss_voice *sv;
    char ***lines;
    const size_t *nl;
    int nfiles, cpu;
    pthread_barrier_t *start;
    double cpu_s, audio_s;
    int rc;
    char err[256];
} stream_run;

static void *stream_thread(void *arg)
{
    stream_run *r = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(r->cpu, &set);
    r->rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    pthread_barrier_wait(r->start);
    if (r->rc != 0) {
        snprintf(r->err, sizeof r->err, "cannot pin to CPU %d", r->cpu);
        return NULL;
    }
    ss_synth_options opt;
    ss_synth_options_init(&opt);
    opt.keep_audio = 0;
    double t0 = cpu_s();
    for (int fi = 0; fi < r->nfiles; fi++) {
        ss_synth_result res;
        if (ss_synthesize(r->sv, (const char *const *)r->lines[fi], r->nl[fi], &opt, NULL, NULL, &res, r->err,
                          sizeof r->err) != 0) {
            r->rc = -1;
            return NULL;
        }
        r->audio_s += (double)res.nsamples / res.sample_rate;
        ss_synth_result_free(&res);
    }
    r->cpu_s = cpu_s() - t0;
    return NULL;
}

/* Aggregate RTF of n threads pinned to one CPU; -1 + err on failure. */
static double streams_rtf(const ss_voice *sv, char ***lines, const size_t *nl, int nfiles, int n, char *err,
                          size_t errlen)
{
    stream_run runs[16];
    pthread_t th[16];
    pthread_barrier_t start;
    const int cpu = sched_getcpu();
    if (n < 1 || n > 16 || cpu < 0 || pthread_barrier_init(&start, NULL, (unsigned)n) != 0) {
        snprintf(err, errlen, "streams: 1..16 threads on a known CPU");
        return -1;
    }
    int started = 0;
    for (; started < n; started++) {
        runs[started] = (stream_run){.sv = sv, .lines = lines, .nl = nl, .nfiles = nfiles, .cpu = cpu, .start = &start};
        if (pthread_create(&th[started], NULL, stream_thread, &runs[started]) != 0)
            break;
    }
    if (started < n) { /* the barrier would never open: give up loudly */
        fprintf(stderr, "engine_bench: cannot start %d threads\n", n);
        exit(2);
    }
    double cpu_total = 0, audio = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (runs[i].rc != 0 && !bad) {
            snprintf(err, errlen, "%s", runs[i].err);
            bad = 1;
        }
        cpu_total += runs[i].cpu_s;
        audio += runs[i].audio_s;
    }
    pthread_barrier_destroy(&start);
    return bad || audio <= 0 ? -1 : cpu_total / audio;
}

/* Every file's label lines (kept for the whole run); 0 or -1. */
static int load_all(const char *const *files, int nfiles, char ***lines, size_t *nl)
{
    for (int fi = 0; fi < nfiles; fi++) {
        lines[fi] = label_file_read(files[fi], 1, &nl[fi]);
        if (!lines[fi]) {
            fprintf(stderr, "engine_bench: cannot read %s\n", files[fi]);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------ first chunk CPU --- */

typedef struct {
    double t0, first_cpu_ms;
} first_chunk_clock;

static int note_first_chunk(void *user, const ss_audio_chunk *ch)
{
    first_chunk_clock *c = user;
    if (ch->index == 0)
        c->first_cpu_ms = (cpu_s() - c->t0) * 1e3;
    return 0;
}

/* ------------------------------------------------------ stages --- */

/* One pass of our three stages over one file's labels: CPU seconds per
 * stage into t, samples into *nsamp. 0, or -1 + err. */
static int ours_once(const ss_htsvoice *v, char **lines, size_t nl, double t[3], size_t *nsamp, char *err,
                     size_t errlen)
{
    double t0 = cpu_s();
    ss_acoustic_seq seq;
    ss_param_track tr;
    ss_vocoder voc;
    if (ss_acoustic_lookup(v, (const char *const *)lines, nl, 0.0, NULL, &seq, err, errlen) != 0 ||
        ss_acoustic_durations(&seq, 1.0, err, errlen) != 0)
        return -1;
    double t1 = cpu_s();
    if (ss_param_generate(v, &seq, 0, seq.nframes, NULL, &tr, err, errlen) != 0)
        return -1;
    double t2 = cpu_s();
    float *out = NULL;
    size_t nout = 0, cap = 0;
    if (ss_vocoder_init(&voc, v, v->sample_rate, err, errlen) != 0 ||
        ss_vocoder_run(&voc, &tr, 1, NULL, &out, &nout, &cap, err, errlen) != 0)
        return -1;
    double t3 = cpu_s();
    t[0] = t1 - t0;
    t[1] = t2 - t1;
    t[2] = t3 - t2;
    *nsamp = nout;
    free(out);
    ss_vocoder_free(&voc);
    ss_param_track_free(&tr);
    ss_acoustic_seq_free(&seq);
    return 0;
}

/* The same three stages by libHTSEngine. 0, or -1. */
static int hts_once(HTS_Engine *hts, char **lines, size_t nl, double t[3])
{
    double u0 = cpu_s();
    if (!HTS_Engine_generate_state_sequence_from_strings(hts, lines, nl))
        return -1;
    double u1 = cpu_s();
    HTS_Engine_generate_parameter_sequence(hts);
    double u2 = cpu_s();
    HTS_Engine_generate_sample_sequence(hts);
    double u3 = cpu_s();
    t[0] = u1 - u0;
    t[1] = u2 - u1;
    t[2] = u3 - u2;
    HTS_Engine_refresh(hts);
    return 0;
}

/* Best of `repeat` passes of both engines over one file, added to ours[]
 * and theirs[]; the file's audio seconds to *audio_s. 0, or -1 (printed). */
static int bench_file(const ss_htsvoice *v, HTS_Engine *hts, const char *file, int repeat, double ours[3],
                      double theirs[3], double *audio_s)
{
    size_t nl, nsamp = 0;
    char **lines = label_file_read(file, 1, &nl);
    if (!lines) {
        fprintf(stderr, "engine_bench: cannot read %s\n", file);
        return -1;
    }
    double o[3] = {1e9, 1e9, 1e9}, h[3] = {1e9, 1e9, 1e9}, t[3];
    char err[512];
    int rc = 0;
    for (int r = 0; r < repeat && rc == 0; r++) {
        if (ours_once(v, lines, nl, t, &nsamp, err, sizeof err) != 0) {
            fprintf(stderr, "engine_bench: %s\n", err);
            rc = -1;
            break;
        }
        for (int k = 0; k < 3; k++)
            o[k] = minv(o[k], t[k]);
        if (hts_once(hts, lines, nl, t) != 0) {
            fprintf(stderr, "engine_bench: libHTSEngine failed\n");
            rc = -1;
            break;
        }
        for (int k = 0; k < 3; k++)
            h[k] = minv(h[k], t[k]);
    }
    for (int k = 0; k < 3 && rc == 0; k++) {
        ours[k] += o[k];
        theirs[k] += h[k];
    }
    *audio_s += (double)nsamp / v->sample_rate;
    for (size_t i = 0; i < nl; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

static void print_stages(const double ours[3], const double theirs[3], double audio_s, int nfiles, int repeat)
{
    const char *stage[3] = {"model lookup", "parameter generation", "vocoder"};
    double to = ours[0] + ours[1] + ours[2], th = theirs[0] + theirs[1] + theirs[2];
    printf("audio: %d files, %.2f s; thread CPU time, best of %d\n", nfiles, audio_s, repeat);
    printf("%-22s %12s %12s %9s\n", "stage", "ours RTF", "hts RTF", "ours/hts");
    for (int k = 0; k < 3; k++)
        printf("%-22s %12.5f %12.5f %9.3f\n", stage[k], ours[k] / audio_s, theirs[k] / audio_s, ours[k] / theirs[k]);
    printf("%-22s %12.5f %12.5f %9.3f\n", "total", to / audio_s, th / audio_s, to / th);
}

/* ------------------------------------------------ first chunk --- */

/* The lines of the first file whose utterance has an interior pause (more
 * than one chunk), else of the last file; its index in *which. NULL when
 * unreadable. */
static char **first_chunk_file(const char *const *files, int nfiles, int *which, size_t *nl)
{
    for (int fi = 0; fi < nfiles; fi++) {
        char **lines = label_file_read(files[fi], 1, nl);
        int pauses = 0;
        for (size_t i = 1; lines && i + 1 < *nl; i++)
            pauses += strstr(lines[i], "-pau+") != NULL;
        if (pauses > 0 || fi + 1 == nfiles) {
            *which = fi;
            return lines;
        }
        for (size_t i = 0; lines && i < *nl; i++)
            free(lines[i]);
        free(lines);
    }
    return NULL;
}

typedef struct {
    double wall_ms, cpu_ms, whole_ms;
    size_t chunks;
} first_chunk_figures;

/* Streamed synthesis of lines, best of repeat. 0, or -1 + err. */
static int first_chunk_latency(const ss_voice *sv, char **lines, size_t nl, int repeat, first_chunk_figures *f,
                               char *err, size_t errlen)
{
    *f = (first_chunk_figures){1e9, 1e9, 1e9, 0};
    for (int r = 0; r < repeat; r++) {
        ss_synth_options opt;
        ss_synth_options_init(&opt);
        opt.stream = 1;
        ss_synth_result res;
        struct timespec a, b;
        first_chunk_clock fc = {.t0 = cpu_s(), .first_cpu_ms = 1e9};
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (ss_synthesize(sv, (const char *const *)lines, nl, &opt, note_first_chunk, &fc, &res, err, errlen) != 0)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        f->wall_ms = minv(f->wall_ms, res.first_chunk_ms);
        f->cpu_ms = minv(f->cpu_ms, fc.first_cpu_ms);
        f->whole_ms = minv(f->whole_ms, (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
        f->chunks = res.nchunks;
        ss_synth_result_free(&res);
    }
    return 0;
}

/* ------------------------------------------------------- main --- */

typedef struct {
    int repeat, streams, nfiles;
    const char *voice;
    const char *files[256];
} bench_args;

static int parse_args(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){.repeat = 3};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            a->repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc)
            a->streams = atoi(argv[++i]);
        else if (!a->voice)
            a->voice = argv[i];
        else if (a->nfiles < 256)
            a->files[a->nfiles++] = argv[i];
    }
    if (!a->voice || a->nfiles == 0 || a->repeat < 1) {
        fprintf(stderr, "usage: engine_bench VOICE LABEL_FILE... [--repeat N] [--streams N]\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static bench_args a;
    static char **all_lines[256];
    static size_t all_nl[256];
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(a.voice, err, sizeof err);
    if (!v) {
        fprintf(stderr, "engine_bench: %s\n", err);
        return 2;
    }
    HTS_Engine hts;
    HTS_Engine_initialize(&hts);
    char *vp = (char *)a.voice;
    if (!HTS_Engine_load(&hts, &vp, 1)) {
        fprintf(stderr, "engine_bench: libHTSEngine cannot load the voice\n");
        return 2;
    }
    double ours[3] = {0}, theirs[3] = {0}, audio_s = 0;
    for (int fi = 0; fi < a.nfiles; fi++)
        if (bench_file(v, &hts, a.files[fi], a.repeat, ours, theirs, &audio_s) != 0)
            return 2;
    print_stages(ours, theirs, audio_s, a.nfiles, a.repeat);
    double to = ours[0] + ours[1] + ours[2], th = theirs[0] + theirs[1] + theirs[2];

    ss_voice *sv = ss_voice_load(a.voice, err, sizeof err);
    int lat_file = 0;
    size_t nl = 0;
    char **lines = sv ? first_chunk_file(a.files, a.nfiles, &lat_file, &nl) : NULL;
    first_chunk_figures fc = {1e9, 1e9, 1e9, 0};
    if (lines && first_chunk_latency(sv, lines, nl, a.repeat, &fc, err, sizeof err) != 0) {
        fprintf(stderr, "engine_bench: %s\n", err);
        return 2;
    }
    printf("first-chunk latency (streamed, %s, %zu chunks): %.1f ms wall, %.1f ms CPU (whole utterance %.1f ms, wall)\n",
           a.files[lat_file], fc.chunks, fc.wall_ms, fc.cpu_ms, fc.whole_ms);
    double single = -1, multi = -1;
    if (a.streams > 0 && sv && load_all(a.files, a.nfiles, all_lines, all_nl) == 0) {
        single = streams_rtf(sv, all_lines, all_nl, a.nfiles, 1, err, sizeof err);
        multi = single >= 0 ? streams_rtf(sv, all_lines, all_nl, a.nfiles, a.streams, err, sizeof err) : -1;
        if (multi < 0) {
            fprintf(stderr, "engine_bench: %s\n", err);
            return 2;
        }
        printf("concurrent streams on one core (ss_synthesize, one-shot): 1 stream RTF %.5f, %d streams aggregate RTF %.5f\n",
               single, a.streams, multi);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MiB (this process: our voice + hts_engine's voice loaded)\n", ru.ru_maxrss / 1024.0);
    printf("RESULT ours_rtf=%.5f hts_rtf=%.5f ratio=%.3f first_chunk_ms=%.1f first_chunk_cpu_ms=%.1f "
           "streams=%d streams_rtf=%.5f single_stream_rtf=%.5f\n",
           to / audio_s, th / audio_s, to / th, fc.wall_ms, fc.cpu_ms, a.streams, multi, single);
    for (size_t i = 0; lines && i < nl; i++)
        free(lines[i]);
    free(lines);
    ss_voice_free(sv);
    HTS_Engine_clear(&hts);
    ss_htsvoice_free(v);
    return 0;
}
