/* GPU benchmark with the CPU figures of the same run beside it (make
 * bench-gpu; method in docs/PERFORMANCE.md).
 *
 *   gpu_bench LABEL_DIR [WINDOW_MS]
 *
 * Requests are the festival label files of LABEL_DIR (eval/sentences.txt),
 * cycled. Three ways to serve them:
 *   cpu-engine   the node's CPU path today: ss_synthesize (lookup,
 *                durations, MLPG, vocoder) on min(N, cores) worker threads;
 *   cpu-batched  every request on its own thread, kernels through the batch
 *                scheduler (kernels/batch_scheduler.c) on the CPU kernels;
 *   gpu-batched  the same on the CUDA kernels (needs a device; else
 *                "GPU: not measured (no device)").
 * The batched paths do lookup + durations on the request's thread, MLPG of
 * every stream through the scheduler, then 3 phrases of excitation + MLSA
 * through the scheduler (scaled float output and resampling are left out:
 * the engine does them on the CPU in either case).
 * Figures: first-chunk latency of one sentence (N = 1, median of 5), and the
 * aggregate real-time factor (wall time / seconds of audio produced) at 1,
 * 8, 64 and 256 concurrent requests. Wall clock, this process alone. */
#include "kernels/kernels_select.h"
#include "kernels/batch_scheduler.h"
#include "node/engine/engine.h"
#include "tests/gpu/utterance_jobs.h"

#include <dirent.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define NPHRASES 3
#define MAXUTT 64

typedef struct {
    char **labels;
    size_t n;
} label_file;

static label_file files[MAXUTT];
static size_t nfiles;
static ss_voice *voice;
static ss_htsvoice *hts;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ------------------------------------------------------- cpu-engine --- */

typedef struct {
    size_t samples;
    double first_ms, start_ms;
} synth_count;

static int count_chunk(void *user, const ss_audio_chunk *c)
{
    synth_count *s = user;
    if (s->samples == 0)
        s->first_ms = now_ms() - s->start_ms;
    s->samples += c->nsamples;
    return 0;
}

typedef struct {
    pthread_mutex_t mu;
    size_t next, total;
    size_t samples;
    int failed;
} engine_work;

static void *engine_worker(void *arg)
{
    engine_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        size_t i = w->next < w->total ? w->next++ : (size_t)-1;
        pthread_mutex_unlock(&w->mu);
        if (i == (size_t)-1)
            return NULL;
        const label_file *f = &files[i % nfiles];
        ss_synth_options o;
        ss_synth_options_init(&o);
        o.stream = 1;
        o.keep_audio = 0;
        synth_count c = {.start_ms = now_ms()};
        ss_synth_result r;
        char err[256];
        int rc = ss_synthesize(voice, (const char *const *)f->labels, f->n, &o, count_chunk, &c, &r, err, sizeof err);
        ss_synth_result_free(&r);
        pthread_mutex_lock(&w->mu);
        if (rc != 0)
            w->failed = 1;
        w->samples += c.samples;
        pthread_mutex_unlock(&w->mu);
    }
}

/* RTF of N requests on min(N, cores) threads; -1 on failure. */
static double cpu_engine_rtf(size_t N)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = N < (size_t)(cores > 0 ? cores : 1) ? N : (size_t)cores;
    engine_work w = {.total = N};
    pthread_mutex_init(&w.mu, NULL);
    pthread_t th[256];
    double t0 = now_ms();
    for (size_t i = 0; i < nt; i++)
        pthread_create(&th[i], NULL, engine_worker, &w);
    for (size_t i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    double wall = now_ms() - t0;
    pthread_mutex_destroy(&w.mu);
    if (w.failed)
        return -1;
    return wall / 1e3 / ((double)w.samples / ss_voice_native_rate(voice));
}

static double cpu_engine_first_chunk(const label_file *f)
{
    double best[5];
    for (int k = 0; k < 5; k++) {
        ss_synth_options o;
        ss_synth_options_init(&o);
        o.stream = 1;
        o.keep_audio = 0;
        synth_count c = {.start_ms = now_ms()};
        ss_synth_result r;
        char err[256];
        if (ss_synthesize(voice, (const char *const *)f->labels, f->n, &o, count_chunk, &c, &r, err, sizeof err) != 0)
            return -1;
        ss_synth_result_free(&r);
        best[k] = c.first_ms;
    }
    for (int i = 0; i < 5; i++) /* median */
        for (int j = i + 1; j < 5; j++)
            if (best[j] < best[i]) {
                double t = best[i];
                best[i] = best[j];
                best[j] = t;
            }
    return best[2];
}

/* ---------------------------------------------------------- batched --- */

typedef struct {
    ss_batch_scheduler *sched;
    const label_file *f;
    size_t samples;
    double first_ms;
    int rc;
    char err[256];
} batched_req;

static void *batched_request(void *arg)
{
    batched_req *r = arg;
    double t0 = now_ms();
    ss_acoustic_seq seq;
    utt_mlpg m[SS_VOICE_MAX_STREAMS];
    memset(m, 0, sizeof m);
    utt_vocoder_input vi = {0};
    double *wave = NULL;
    r->rc = -1;
    if (ss_acoustic_lookup(hts, (const char *const *)r->f->labels, r->f->n, 0.0, NULL, &seq, r->err, sizeof r->err) != 0)
        return NULL;
    if (ss_acoustic_durations(&seq, 1.0, r->err, sizeof r->err) != 0)
        goto done;
    for (int s = 0; s < seq.nstreams; s++) {
        if (utt_mlpg_build(hts, &seq, s, &m[s], r->err, sizeof r->err) != 0)
            goto done;
        if (m[s].T && ss_batch_mlpg(r->sched, m[s].win, m[s].probs, m[s].vlen, r->err, sizeof r->err) != 0)
            goto done;
    }
    if (utt_vocoder_from_mlpg(hts, &seq, m, &vi, r->err, sizeof r->err) != 0)
        goto done;
    wave = malloc((vi.nframes ? vi.nframes : 1) * vi.frame_period * sizeof(double));
    ss_excitation_state ex;
    ss_mlsa_state ml;
    ss_excitation_state_init(&ex);
    if (!wave || ss_mlsa_state_init(&ml, vi.order, vi.alpha, r->err, sizeof r->err) != 0)
        goto done;
    size_t f0 = 0, fp = vi.frame_period;
    for (int p = 0; p < NPHRASES; p++) {
        size_t f1 = p == NPHRASES - 1 ? vi.nframes : vi.nframes * (size_t)(p + 1) / NPHRASES;
        ss_excitation_job ej = {&ex, vi.period + f0, f1 - f0, fp, wave + f0 * fp};
        ss_mlsa_job mj = {.state = &ml, .mcep = vi.mcep + f0 * (size_t)(vi.order + 1), .nframes = f1 - f0, .frame_period = fp,
                          .excitation = wave + f0 * fp, .out = wave + f0 * fp};
        if (ss_batch_excitation(r->sched, &ej, 1, r->err, sizeof r->err) != 0 ||
            ss_batch_mlsa(r->sched, &mj, 1, r->err, sizeof r->err) != 0)
            goto done;
        if (p == 0)
            r->first_ms = now_ms() - t0;
        f0 = f1;
    }
    r->samples = vi.nframes * fp;
    r->rc = 0;
done:
    free(wave);
    utt_vocoder_input_free(&vi);
    for (int s = 0; s < SS_VOICE_MAX_STREAMS; s++)
        utt_mlpg_free(&m[s]);
    ss_acoustic_seq_free(&seq);
    return NULL;
}

/* A scheduler as a node makes one: on CUDA gpu_lanes lanes (GPU_LANES,
 * default 2, as the node's default) sharing 4096 MiB (gpu_memory_mb's
 * default); on the CPU one dispatcher. NULL after printing why. */
static ss_batch_scheduler *make_scheduler(const ss_kernel_ops *ops, double window_ms)
{
    char err[256];
    ss_batch_options o = ss_batch_default_options();
    o.window_ms = window_ms;
    if (ops->lane_new) {
        const char *l = getenv("GPU_LANES");
        o.lanes = l && atoi(l) > 0 ? atoi(l) : 2;
        o.lane_memory_limit = ((size_t)4096 << 20) / (size_t)o.lanes;
    }
    ss_batch_scheduler *s = ss_batch_scheduler_new(ops, &o, err, sizeof err);
    if (!s)
        fprintf(stderr, "gpu_bench: %s\n", err);
    return s;
}

/* RTF of N concurrent requests through the scheduler s (kept between runs,
 * as a node keeps it: its pools stay warm); first_ms: median first-phrase
 * time over the requests; stats: the scheduler's counters after the run.
 * -1 on failure. */
static double batched_rtf(ss_batch_scheduler *s, size_t N, double *first_ms, ss_batch_stats *stats)
{
    if (!s || N == 0)
        return -1;
    batched_req *rq = calloc(N, sizeof *rq);
    pthread_t *th = calloc(N, sizeof *th);
    double t0 = now_ms();
    for (size_t i = 0; i < N; i++) {
        rq[i] = (batched_req){.sched = s, .f = &files[i % nfiles]};
        pthread_create(&th[i], NULL, batched_request, &rq[i]);
    }
    size_t samples = 0;
    int failed = 0;
    for (size_t i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (rq[i].rc != 0) {
            fprintf(stderr, "gpu_bench: request %zu: %s\n", i, rq[i].err);
            failed = 1;
        }
        samples += rq[i].samples;
    }
    double wall = now_ms() - t0;
    ss_batch_scheduler_stats(s, stats);
    double *fm = malloc(N * sizeof *fm);
    for (size_t i = 0; i < N; i++)
        fm[i] = rq[i].first_ms;
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            if (fm[j] < fm[i]) {
                double t = fm[i];
                fm[i] = fm[j];
                fm[j] = t;
            }
    *first_ms = fm[N / 2];
    free(fm);
    free(rq);
    free(th);
    if (failed)
        return -1;
    return wall / 1e3 / ((double)samples / hts->sample_rate);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One run's settings and state: the kernels under test (NULL: no device)
 * and why, the batch window, the two schedulers and the GPU warm-up's
 * counters. */
typedef struct {
    const ss_kernel_ops *gpu;
    char why[256];
    double window;
    ss_batch_scheduler *cpu_sched, *gpu_sched;
    ss_batch_stats warm;
} bench;

/* Loads the voice both ways (the engine's and the HTS tables). 0, or 2
 * after a message. */
static int load_voices(void)
{
    char err[512];
    voice = ss_voice_load(UTT_VOICE, err, sizeof err);
    hts = ss_htsvoice_load(UTT_VOICE, err, sizeof err);
    if (!voice || !hts) {
        fprintf(stderr, "gpu_bench: %s\n", err);
        return 2;
    }
    return 0;
}

/* The names of dir's .lab files (malloc'd, sorted, at most MAXUTT) into
 * names, their count into nfiles. 0, or 2 after a message. */
static int list_label_names(const char *dir, char **names)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "gpu_bench: cannot open %s\n", dir);
        return 2;
    }
    struct dirent *e;
    while ((e = readdir(d)) && nfiles < MAXUTT) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".lab"))
            names[nfiles++] = strdup(e->d_name);
    }
    closedir(d);
    if (!nfiles) {
        fprintf(stderr, "gpu_bench: no .lab files in %s\n", dir);
        return 2;
    }
    for (size_t i = 0; i < nfiles; i++)
        if (!names[i]) {
            fprintf(stderr, "gpu_bench: out of memory\n");
            return 2;
        }
    qsort(names, nfiles, sizeof *names, by_name);
    return 0;
}

/* Reads every named label file of dir into files. 0, or 2 after a message. */
static int read_label_files(const char *dir, char *const *names)
{
    for (size_t i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        files[i].labels = utt_labels_read(path, &files[i].n);
        if (!files[i].labels) {
            fprintf(stderr, "gpu_bench: cannot read %s\n", path);
            return 2;
        }
    }
    return 0;
}

/* The first-chunk latency section for sentence `one` (named name): the CPU
 * engine, then batched on the CPU and (after a warm-up) on the GPU; makes
 * b's schedulers. 0, or 1 when the GPU warm-up fails. */
static int first_chunk_latency(bench *b, const char *name, size_t one)
{
    printf("\nfirst-chunk latency, sentence %s (ms, median):\n", name);
    printf("  cpu-engine (ss_synthesize, streamed)    %8.2f\n", cpu_engine_first_chunk(&files[one]));
    ss_batch_stats st = {0};
    double fm = 0;
    const label_file save = files[0];
    files[0] = files[one]; /* N = 1 uses file 0 */
    b->cpu_sched = make_scheduler(ss_kernel_ops_cpu(), b->window);
    b->gpu_sched = b->gpu ? make_scheduler(b->gpu, b->window) : NULL;
    double r1 = batched_rtf(b->cpu_sched, 1, &fm, &st);
    printf("  cpu-batched (lookup+MLPG+phrase 1)      %8.2f%s\n", fm, r1 < 0 ? " (FAILED)" : "");
    if (b->gpu) {
        /* warm-up: CUDA context creation, module load and the growth of the
         * lanes' pools to the largest run stay out of the figures, as in a
         * node that has served traffic */
        if (batched_rtf(b->gpu_sched, 256, &fm, &b->warm) < 0)
            return 1;
        r1 = batched_rtf(b->gpu_sched, 1, &fm, &st);
        printf("  gpu-batched (lookup+MLPG+phrase 1)      %8.2f%s\n", fm, r1 < 0 ? " (FAILED)" : "");
    } else {
        printf("  gpu-batched                             GPU: not measured (no device)\n");
    }
    files[0] = save;
    return 0;
}

/* One row of the RTF table: N requests on each path (and the GPU's
 * launches). 1 when a path failed, else 0. */
static int rtf_row(const bench *b, size_t N)
{
    ss_batch_stats st = {0};
    double fm = 0;
    double ce = cpu_engine_rtf(N);
    double cb = batched_rtf(b->cpu_sched, N, &fm, &st);
    int failed = ce < 0 || cb < 0;
    if (b->gpu) {
        ss_batch_stats before = st;
        ss_batch_scheduler_stats(b->gpu_sched, &before);
        ss_batch_stats gs;
        double gb = batched_rtf(b->gpu_sched, N, &fm, &gs);
        failed |= gb < 0;
        printf("  %8zu %12.5f %12.5f %12.5f %16zu\n", N, ce, cb, gb, gs.launches - before.launches);
    } else {
        printf("  %8zu %12.5f %12.5f %12s %16s\n", N, ce, cb, "-", "-");
    }
    fflush(stdout);
    return failed;
}

/* The aggregate RTF table at 1, 8, 64 and 256 requests. 1 when any run
 * failed, else 0. */
static int rtf_table(const bench *b)
{
    printf("\naggregate real-time factor (wall / audio seconds; lower is faster):\n");
    printf("  %8s %12s %12s %12s %16s\n", "requests", "cpu-engine", "cpu-batched", "gpu-batched",
           "gpu launches");
    static const size_t Ns[] = {1, 8, 64, 256};
    int failed = 0;
    for (size_t k = 0; k < sizeof Ns / sizeof Ns[0]; k++)
        failed |= rtf_row(b, Ns[k]);
    return failed;
}

/* The GPU scheduler's memory and allocations, or why the GPU was not
 * measured. */
static void print_gpu_memory(const bench *b)
{
    if (b->gpu) {
        ss_batch_stats st;
        ss_batch_scheduler_stats(b->gpu_sched, &st);
        printf("\nGPU memory: %d lane(s), pools %.1f MiB of %.0f MiB, pinned %.1f MiB; device "
               "allocations: %zu in the warm-up, %zu during the measured runs\n",
               st.lanes, st.memory.device_bytes / 1048576.0, st.memory.device_limit / 1048576.0,
               st.memory.pinned_bytes / 1048576.0, b->warm.memory.device_allocs,
               st.memory.device_allocs - b->warm.memory.device_allocs);
    } else {
        printf("GPU: not measured (no device: %s)\n", b->why);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gpu_bench LABEL_DIR [WINDOW_MS]\n");
        return 2;
    }
    bench b = {.window = argc > 2 ? atof(argv[2]) : SS_BATCH_DEFAULT_WINDOW_MS};
    char *names[MAXUTT];
    if (load_voices() != 0 || list_label_names(argv[1], names) != 0 || read_label_files(argv[1], names) != 0)
        return 2;
    b.gpu = ss_kernels_cuda_usable(b.why, sizeof b.why) ? ss_kernel_ops_cuda() : NULL;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const size_t one = nfiles > 1 ? 1 : 0; /* sentence 02 */
    printf("gpu_bench: %zu label files, %ld CPU cores, batch window %.1f ms, GPU: %s\n", nfiles, cores,
           b.window, b.gpu ? b.why : "none");
    if (first_chunk_latency(&b, names[one], one) != 0)
        return 1;
    int failed = rtf_table(&b);
    print_gpu_memory(&b);
    ss_batch_scheduler_free(b.cpu_sched);
    ss_batch_scheduler_free(b.gpu_sched);
    for (size_t i = 0; i < nfiles; i++) {
        utt_labels_free(files[i].labels, files[i].n);
        free(names[i]);
    }
    ss_htsvoice_free(hts);
    ss_voice_free(voice);
    return failed ? 1 : 0;
}
