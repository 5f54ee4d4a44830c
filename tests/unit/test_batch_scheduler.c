/* Batch scheduler (kernels/batch_scheduler.c) on the CPU kernels: requests from
 * concurrent threads, batched into shared kernel calls, give results
 * IDENTICAL (bit for bit) to calling the kernels one request at a time, on
 * random inputs and on a real utterance of the voice; bad requests are
 * rejected before any launch with the CPU kernel's own message. */
#include "kernels/kernels_select.h"
#include "kernels/batch_scheduler.h"
#include "node/engine/frontend/frontend.h"
#include "tests/gpu/utterance_jobs.h"
#include "tests/unit/cpu_lane_ops.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

enum { NTHREADS = 8, NPHRASES = 3 };

static uint64_t rng_state;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static ss_mlpg_windows three_windows(void)
{
    ss_mlpg_windows w = {.nwin = 3};
    w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1, w.coef[1][0] = -0.5, w.coef[1][2] = 0.5;
    w.left[2] = -1, w.right[2] = 1, w.coef[2][0] = 1.0, w.coef[2][1] = -2.0, w.coef[2][2] = 1.0;
    return w;
}

/* ---------------------------------------------------------------- MLPG --- */

typedef struct {
    ss_batch_scheduler *sched;
    pthread_barrier_t *start;
    const ss_mlpg_windows *win;
    ss_mlpg_problem *probs;
    size_t nprobs;
    int rc;
    char err[256];
} mlpg_req;

static void *mlpg_thread(void *arg)
{
    mlpg_req *r = arg;
    if (r->start)
        pthread_barrier_wait(r->start);
    r->rc = ss_batch_mlpg(r->sched, r->win, r->probs, r->nprobs, r->err, sizeof r->err);
    return NULL;
}

typedef struct {
    double *mean, *ivar, *out_batched, *out_direct;
    unsigned char *sw;
    ss_mlpg_problem *probs;
    size_t n, total;
} random_mlpg;

static void random_mlpg_make(random_mlpg *m, size_t nprobs)
{
    m->n = nprobs;
    m->probs = calloc(nprobs, sizeof *m->probs);
    size_t len[64], total = 0;
    for (size_t k = 0; k < nprobs; k++) {
        len[k] = 1 + (size_t)(urand() * 300);
        total += len[k];
    }
    m->total = total;
    m->mean = malloc(total * 3 * sizeof(double));
    m->ivar = malloc(total * 3 * sizeof(double));
    m->sw = malloc(total);
    m->out_batched = malloc(total * sizeof(double));
    m->out_direct = malloc(total * sizeof(double));
    for (size_t i = 0; i < total * 3; i++) {
        m->mean[i] = urand() * 4 - 2;
        m->ivar[i] = urand() < 0.05 ? 0.0 : 0.1 + urand() * 10;
    }
    for (size_t i = 0; i < total; i++)
        m->sw[i] = urand() < 0.8;
    size_t off = 0;
    for (size_t k = 0; k < nprobs; k++) {
        bool gv = urand() < 0.6;
        m->probs[k] = (ss_mlpg_problem){.length = len[k], .mean = m->mean + off * 3,
                                        .ivar = m->ivar + off * 3, .gv_switch = gv ? m->sw + off : NULL,
                                        .gv_mean = 0.5 + urand(), .gv_vari = 1 + urand() * 100,
                                        .out = m->out_batched + off, .out_stride = 1};
        off += len[k];
    }
}

static void random_mlpg_free(random_mlpg *m)
{
    free(m->mean), free(m->ivar), free(m->sw), free(m->out_batched), free(m->out_direct), free(m->probs);
}

Test(batch_scheduler, random_mlpg_batched_equals_one_at_a_time)
{
    rng_state = 12345;
    char err[256];
    ss_batch_options opt = {.window_ms = 50.0, .max_jobs = 100000, .lanes = 1};
    ss_batch_scheduler *s = ss_batch_scheduler_new(ss_kernel_ops_cpu(), &opt, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    ss_mlpg_windows w = three_windows();
    random_mlpg m[NTHREADS];
    mlpg_req req[NTHREADS];
    pthread_t th[NTHREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        random_mlpg_make(&m[i], 1 + (size_t)(urand() * 40));
        req[i] = (mlpg_req){.sched = s, .start = &start, .win = &w, .probs = m[i].probs, .nprobs = m[i].n};
        pthread_create(&th[i], NULL, mlpg_thread, &req[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(req[i].rc, 0, "%s", req[i].err);
    }
    ss_batch_stats st;
    ss_batch_scheduler_stats(s, &st);
    cr_assert_eq(st.requests, NTHREADS);
    cr_assert_lt(st.launches, (size_t)NTHREADS, "no batching happened (%zu launches)", st.launches);
    cr_assert_gt(st.largest, 1);
    /* one at a time, directly on the CPU kernel */
    for (int i = 0; i < NTHREADS; i++) {
        size_t maxT = 0;
        for (size_t k = 0; k < m[i].n; k++) {
            m[i].probs[k].out = m[i].out_direct + (m[i].probs[k].out - m[i].out_batched);
            maxT = m[i].probs[k].length > maxT ? m[i].probs[k].length : maxT;
        }
        size_t wl = ss_kern_mlpg_workspace(maxT);
        double *work = malloc(wl * sizeof(double));
        cr_assert_eq(ss_kern_mlpg(&w, m[i].probs, m[i].n, work, wl, err, sizeof err), 0, "%s", err);
        free(work);
        cr_assert_eq(memcmp(m[i].out_direct, m[i].out_batched, m[i].total * sizeof(double)), 0,
                     "request %d: batched result differs", i);
        random_mlpg_free(&m[i]);
    }
    pthread_barrier_destroy(&start);
    ss_batch_scheduler_free(s);
}

/* ----------------------------------------------------------- vocoder --- */

/* One request: a stream of phrases, excitation then MLSA per phrase, with
 * the states carried from phrase to phrase (as the engine streams). */
typedef struct {
    ss_batch_scheduler *sched; /* NULL: direct CPU calls */
    pthread_barrier_t *start;
    size_t nframes, fp;
    int order;
    double alpha;
    const double *period, *mcep;
    double *out;               /* [nframes * fp] */
    int rc;
    char err[256];
} vocode_req;

static void *vocode_thread(void *arg)
{
    vocode_req *r = arg;
    ss_excitation_state ex;
    ss_mlsa_state ml;
    ss_excitation_state_init(&ex);
    r->rc = ss_mlsa_state_init(&ml, r->order, r->alpha, r->err, sizeof r->err);
    if (r->start)
        pthread_barrier_wait(r->start);
    size_t f0 = 0;
    for (int p = 0; p < NPHRASES && r->rc == 0; p++) {
        size_t f1 = p == NPHRASES - 1 ? r->nframes : r->nframes * (size_t)(p + 1) / NPHRASES;
        ss_excitation_job ej = {.state = &ex, .period = r->period + f0, .nframes = f1 - f0,
                                .frame_period = r->fp, .out = r->out + f0 * r->fp};
        ss_mlsa_job mj = {.state = &ml, .mcep = r->mcep + f0 * (size_t)(r->order + 1),
                          .nframes = f1 - f0, .frame_period = r->fp,
                          .excitation = r->out + f0 * r->fp, .out = r->out + f0 * r->fp};
        if (r->sched) {
            r->rc = ss_batch_excitation(r->sched, &ej, 1, r->err, sizeof r->err);
            if (r->rc == 0)
                r->rc = ss_batch_mlsa(r->sched, &mj, 1, r->err, sizeof r->err);
        } else {
            r->rc = ss_kern_excitation(&ej, 1, r->err, sizeof r->err);
            if (r->rc == 0)
                r->rc = ss_kern_mlsa(&mj, 1, r->err, sizeof r->err);
        }
        f0 = f1;
    }
    return NULL;
}

/* Runs the requests batched (threads, barrier) through a scheduler of
 * `lanes` dispatchers on ops, and one at a time; checks identity. */
static void check_vocode(vocode_req *req, int n, const ss_kernel_ops *ops, int lanes,
                         ss_batch_stats *st_out)
{
    char err[256];
    ss_batch_options o = {.window_ms = 20.0, .max_jobs = 100000, .lanes = lanes,
                          .lane_memory_limit = 2u << 20};
    ss_batch_scheduler *s = ss_batch_scheduler_new(ops, &o, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    pthread_t th[NTHREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    double *batched[NTHREADS];
    for (int i = 0; i < n; i++) {
        batched[i] = malloc(req[i].nframes * req[i].fp * sizeof(double));
        req[i].out = batched[i];
        req[i].sched = s;
        req[i].start = &start;
        pthread_create(&th[i], NULL, vocode_thread, &req[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(req[i].rc, 0, "%s", req[i].err);
    }
    ss_batch_stats st;
    ss_batch_scheduler_stats(s, &st);
    cr_assert_eq(st.requests, (size_t)n * NPHRASES * 2);
    cr_assert_lt(st.launches, st.requests, "no batching happened");
    if (st_out)
        *st_out = st;
    ss_batch_scheduler_free(s);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < n; i++) {
        size_t ns = req[i].nframes * req[i].fp;
        double *direct = malloc(ns * sizeof(double));
        req[i].out = direct;
        req[i].sched = NULL;
        req[i].start = NULL;
        vocode_thread(&req[i]);
        cr_assert_eq(req[i].rc, 0, "%s", req[i].err);
        cr_assert_eq(memcmp(direct, batched[i], ns * sizeof(double)), 0, "request %d differs", i);
        free(direct);
        free(batched[i]);
    }
}

Test(batch_scheduler, random_vocoder_batched_equals_one_at_a_time)
{
    rng_state = 777;
    vocode_req req[NTHREADS];
    double *per[NTHREADS], *mc[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        size_t nf = 20 + (size_t)(urand() * 60);
        int order = 24 + (int)(urand() * 16);
        per[i] = malloc(nf * sizeof(double));
        mc[i] = malloc(nf * (size_t)(order + 1) * sizeof(double));
        for (size_t f = 0; f < nf; f++)
            per[i][f] = urand() < 0.3 ? 0.0 : 80 + urand() * 200;
        for (size_t c = 0; c < nf * (size_t)(order + 1); c++)
            mc[i][c] = (urand() - 0.5) * (c % (size_t)(order + 1) == 0 ? 4.0 : 0.4);
        req[i] = (vocode_req){.nframes = nf, .fp = 160, .order = order, .alpha = 0.42,
                              .period = per[i], .mcep = mc[i]};
    }
    check_vocode(req, NTHREADS, ss_kernel_ops_cpu(), 1, NULL);
    for (int i = 0; i < NTHREADS; i++)
        free(per[i]), free(mc[i]);
}

Test(batch_scheduler, several_lanes_each_used_by_its_own_dispatcher_only)
{
    rng_state = 4242;
    vocode_req req[NTHREADS];
    double *per[NTHREADS], *mc[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        size_t nf = 20 + (size_t)(urand() * 60);
        per[i] = malloc(nf * sizeof(double));
        mc[i] = malloc(nf * 25 * sizeof(double));
        for (size_t f = 0; f < nf; f++)
            per[i][f] = urand() < 0.3 ? 0.0 : 80 + urand() * 200;
        for (size_t c = 0; c < nf * 25; c++)
            mc[i][c] = (urand() - 0.5) * (c % 25 == 0 ? 4.0 : 0.4);
        req[i] = (vocode_req){.nframes = nf, .fp = 160, .order = 24, .alpha = 0.42,
                              .period = per[i], .mcep = mc[i]};
    }
    ss_batch_stats st;
    check_vocode(req, NTHREADS, &cpu_lane_ops, 4, &st);
    cr_assert_eq(st.lanes, 4);
    cr_assert_eq(st.memory.calls, st.launches, "every kernel call ran on a lane");
    cr_assert_eq(st.memory.splits, 0, "a lane was used by a thread other than its dispatcher");
    cr_assert_eq(st.memory.device_limit, (size_t)4 * (2u << 20), "bounds summed over the lanes");
    cr_assert_leq(st.memory.device_bytes, st.memory.device_limit);
    for (int i = 0; i < NTHREADS; i++)
        free(per[i]), free(mc[i]);
}

Test(batch_scheduler, options_are_checked)
{
    char err[256];
    ss_batch_options o = ss_batch_default_options();
    o.lanes = 0;
    cr_assert_null(ss_batch_scheduler_new(ss_kernel_ops_cpu(), &o, err, sizeof err));
    cr_assert(strstr(err, "lanes"), "%s", err);
    o.lanes = SS_BATCH_MAX_LANES + 1;
    cr_assert_null(ss_batch_scheduler_new(ss_kernel_ops_cpu(), &o, err, sizeof err));
    o = ss_batch_default_options();
    o.window_ms = -1;
    cr_assert_null(ss_batch_scheduler_new(ss_kernel_ops_cpu(), &o, err, sizeof err));
    ss_kernel_ops half = cpu_lane_ops;
    half.lane_mlsa = NULL;
    o = ss_batch_default_options();
    cr_assert_null(ss_batch_scheduler_new(&half, &o, err, sizeof err));
    cr_assert(strstr(err, "incomplete"), "%s", err);
}

/* ------------------------------------------------------ real utterance --- */

/* Solves m's MLPG problems (if any) with the CPU kernel, no scheduler. */
static void mlpg_solve_direct(utt_mlpg *m)
{
    char err[512];
    if (!m->T)
        return;
    size_t wl = ss_kern_mlpg_workspace(m->T);
    double *work = malloc(wl * sizeof(double));
    cr_assert_not_null(work);
    cr_assert_eq(ss_kern_mlpg(m->win, m->probs, m->vlen, work, wl, err, sizeof err), 0, "%s", err);
    free(work);
}

/* MLPG of stream st: NTHREADS concurrent copies through the scheduler s,
 * each equal to the stream solved directly. */
static void check_mlpg_stream(const ss_htsvoice *v, const ss_acoustic_seq *seq, int st, ss_batch_scheduler *s)
{
    char err[512];
    utt_mlpg m[NTHREADS];
    mlpg_req req[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        cr_assert_eq(utt_mlpg_build(v, seq, st, &m[i], err, sizeof err), 0, "%s", err);
        req[i] = (mlpg_req){.sched = s, .win = m[i].win, .probs = m[i].probs, .nprobs = m[i].vlen};
        if (m[i].T == 0)
            req[i].nprobs = 0;
        pthread_create(&th[i], NULL, mlpg_thread, &req[i]);
    }
    utt_mlpg ref;
    cr_assert_eq(utt_mlpg_build(v, seq, st, &ref, err, sizeof err), 0, "%s", err);
    mlpg_solve_direct(&ref);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(req[i].rc, 0, "%s", req[i].err);
        cr_assert_eq(memcmp(m[i].out, ref.out, ref.T * ref.vlen * sizeof(double)), 0,
                     "stream %d copy %d differs", st, i);
        utt_mlpg_free(&m[i]);
    }
    utt_mlpg_free(&ref);
}

/* MLPG: every stream, NTHREADS concurrent copies of the utterance. */
static void check_mlpg_streams(const ss_htsvoice *v, const ss_acoustic_seq *seq)
{
    char err[512];
    ss_batch_options opt = {.window_ms = 20.0, .max_jobs = 100000, .lanes = 1};
    ss_batch_scheduler *s = ss_batch_scheduler_new(ss_kernel_ops_cpu(), &opt, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    for (int st = 0; st < seq->nstreams; st++)
        check_mlpg_stream(v, seq, st, s);
    ss_batch_scheduler_free(s);
}

/* The problem builder reproduces the engine's parameter generation:
 * solved on the CPU, the vocoder inputs equal ss_param_generate's (vi). */
static void check_problem_builder(const ss_htsvoice *v, const ss_acoustic_seq *seq, const utt_vocoder_input *vi)
{
    char err[512];
    utt_mlpg all[SS_VOICE_MAX_STREAMS];
    memset(all, 0, sizeof all);
    for (int st = 0; st < seq->nstreams; st++) {
        cr_assert_eq(utt_mlpg_build(v, seq, st, &all[st], err, sizeof err), 0, "%s", err);
        mlpg_solve_direct(&all[st]);
    }
    utt_vocoder_input vb;
    cr_assert_eq(utt_vocoder_from_mlpg(v, seq, all, &vb, err, sizeof err), 0, "%s", err);
    cr_assert_eq(vb.nframes, vi->nframes);
    cr_assert_eq(vb.order, vi->order);
    cr_assert_eq(memcmp(vb.mcep, vi->mcep, vi->nframes * (size_t)(vi->order + 1) * sizeof(double)), 0);
    cr_assert_eq(memcmp(vb.period, vi->period, vi->nframes * sizeof(double)), 0);
    utt_vocoder_input_free(&vb);
    for (int st = 0; st < SS_VOICE_MAX_STREAMS; st++)
        utt_mlpg_free(&all[st]);
}

/* Vocoder: the utterance's phrases from NTHREADS concurrent requests. */
static void check_utterance_vocoder(const utt_vocoder_input *vi)
{
    vocode_req vr[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        vr[i] = (vocode_req){.nframes = vi->nframes, .fp = vi->frame_period, .order = vi->order,
                             .alpha = vi->alpha, .period = vi->period, .mcep = vi->mcep};
    check_vocode(vr, NTHREADS, ss_kernel_ops_cpu(), 1, NULL);
}

Test(batch_scheduler, real_utterance_batched_equals_one_at_a_time)
{
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(UTT_VOICE, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
    const char *text = "The quick brown fox jumps over the lazy dog, then rests.";
    ss_utterance *u = NULL;
    cr_assert_eq(ss_frontend_analyze(fe, text, strlen(text), NULL, &u, err, sizeof err), 0, "%s", err);
    cr_assert_gt(u->n_sentences, 0);
    const ss_sentence *se = &u->sentences[0];
    ss_acoustic_seq seq;
    utt_vocoder_input vi;
    cr_assert_eq(utt_prepare(v, (const char *const *)se->labels, se->n_phones, &seq, &vi, err, sizeof err),
                 0, "%s", err);
    check_mlpg_streams(v, &seq);
    check_problem_builder(v, &seq, &vi);
    check_utterance_vocoder(&vi);
    utt_vocoder_input_free(&vi);
    ss_acoustic_seq_free(&seq);
    ss_utterance_free(u);
    ss_frontend_free(fe);
    ss_htsvoice_free(v);
}

/* -------------------------------------------------------- bad requests --- */

/* The scheduler's answer and the CPU kernel's answer for the same call. */
static void same_error(int rc_batch, const char *err_batch, int rc_cpu, const char *err_cpu)
{
    cr_assert_eq(rc_batch, -1, "batched call accepted bad input");
    cr_assert_eq(rc_cpu, -1, "CPU kernel accepted the input (test case is wrong)");
    cr_assert_str_eq(err_batch, err_cpu);
}

Test(batch_scheduler, bad_requests_rejected_with_cpu_errors_before_launch)
{
    char eb[256], ec[256];
    ss_batch_options opt = {.window_ms = 2.0, .max_jobs = 100, .lanes = 1};
    ss_batch_scheduler *s = ss_batch_scheduler_new(ss_kernel_ops_cpu(), &opt, eb, sizeof eb);
    cr_assert_not_null(s, "%s", eb);
    double work[4096];

    ss_mlpg_windows w = three_windows();
    double mean[30] = {0}, ivar[30], out[10];
    for (int i = 0; i < 30; i++)
        ivar[i] = 1.0;
    ss_mlpg_problem good = {.length = 10, .mean = mean, .ivar = ivar, .out = out, .out_stride = 1};
    ss_mlpg_problem probs[2] = {good, good};
    probs[1].length = 0;
    same_error(ss_batch_mlpg(s, &w, probs, 2, eb, sizeof eb), eb,
               ss_kern_mlpg(&w, probs, 2, work, 4096, ec, sizeof ec), ec);
    probs[1] = good;
    probs[1].ivar = NULL;
    same_error(ss_batch_mlpg(s, &w, probs, 2, eb, sizeof eb), eb,
               ss_kern_mlpg(&w, probs, 2, work, 4096, ec, sizeof ec), ec);
    ss_mlpg_windows bad = w;
    bad.left[2] = -2;
    same_error(ss_batch_mlpg(s, &bad, &good, 1, eb, sizeof eb), eb,
               ss_kern_mlpg(&bad, &good, 1, work, 4096, ec, sizeof ec), ec);
    bad = w;
    bad.nwin = 0;
    same_error(ss_batch_mlpg(s, &bad, &good, 1, eb, sizeof eb), eb,
               ss_kern_mlpg(&bad, &good, 1, work, 4096, ec, sizeof ec), ec);

    double per[4] = {100, 100, -3, 100}, exo[4 * 80];
    ss_excitation_state xs1, xs2;
    ss_excitation_state_init(&xs1);
    ss_excitation_state_init(&xs2);
    ss_excitation_job ej = {.state = &xs1, .period = per, .nframes = 4, .frame_period = 80, .out = exo};
    ss_excitation_job ej2 = ej;
    ej2.state = &xs2;
    same_error(ss_batch_excitation(s, &ej, 1, eb, sizeof eb), eb, ss_kern_excitation(&ej2, 1, ec, sizeof ec), ec);
    per[2] = NAN;
    same_error(ss_batch_excitation(s, &ej, 1, eb, sizeof eb), eb, ss_kern_excitation(&ej2, 1, ec, sizeof ec), ec);
    per[2] = 100;
    ej.frame_period = ej2.frame_period = 0;
    same_error(ss_batch_excitation(s, &ej, 1, eb, sizeof eb), eb, ss_kern_excitation(&ej2, 1, ec, sizeof ec), ec);

    ss_mlsa_state ms;
    cr_assert_eq(ss_mlsa_state_init(&ms, 24, 0.42, eb, sizeof eb), 0);
    double mc[4 * 25] = {0};
    ss_mlsa_job mj[2] = {{.state = &ms, .mcep = mc, .nframes = 4, .frame_period = 80, .excitation = exo, .out = exo},
                         {.state = &ms, .mcep = NULL, .nframes = 4, .frame_period = 80, .excitation = exo, .out = exo}};
    ss_mlsa_state ms_copy = ms;
    same_error(ss_batch_mlsa(s, mj, 2, eb, sizeof eb), eb, ss_kern_mlsa(mj, 2, ec, sizeof ec), ec);
    ms = ms_copy;
    ms.order = 99;
    same_error(ss_batch_mlsa(s, mj, 1, eb, sizeof eb), eb, ss_kern_mlsa(mj, 1, ec, sizeof ec), ec);

    ss_batch_stats st;
    ss_batch_scheduler_stats(s, &st);
    cr_assert_eq(st.launches, 0, "a bad request reached a launch");
    ss_batch_scheduler_free(s);
}
