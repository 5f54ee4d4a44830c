/* Unit tests for kernels/kernel_route, the engine on the selected kernels: a
 * synthesis whose kernel work goes through a batch scheduler on the CPU
 * kernels, with several syntheses running at once on different threads (so
 * their MLPG, excitation and MLSA jobs share kernel calls), gives samples
 * identical (memcmp) to the same synthesis calling the CPU kernels directly;
 * and the options' kernel table is the one that runs (a counting table that
 * forwards to the CPU kernels sees every kernel call). */
#include "kernels/batch_scheduler.h"
#include "kernels/kernels_select.h"
#include "node/engine/engine.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

#include "tests/unit/hello_labels.h"
#define NTHREADS 6

/* Each thread synthesizes a different variant, so the batched jobs differ
 * in length, pitch and rate (a mix-up between callers would show). */
static void variant(int i, ss_synth_options *o)
{
    static const double speed[NTHREADS] = {1.0, 1.3, 0.8, 1.0, 1.1, 1.0};
    static const double pitch[NTHREADS] = {0.0, 0.0, 2.0, -3.0, 0.0, 1.5};
    static const int rate[NTHREADS] = {32000, 32000, 16000, 32000, 22050, 48000};
    ss_synth_options_init(o);
    o->stream = 1;
    o->speed = speed[i];
    o->pitch = pitch[i];
    o->sample_rate = rate[i];
}

typedef struct {
    const ss_voice *v;
    int index;
    ss_batch_scheduler *sched;
    pthread_barrier_t *start;
    ss_synth_result r;
    int rc;
    char err[256];
} job;

static void *worker(void *arg)
{
    job *j = arg;
    ss_synth_options o;
    variant(j->index, &o);
    o.scheduler = j->sched;
    pthread_barrier_wait(j->start);
    j->rc = ss_synthesize(j->v, LABELS, NLAB, &o, NULL, NULL, &j->r, j->err, sizeof j->err);
    return NULL;
}

Test(kernel_route, scheduler_on_cpu_kernels_threads_equal_direct)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_result direct[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ss_synth_options o;
        variant(i, &o);
        cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &direct[i], err, sizeof err), 0,
                     "%s", err);
        cr_assert_gt(direct[i].nsamples, 0);
    }
    /* a long window, so the threads' requests surely meet in one batch */
    ss_batch_options opt = {.window_ms = 30.0, .max_jobs = 100000, .lanes = 1};
    ss_batch_scheduler *s = ss_batch_scheduler_new(ss_kernel_ops_cpu(), &opt, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    job jobs[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i] = (job){.v = v, .index = i, .sched = s, .start = &start};
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    ss_batch_stats st;
    ss_batch_scheduler_stats(s, &st);
    for (int i = 0; i < NTHREADS; i++) {
        cr_assert_eq(jobs[i].rc, 0, "thread %d: %s", i, jobs[i].err);
        cr_assert_eq(jobs[i].r.nsamples, direct[i].nsamples, "thread %d: %zu vs %zu samples", i,
                     jobs[i].r.nsamples, direct[i].nsamples);
        cr_assert_eq(jobs[i].r.nchunks, 2);
        cr_assert_eq(memcmp(jobs[i].r.samples, direct[i].samples, direct[i].nsamples * sizeof(float)), 0,
                     "thread %d: samples differ from the direct synthesis", i);
        ss_synth_result_free(&jobs[i].r);
        ss_synth_result_free(&direct[i]);
    }
    /* per synthesis: MLPG of the spectrum and of F0, then excitation and
     * MLSA for each of the two phrases = 6 requests */
    cr_assert_eq(st.requests, (size_t)NTHREADS * 6, "requests %zu", st.requests);
    cr_assert_lt(st.launches, st.requests, "nothing was batched: %zu launches", st.launches);
    cr_assert_geq(st.largest, 2, "no kernel call served two syntheses");
    pthread_barrier_destroy(&start);
    ss_batch_scheduler_free(s);
    ss_voice_free(v);
}

/* A kernel table that counts its calls and forwards to the CPU kernels
 * (test-only state: these counters, reset by the test). */
static atomic_int calls_mlpg, calls_excitation, calls_mlsa;

static int counting_mlpg(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                         double *work, size_t work_len, char *err, size_t errlen)
{
    atomic_fetch_add(&calls_mlpg, 1);
    return ss_kernel_ops_cpu()->mlpg(win, probs, nprobs, work, work_len, err, errlen);
}

static int counting_excitation(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen)
{
    atomic_fetch_add(&calls_excitation, 1);
    return ss_kernel_ops_cpu()->excitation(jobs, njobs, err, errlen);
}

static int counting_mlsa(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    atomic_fetch_add(&calls_mlsa, 1);
    return ss_kernel_ops_cpu()->mlsa(jobs, njobs, err, errlen);
}

static const ss_kernel_ops counting_ops = {.name = "counting-cpu",
                                           .mlpg = counting_mlpg,
                                           .excitation = counting_excitation,
                                           .mlsa = counting_mlsa};

Test(kernel_route, options_kernel_table_is_the_one_that_runs)
{
    char err[256];
    ss_voice *v = ss_voice_load(VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_synth_options o;
    ss_synth_result plain, cpu_table, counted;
    ss_synth_options_init(&o);
    o.stream = 1;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &plain, err, sizeof err), 0, "%s", err);
    o.kernels = ss_kernel_ops_cpu();
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &cpu_table, err, sizeof err), 0, "%s", err);
    atomic_store(&calls_mlpg, 0);
    atomic_store(&calls_excitation, 0);
    atomic_store(&calls_mlsa, 0);
    o.kernels = &counting_ops;
    cr_assert_eq(ss_synthesize(v, LABELS, NLAB, &o, NULL, NULL, &counted, err, sizeof err), 0, "%s", err);
    /* not the CPU table: each stream's dimensions go in one call */
    cr_assert_eq(atomic_load(&calls_mlpg), 2, "MLPG calls %d", atomic_load(&calls_mlpg));
    cr_assert_eq(atomic_load(&calls_excitation), 2, "one excitation call per phrase");
    cr_assert_eq(atomic_load(&calls_mlsa), 2, "one MLSA call per phrase");
    cr_assert_eq(cpu_table.nsamples, plain.nsamples);
    cr_assert_eq(counted.nsamples, plain.nsamples);
    cr_assert_eq(memcmp(cpu_table.samples, plain.samples, plain.nsamples * sizeof(float)), 0);
    cr_assert_eq(memcmp(counted.samples, plain.samples, plain.nsamples * sizeof(float)), 0);
    ss_synth_result_free(&plain);
    ss_synth_result_free(&cpu_table);
    ss_synth_result_free(&counted);
    ss_voice_free(v);
}
