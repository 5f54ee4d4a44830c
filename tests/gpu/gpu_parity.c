/* CPU vs CUDA kernel parity (make test-gpu; see docs/PERFORMANCE.md).
 *
 *   gpu_parity [--one] [LABEL_DIR]
 *   gpu_parity --probe      (only says whether there is a device)
 *   gpu_parity --harness-on-cpu [LABEL_DIR]   (CPU kernels in place of
 *                           CUDA: tests this program where no GPU exists)
 *
 * Without a CUDA device (or in a build without CUDA) prints
 * "no CUDA device: skipped (<reason>)" and exits 0. With one:
 *   1. random inputs (fresh each run, seed printed): MLPG+GV problems of
 *      random lengths/precisions/GV settings, excitation over random voiced
 *      and unvoiced periods, MLSA over random stable mel-cepstra; plus a
 *      stream whose state moves CPU -> CUDA -> CPU between chunks;
 *   2. every LABEL_DIR/NN.lab (festival labels of eval/sentences.txt):
 *      MLPG of every stream, then excitation + MLSA in 3 phrases carrying
 *      the states, CPU vs CUDA; then all utterances in ONE CUDA call per
 *      kind (the batched path) against the same CPU results.
 * Outputs are poisoned with NaN before each CUDA call, so an element the
 * kernel did not write fails the check. --one: only the first utterance
 * (for compute-sanitizer). Exit 1 when a tolerance is exceeded.
 *
 * Tolerances (both sides compute in double precision; the CUDA code follows
 * the CPU code's operation order; nvcc contracts a*b+c into fused
 * multiply-adds and the device exp/log are within 1-2 ulp, so each
 * operation may differ by ~1 ulp = 1.1e-16 relative):
 *   MLPG   max|gpu-cpu| <= 1e-8 * max(1, max|cpu|) per problem: a band
 *          LDL' solve loses about cond(W'UW) * eps; with the voice's
 *          precisions cond stays below ~1e6, and GV's five gradient steps
 *          are contractions, so ~1e-10 is expected; 1e-8 leaves 100x.
 *   excitation max|gpu-cpu| <= 1e-12 * max(1, |cpu|): pulse positions are
 *          integer-like decisions on sums that involve no multiply-add and
 *          IEEE division/sqrt (exact on both), so voiced samples are
 *          bit-equal; noise passes through log (<= 1 ulp) and sqrt: ~1e-15.
 *   waveform ||gpu-cpu||2 / ||cpu||2 <= 1e-9 and s16 samples within 1 LSB:
 *          the MLSA filter is a stable recursion, so per-sample rounding
 *          differences (~1e-16) stay bounded rather than growing; the CPU
 *          kernel's own AVX2-FMA vs SSE2 builds differ the same way. 1 LSB
 *          allows a rounding flip at a .5 boundary when converting. */
#include "kernels/batch_scheduler.h"
#include "kernels/kernels_select.h"
#include "tests/gpu/utterance_jobs.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#ifdef SS_PARITY_EMULATED
/* tests/gpu/emulate_on_cpu.sh: the .cu files compiled for the host */
#include "kernels/cuda/cuda_kernels.h"
static const ss_kernel_ops emulated_ops = {.name = "cuda-host-emulation",
                                           .mlpg = ss_cuda_mlpg,
                                           .excitation = ss_cuda_excitation,
                                           .mlsa = ss_cuda_mlsa,
                                           .lane_new = ss_cuda_lane_new,
                                           .lane_free = ss_cuda_lane_free,
                                           .lane_usage = ss_cuda_lane_usage,
                                           .lane_mlpg = ss_cuda_lane_mlpg,
                                           .lane_excitation = ss_cuda_lane_excitation,
                                           .lane_mlsa = ss_cuda_lane_mlsa};
#endif

#define TOL_MLPG 1e-8
#define TOL_EXCITATION 1e-12
#define TOL_WAVE_REL 1e-9
#define TOL_S16_LSB 1
#define NPHRASES 3

static uint64_t rng;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int failures;

static void report(const char *what, double measured, double limit)
{
    int ok = measured <= limit; /* NaN fails */
    if (!ok)
        failures++;
    printf("  %-44s %12.3e  (limit %.0e)  %s\n", what, measured, limit, ok ? "ok" : "FAIL");
}

static void poison(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

/* max |a-b| / max(1, max|a|) over n values at stride. NaN when b has NaN. */
static double rel_maxabs(const double *a, const double *b, size_t n, size_t stride)
{
    double d = 0, m = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(a[i * stride] - b[i * stride]);
        if (isnan(b[i * stride]) && !isnan(a[i * stride]))
            return NAN;
        if (e > d)
            d = e;
        if (fabs(a[i * stride]) > m)
            m = fabs(a[i * stride]);
    }
    return d / m;
}

static double rel_l2(const double *ref, const double *x, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            return NAN;
        num += (x[i] - ref[i]) * (x[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static double s16_maxdiff(const double *ref, const double *x, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            return NAN;
        long a = lround(fmax(-32768, fmin(32767, ref[i]))), b = lround(fmax(-32768, fmin(32767, x[i])));
        if (labs(a - b) > d)
            d = (double)labs(a - b);
    }
    return d;
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "gpu_parity: %s: %s\n", what, err);
    return 2;
}

/* ops->mlpg with a workspace (the CUDA kernels ignore it; the CPU kernels
 * standing in under --harness-on-cpu need it). */
static int mlpg_call(const ss_kernel_ops *ops, const ss_mlpg_windows *w, const ss_mlpg_problem *p,
                     size_t n, char *err, size_t errlen)
{
    size_t maxT = 0;
    for (size_t k = 0; k < n; k++)
        maxT = p[k].length > maxT ? p[k].length : maxT;
    size_t wl = ss_kern_mlpg_workspace(maxT);
    double *work = malloc((wl ? wl : 1) * sizeof(double));
    if (!work) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = ops->mlpg(w, p, n, work, wl, err, errlen);
    free(work);
    return rc;
}

/* ------------------------------------------------------------- random --- */

static int random_mlpg(const ss_kernel_ops *gpu)
{
    enum { N = 700 };
    ss_mlpg_windows w = {.nwin = 3};
    w.coef[0][1] = 1.0;
    w.left[1] = -1, w.right[1] = 1, w.coef[1][0] = -0.5, w.coef[1][2] = 0.5;
    w.left[2] = -1, w.right[2] = 1, w.coef[2][0] = 1.0, w.coef[2][1] = -2.0, w.coef[2][2] = 1.0;
    static ss_mlpg_problem pc[N], pg[N];
    size_t total = 0, len[N], maxT = 0;
    for (int k = 0; k < N; k++) {
        len[k] = 1 + (size_t)(urand() * 800);
        total += len[k];
        maxT = len[k] > maxT ? len[k] : maxT;
    }
    double *mean = malloc(total * 3 * sizeof(double)), *ivar = malloc(total * 3 * sizeof(double));
    double *oc = malloc(total * sizeof(double)), *og = malloc(total * sizeof(double));
    unsigned char *sw = malloc(total);
    size_t wl = ss_kern_mlpg_workspace(maxT);
    double *work = malloc(wl * sizeof(double));
    if (!mean || !ivar || !oc || !og || !sw || !work)
        return die("random mlpg", "out of memory");
    for (size_t i = 0; i < total; i++) {
        for (int j = 0; j < 3; j++) {
            mean[i * 3 + j] = (urand() - 0.5) * (j ? 0.2 : 6.0);
            ivar[i * 3 + j] = j && urand() < 0.05 ? 0.0 : exp(urand() * 9.0 - 2.0); /* 0.14..3000 */
        }
        sw[i] = urand() < 0.85;
    }
    size_t off = 0;
    for (int k = 0; k < N; k++) {
        int gv = urand() < 0.6;
        pc[k] = (ss_mlpg_problem){.length = len[k], .mean = mean + off * 3, .ivar = ivar + off * 3,
                                  .gv_switch = gv ? sw + off : NULL, .gv_mean = 0.05 + urand(),
                                  .gv_vari = 1 + urand() * 1000, .out = oc + off, .out_stride = 1};
        pg[k] = pc[k];
        pg[k].out = og + off;
        off += len[k];
    }
    char err[256];
    if (ss_kern_mlpg(&w, pc, N, work, wl, err, sizeof err) != 0)
        return die("cpu mlpg", err);
    poison(og, total);
    if (mlpg_call(gpu, &w, pg, N, err, sizeof err) != 0)
        return die("cuda mlpg", err);
    double worst = 0;
    for (int k = 0; k < N; k++) {
        double e = rel_maxabs(pc[k].out, pg[k].out, len[k], 1);
        if (!(e <= worst))
            worst = e;
    }
    report("random MLPG+GV, 700 problems", worst, TOL_MLPG);
    free(mean), free(ivar), free(oc), free(og), free(sw), free(work);
    return 0;
}

/* Random vocoder streams; `mixed` runs chunk 2 on the CPU (state moves). */
static int random_vocoder(const ss_kernel_ops *gpu)
{
    enum { NS = 300, FP = 160 };
    char err[256];
    double worst_ex = 0, worst_wave = 0, worst_s16 = 0, worst_mixed = 0;
    for (int s = 0; s < NS; s++) {
        size_t nf = 10 + (size_t)(urand() * 120);
        int order = 24 + (int)(urand() * 36);
        double alpha = 0.3 + urand() * 0.25;
        double *per = malloc(nf * sizeof(double));
        double *mc = malloc(nf * (size_t)(order + 1) * sizeof(double));
        double *xc = malloc(nf * FP * sizeof(double)), *xg = malloc(nf * FP * sizeof(double));
        double *xm = malloc(nf * FP * sizeof(double));
        if (!per || !mc || !xc || !xg || !xm)
            return die("random vocoder", "out of memory");
        for (size_t f = 0; f < nf; f++)
            per[f] = urand() < 0.3 ? 0.0 : 40 + urand() * 300;
        for (size_t f = 0; f < nf; f++)
            for (int i = 0; i <= order; i++)
                mc[f * (size_t)(order + 1) + (size_t)i] =
                    i == 0 ? 2.0 + urand() * 4.0 : (urand() - 0.5) * 0.6 / (1 + i);
        ss_excitation_state ec, eg, em;
        ss_mlsa_state mcs, mgs, mms;
        ss_excitation_state_init(&ec);
        ss_excitation_state_init(&eg);
        ss_excitation_state_init(&em);
        if (ss_mlsa_state_init(&mcs, order, alpha, err, sizeof err) != 0)
            return die("mlsa init", err);
        mgs = mcs;
        mms = mcs;
        size_t half = nf / 2;
        for (int part = 0; part < 2; part++) {
            size_t f0 = part ? half : 0, f1 = part ? nf : half;
            ss_excitation_job jc = {&ec, per + f0, f1 - f0, FP, xc + f0 * FP};
            ss_excitation_job jg = {&eg, per + f0, f1 - f0, FP, xg + f0 * FP};
            ss_excitation_job jm = {&em, per + f0, f1 - f0, FP, xm + f0 * FP};
            poison(xg + f0 * FP, (f1 - f0) * FP);
            if (ss_kern_excitation(&jc, 1, err, sizeof err) != 0 || gpu->excitation(&jg, 1, err, sizeof err) != 0 ||
                (part ? ss_kern_excitation(&jm, 1, err, sizeof err) : gpu->excitation(&jm, 1, err, sizeof err)) != 0)
                return die("excitation", err);
            double ee = rel_maxabs(xc + f0 * FP, xg + f0 * FP, (f1 - f0) * FP, 1); /* before MLSA */
            if (!(ee <= worst_ex))
                worst_ex = ee;
            const double *mcf = mc + f0 * (size_t)(order + 1);
            ss_mlsa_job mjc = {.state = &mcs, .mcep = mcf, .nframes = f1 - f0, .frame_period = FP,
                               .excitation = xc + f0 * FP, .out = xc + f0 * FP};
            ss_mlsa_job mjg = {.state = &mgs, .mcep = mcf, .nframes = f1 - f0, .frame_period = FP,
                               .excitation = xg + f0 * FP, .out = xg + f0 * FP};
            ss_mlsa_job mjm = {.state = &mms, .mcep = mcf, .nframes = f1 - f0, .frame_period = FP,
                               .excitation = xm + f0 * FP, .out = xm + f0 * FP};
            if (ss_kern_mlsa(&mjc, 1, err, sizeof err) != 0 || gpu->mlsa(&mjg, 1, err, sizeof err) != 0 ||
                (part ? ss_kern_mlsa(&mjm, 1, err, sizeof err) : gpu->mlsa(&mjm, 1, err, sizeof err)) != 0)
                return die("mlsa", err);
        }
        double e = rel_l2(xc, xg, nf * FP);
        if (!(e <= worst_wave))
            worst_wave = e;
        e = s16_maxdiff(xc, xg, nf * FP);
        if (!(e <= worst_s16))
            worst_s16 = e;
        e = rel_l2(xc, xm, nf * FP);
        if (!(e <= worst_mixed))
            worst_mixed = e;
        free(per), free(mc), free(xc), free(xg), free(xm);
    }
    report("random excitation, 300 streams (rel max)", worst_ex, TOL_EXCITATION);
    report("random MLSA waveform, 300 streams (rel L2)", worst_wave, TOL_WAVE_REL);
    report("random MLSA waveform, s16 max diff (LSB)", worst_s16, TOL_S16_LSB);
    report("state CUDA->CPU between chunks (rel L2)", worst_mixed, TOL_WAVE_REL);
    return 0;
}

/* ---------------------------------------------------------- utterances --- */

typedef struct {
    ss_acoustic_seq seq;
    utt_mlpg cpu[SS_VOICE_MAX_STREAMS], gpu[SS_VOICE_MAX_STREAMS];
    utt_vocoder_input vi;
    double *wave_cpu, *wave_gpu;
    size_t nsamples;
} utt;

/* Vocodes vi in NPHRASES phrases with `ops`, states carried. */
static int vocode(const ss_kernel_ops *ops, const utt_vocoder_input *vi, double *out, char *err,
                  size_t errlen)
{
    ss_excitation_state ex;
    ss_mlsa_state ml;
    ss_excitation_state_init(&ex);
    if (ss_mlsa_state_init(&ml, vi->order, vi->alpha, err, errlen) != 0)
        return -1;
    size_t f0 = 0, fp = vi->frame_period, w = (size_t)vi->order + 1;
    for (int p = 0; p < NPHRASES; p++) {
        size_t f1 = p == NPHRASES - 1 ? vi->nframes : vi->nframes * (size_t)(p + 1) / NPHRASES;
        ss_excitation_job ej = {&ex, vi->period + f0, f1 - f0, fp, out + f0 * fp};
        ss_mlsa_job mj = {.state = &ml, .mcep = vi->mcep + f0 * w, .nframes = f1 - f0, .frame_period = fp,
                          .excitation = out + f0 * fp, .out = out + f0 * fp};
        if (ops->excitation(&ej, 1, err, errlen) != 0 || ops->mlsa(&mj, 1, err, errlen) != 0)
            return -1;
        f0 = f1;
    }
    return 0;
}

static int utt_run(const ss_htsvoice *v, const ss_kernel_ops *gpu, const char *path, utt *u,
                   double *worst_mlpg, double *worst_wave, double *worst_s16)
{
    char err[512];
    size_t n = 0;
    char **labels = utt_labels_read(path, &n);
    if (!labels || !n)
        return die(path, "cannot read labels");
    memset(u, 0, sizeof *u);
    int rc = ss_acoustic_lookup(v, (const char *const *)labels, n, 0.0, NULL, &u->seq, err, sizeof err);
    utt_labels_free(labels, n);
    if (rc != 0 || ss_acoustic_durations(&u->seq, 1.0, err, sizeof err) != 0)
        return die(path, err);
    for (int s = 0; s < u->seq.nstreams; s++) {
        if (utt_mlpg_build(v, &u->seq, s, &u->cpu[s], err, sizeof err) != 0 ||
            utt_mlpg_build(v, &u->seq, s, &u->gpu[s], err, sizeof err) != 0)
            return die(path, err);
        if (!u->cpu[s].T)
            continue;
        size_t wl = ss_kern_mlpg_workspace(u->cpu[s].T);
        double *work = malloc(wl * sizeof(double));
        if (!work || ss_kern_mlpg(u->cpu[s].win, u->cpu[s].probs, u->cpu[s].vlen, work, wl, err, sizeof err) != 0)
            return die("cpu mlpg", err);
        free(work);
        poison(u->gpu[s].out, u->gpu[s].T * u->gpu[s].vlen);
        if (mlpg_call(gpu, u->gpu[s].win, u->gpu[s].probs, u->gpu[s].vlen, err, sizeof err) != 0)
            return die("cuda mlpg", err);
        for (size_t l = 0; l < u->cpu[s].vlen; l++) {
            double e = rel_maxabs(u->cpu[s].out + l, u->gpu[s].out + l, u->cpu[s].T, u->cpu[s].vlen);
            if (!(e <= *worst_mlpg))
                *worst_mlpg = e;
        }
    }
    /* both vocoders get the CPU parameters, so the waveform check is about
     * the vocoder kernels alone */
    if (utt_vocoder_from_mlpg(v, &u->seq, u->cpu, &u->vi, err, sizeof err) != 0)
        return die(path, err);
    u->nsamples = u->vi.nframes * u->vi.frame_period;
    u->wave_cpu = malloc(u->nsamples * sizeof(double));
    u->wave_gpu = malloc(u->nsamples * sizeof(double));
    if (!u->wave_cpu || !u->wave_gpu)
        return die(path, "out of memory");
    poison(u->wave_gpu, u->nsamples);
    if (vocode(ss_kernel_ops_cpu(), &u->vi, u->wave_cpu, err, sizeof err) != 0 ||
        vocode(gpu, &u->vi, u->wave_gpu, err, sizeof err) != 0)
        return die("vocode", err);
    double e = rel_l2(u->wave_cpu, u->wave_gpu, u->nsamples);
    if (!(e <= *worst_wave))
        *worst_wave = e;
    e = s16_maxdiff(u->wave_cpu, u->wave_gpu, u->nsamples);
    if (!(e <= *worst_s16))
        *worst_s16 = e;
    return 0;
}

static void utt_free(utt *u)
{
    for (int s = 0; s < SS_VOICE_MAX_STREAMS; s++) {
        utt_mlpg_free(&u->cpu[s]);
        utt_mlpg_free(&u->gpu[s]);
    }
    utt_vocoder_input_free(&u->vi);
    free(u->wave_cpu);
    free(u->wave_gpu);
    ss_acoustic_seq_free(&u->seq);
}

/* Where a check sends its kernel calls: a lane-less call through the ops
 * table, a lane of those ops, or a batch scheduler over them. */
typedef struct {
    const ss_kernel_ops *ops;
    ss_kernel_lane *lane;
    ss_batch_scheduler *sched;
} runner;

static int run_mlpg(const runner *r, const ss_mlpg_windows *w, const ss_mlpg_problem *p, size_t n,
                    char *err, size_t errlen)
{
    if (r->sched)
        return ss_batch_mlpg(r->sched, w, p, n, err, errlen);
    if (r->lane)
        return r->ops->lane_mlpg(r->lane, w, p, n, err, errlen);
    return mlpg_call(r->ops, w, p, n, err, errlen);
}

static int run_vocoder(const runner *r, const ss_excitation_job *ej, const ss_mlsa_job *mj, size_t n,
                       char *err, size_t errlen)
{
    if (r->sched)
        return ss_batch_excitation(r->sched, ej, n, err, errlen) != 0 ||
                       ss_batch_mlsa(r->sched, mj, n, err, errlen) != 0
                   ? -1
                   : 0;
    if (r->lane)
        return r->ops->lane_excitation(r->lane, ej, n, err, errlen) != 0 ||
                       r->ops->lane_mlsa(r->lane, mj, n, err, errlen) != 0
                   ? -1
                   : 0;
    return r->ops->excitation(ej, n, err, errlen) != 0 || r->ops->mlsa(mj, n, err, errlen) != 0 ? -1 : 0;
}

/* Utterances [0, nu) in one call per stream (MLPG) and per phrase index
 * (excitation, MLSA): the batched path, compared with the CPU results;
 * `label` prefixes the report lines. */
static int batched_all(const runner *r, utt *us, size_t nu, const char *label)
{
    char err[512], what[128];
    double worst = 0;
    for (int s = 0; s < us[0].seq.nstreams; s++) {
        size_t np = 0;
        for (size_t i = 0; i < nu; i++)
            np += us[i].gpu[s].T ? us[i].gpu[s].vlen : 0;
        ss_mlpg_problem *all = malloc((np ? np : 1) * sizeof *all);
        if (!all)
            return die("batched", "out of memory");
        np = 0;
        for (size_t i = 0; i < nu; i++) {
            if (!us[i].gpu[s].T)
                continue;
            poison(us[i].gpu[s].out, us[i].gpu[s].T * us[i].gpu[s].vlen);
            memcpy(all + np, us[i].gpu[s].probs, us[i].gpu[s].vlen * sizeof *all);
            np += us[i].gpu[s].vlen;
        }
        if (np && run_mlpg(r, us[0].gpu[s].win, all, np, err, sizeof err) != 0)
            return die("cuda batched mlpg", err);
        free(all);
        for (size_t i = 0; i < nu; i++) {
            double e = rel_maxabs(us[i].cpu[s].out, us[i].gpu[s].out, us[i].cpu[s].T * us[i].cpu[s].vlen, 1);
            if (!(e <= worst))
                worst = e;
        }
    }
    snprintf(what, sizeof what, "%s: MLPG, one call per stream", label);
    report(what, worst, TOL_MLPG);
    ss_excitation_state *ex = calloc(nu, sizeof *ex);
    ss_mlsa_state *ml = calloc(nu, sizeof *ml);
    ss_excitation_job *ej = calloc(nu, sizeof *ej);
    ss_mlsa_job *mj = calloc(nu, sizeof *mj);
    size_t *f0 = calloc(nu, sizeof *f0);
    if (!ex || !ml || !ej || !mj || !f0)
        return die("batched", "out of memory");
    for (size_t i = 0; i < nu; i++) {
        ss_excitation_state_init(&ex[i]);
        if (ss_mlsa_state_init(&ml[i], us[i].vi.order, us[i].vi.alpha, err, sizeof err) != 0)
            return die("mlsa init", err);
        poison(us[i].wave_gpu, us[i].nsamples);
    }
    for (int p = 0; p < NPHRASES; p++) {
        for (size_t i = 0; i < nu; i++) {
            const utt_vocoder_input *vi = &us[i].vi;
            size_t f1 = p == NPHRASES - 1 ? vi->nframes : vi->nframes * (size_t)(p + 1) / NPHRASES;
            size_t fp = vi->frame_period;
            double *o = us[i].wave_gpu + f0[i] * fp;
            ej[i] = (ss_excitation_job){&ex[i], vi->period + f0[i], f1 - f0[i], fp, o};
            mj[i] = (ss_mlsa_job){.state = &ml[i], .mcep = vi->mcep + f0[i] * (size_t)(vi->order + 1), .nframes = f1 - f0[i], .frame_period = fp,
                                  .excitation = o, .out = o};
            f0[i] = f1;
        }
        if (run_vocoder(r, ej, mj, nu, err, sizeof err) != 0)
            return die("cuda batched vocoder", err);
    }
    double wl2 = 0, ws16 = 0;
    for (size_t i = 0; i < nu; i++) {
        double e = rel_l2(us[i].wave_cpu, us[i].wave_gpu, us[i].nsamples);
        if (!(e <= wl2))
            wl2 = e;
        e = s16_maxdiff(us[i].wave_cpu, us[i].wave_gpu, us[i].nsamples);
        if (!(e <= ws16))
            ws16 = e;
    }
    snprintf(what, sizeof what, "%s: waveform (rel L2)", label);
    report(what, wl2, TOL_WAVE_REL);
    snprintf(what, sizeof what, "%s: waveform s16 (LSB)", label);
    report(what, ws16, TOL_S16_LSB);
    free(ex), free(ml), free(ej), free(mj), free(f0);
    return 0;
}

/* ---------------------------------------------------------------- lanes --- */

static void check(const char *what, int ok, const char *detail)
{
    if (!ok)
        failures++;
    printf("  %-44s %s%s%s\n", what, ok ? "ok" : "FAIL", detail && *detail ? "  " : "",
           detail ? detail : "");
}

static ss_kernel_lane *lane_or_die(const ss_kernel_ops *ops, size_t limit)
{
    char err[256];
    ss_kernel_lane *l = ops->lane_new(limit, err, sizeof err);
    if (!l)
        die("lane_new", err);
    return l;
}

/* One utterance through a scheduler from its own thread (MLPG of every
 * stream, then the vocoder phrase by phrase), for the concurrent check. */
typedef struct {
    ss_batch_scheduler *sched;
    utt *u;
    int rc;
    char err[512];
} utt_thread;

static void *utt_through_scheduler(void *arg)
{
    utt_thread *t = arg;
    runner r = {.sched = t->sched};
    utt *u = t->u;
    t->rc = -1;
    for (int s = 0; s < u->seq.nstreams; s++) {
        if (!u->gpu[s].T)
            continue;
        poison(u->gpu[s].out, u->gpu[s].T * u->gpu[s].vlen);
        if (run_mlpg(&r, u->gpu[s].win, u->gpu[s].probs, u->gpu[s].vlen, t->err, sizeof t->err) != 0)
            return NULL;
    }
    poison(u->wave_gpu, u->nsamples);
    ss_excitation_state ex;
    ss_mlsa_state ml;
    ss_excitation_state_init(&ex);
    if (ss_mlsa_state_init(&ml, u->vi.order, u->vi.alpha, t->err, sizeof t->err) != 0)
        return NULL;
    size_t f0 = 0, fp = u->vi.frame_period, w = (size_t)u->vi.order + 1;
    for (int p = 0; p < NPHRASES; p++) {
        size_t f1 = p == NPHRASES - 1 ? u->vi.nframes : u->vi.nframes * (size_t)(p + 1) / NPHRASES;
        double *o = u->wave_gpu + f0 * fp;
        ss_excitation_job ej = {&ex, u->vi.period + f0, f1 - f0, fp, o};
        ss_mlsa_job mj = {.state = &ml, .mcep = u->vi.mcep + f0 * w, .nframes = f1 - f0, .frame_period = fp,
                          .excitation = o, .out = o};
        if (run_vocoder(&r, &ej, &mj, 1, t->err, sizeof t->err) != 0)
            return NULL;
        f0 = f1;
    }
    t->rc = 0;
    return NULL;
}

/* Lanes 1. Steady state: after one pass over all utterances, passes over
 * all or some of them make no device allocation. 0, or the exit code. */
static int lanes_steady_state(const ss_kernel_ops *gpu, utt *us, size_t nu)
{
    char detail[256];
    ss_kernel_lane_usage u0, u1;
    runner r = {.ops = gpu, .lane = lane_or_die(gpu, 0)};
    if (!r.lane)
        return 2;
    int rc = batched_all(&r, us, nu, "lane, pass 1");
    gpu->lane_usage(r.lane, &u0);
    for (size_t k = 0; rc == 0 && k < 3; k++)
        rc = batched_all(&r, us, k == 1 ? nu / 2 : nu, "lane, steady-state pass");
    gpu->lane_usage(r.lane, &u1);
    if (rc)
        return rc;
    snprintf(detail, sizeof detail, "allocations: %zu in pass 1, %zu in 3 more passes; pool %.1f MiB",
             u0.device_allocs, u1.device_allocs - u0.device_allocs, u1.device_bytes / 1048576.0);
    check("steady state: no device allocation", u1.device_allocs == u0.device_allocs && u0.device_allocs > 0,
          detail);
    gpu->lane_free(r.lane);
    return 0;
}

/* Lanes 2. A bound below the batch's need: parts, same results. 0, or the
 * exit code. */
static int lanes_bounded(const ss_kernel_ops *gpu, utt *us, size_t nu, size_t limit)
{
    char detail[256];
    ss_kernel_lane_usage u1;
    runner r = {.ops = gpu, .lane = lane_or_die(gpu, limit)};
    if (!r.lane)
        return 2;
    int rc = batched_all(&r, us, nu, "lane bounded at 3 MiB");
    gpu->lane_usage(r.lane, &u1);
    gpu->lane_free(r.lane);
    if (rc)
        return rc;
    snprintf(detail, sizeof detail, "%zu of %zu calls split; pool %.1f MiB, pinned %.1f MiB",
             u1.splits, u1.calls, u1.device_bytes / 1048576.0, u1.pinned_bytes / 1048576.0);
    check("bounded lane splits and stays within its bound",
          u1.splits > 0 && u1.device_bytes <= limit && u1.pinned_bytes <= limit, detail);
    return 0;
}

/* Lanes 3. One job over the bound: refused, nothing changed. 0, or the
 * exit code. */
static int lanes_over_bound(const ss_kernel_ops *gpu, utt *u)
{
    char err[512];
    ss_kernel_lane_usage u1;
    ss_kernel_lane *lane = lane_or_die(gpu, 64 << 10);
    if (!lane)
        return 2;
    const utt_vocoder_input *vi = &u->vi;
    ss_excitation_state ex, ex_before;
    ss_mlsa_state ml, ml_before;
    ss_excitation_state_init(&ex);
    if (ss_mlsa_state_init(&ml, vi->order, vi->alpha, err, sizeof err) != 0)
        return die("mlsa init", err);
    ex_before = ex;
    ml_before = ml;
    poison(u->wave_gpu, u->nsamples);
    ss_excitation_job ej = {&ex, vi->period, vi->nframes, vi->frame_period, u->wave_gpu};
    ss_mlsa_job mj = {.state = &ml, .mcep = vi->mcep, .nframes = vi->nframes, .frame_period = vi->frame_period,
                      .excitation = u->wave_gpu, .out = u->wave_gpu};
    err[0] = 0;
    int erc = gpu->lane_excitation(lane, &ej, 1, err, sizeof err);
    int mrc = gpu->lane_mlsa(lane, &mj, 1, err, sizeof err);
    int untouched = memcmp(&ex, &ex_before, sizeof ex) == 0 && memcmp(&ml, &ml_before, sizeof ml) == 0 &&
                    isnan(u->wave_gpu[0]) && isnan(u->wave_gpu[u->nsamples - 1]);
    gpu->lane_usage(lane, &u1);
    gpu->lane_free(lane);
    check("a job over the bound is refused, unchanged",
          erc == -1 && mrc == -1 && strstr(err, "over the lane's limit") && untouched &&
              u1.device_allocs == 0,
          err);
    return 0;
}

/* Every utterance through the scheduler, each from its own thread, all
 * joined. 0, or the exit code. */
static int run_utt_threads(ss_batch_scheduler *sched, utt *us, size_t nu)
{
    utt_thread *ts = calloc(nu, sizeof *ts);
    pthread_t *th = calloc(nu, sizeof *th);
    if (!ts || !th)
        return die("scheduler", "out of memory");
    for (size_t i = 0; i < nu; i++) {
        ts[i] = (utt_thread){.sched = sched, .u = &us[i]};
        if (pthread_create(&th[i], NULL, utt_through_scheduler, &ts[i]) != 0)
            return die("scheduler", "cannot start a thread");
    }
    for (size_t i = 0; i < nu; i++) {
        pthread_join(th[i], NULL);
        if (ts[i].rc != 0)
            return die("scheduler request", ts[i].err);
    }
    free(ts);
    free(th);
    return 0;
}

/* Reports the scheduler's results against the CPU's: MLPG, waveform rel
 * L2 and s16. */
static void report_scheduled(const utt *us, size_t nu)
{
    double wm = 0, ww = 0, ws = 0;
    for (size_t i = 0; i < nu; i++) {
        for (int s = 0; s < us[i].seq.nstreams; s++) {
            double e = rel_maxabs(us[i].cpu[s].out, us[i].gpu[s].out, us[i].cpu[s].T * us[i].cpu[s].vlen, 1);
            if (!(e <= wm))
                wm = e;
        }
        double e = rel_l2(us[i].wave_cpu, us[i].wave_gpu, us[i].nsamples);
        if (!(e <= ww))
            ww = e;
        e = s16_maxdiff(us[i].wave_cpu, us[i].wave_gpu, us[i].nsamples);
        if (!(e <= ws))
            ws = e;
    }
    report("scheduler, 3 lanes: MLPG", wm, TOL_MLPG);
    report("scheduler, 3 lanes: waveform (rel L2)", ww, TOL_WAVE_REL);
    report("scheduler, 3 lanes: waveform s16 (LSB)", ws, TOL_S16_LSB);
}

/* Lanes 4. Concurrent requests through a scheduler of 3 bounded lanes. 0,
 * or the exit code. */
static int lanes_concurrent(const ss_kernel_ops *gpu, utt *us, size_t nu, size_t limit)
{
    char detail[256], err[512];
    ss_batch_options bo = ss_batch_default_options();
    bo.lanes = 3;
    bo.lane_memory_limit = limit;
    ss_batch_scheduler *sched = ss_batch_scheduler_new(gpu, &bo, err, sizeof err);
    if (!sched)
        return die("scheduler", err);
    int rc = run_utt_threads(sched, us, nu);
    if (rc)
        return rc;
    ss_batch_stats st;
    ss_batch_scheduler_stats(sched, &st);
    ss_batch_scheduler_free(sched);
    report_scheduled(us, nu);
    snprintf(detail, sizeof detail, "%zu requests in %zu calls; pools %.1f of %.1f MiB",
             st.requests, st.launches, st.memory.device_bytes / 1048576.0,
             st.memory.device_limit / 1048576.0);
    check("scheduler pools within 3 x 3 MiB", st.lanes == 3 && st.memory.device_limit == 3 * limit &&
                                                   st.memory.device_bytes <= 3 * limit,
          detail);
    return 0;
}

/* The lanes a node uses (kernels/cuda/cuda_lane.h): steady state without
 * device allocation, the memory bound (batches split, results unchanged;
 * one job over the bound refused before anything changes) and concurrent
 * requests through a scheduler of several lanes. */
static int lanes_check(const ss_kernel_ops *gpu, utt *us, size_t nu)
{
    const size_t limit = (size_t)3 << 20;
    printf("lanes (stream + device pool + pinned staging):\n");
    int rc = lanes_steady_state(gpu, us, nu);
    if (!rc)
        rc = lanes_bounded(gpu, us, nu, limit);
    if (!rc)
        rc = lanes_over_bound(gpu, &us[0]);
    if (!rc)
        rc = lanes_concurrent(gpu, us, nu, limit);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The command line: --one, --probe, --harness-on-cpu and the label dir. */
typedef struct {
    int one, probe, harness;
    const char *dir;
} parity_opts;

/* Reads the command line into *o (every other word is the label dir). */
static void parse_args(int argc, char **argv, parity_opts *o)
{
    *o = (parity_opts){0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--one"))
            o->one = 1;
        else if (!strcmp(argv[i], "--probe"))
            o->probe = 1;
        else if (!strcmp(argv[i], "--harness-on-cpu"))
            o->harness = 1;
        else
            o->dir = argv[i];
    }
}

/* The kernels under test into *gpu and the device's description into why;
 * 1 (after the "skipped" line) when there is no CUDA device, else 0. */
static int pick_kernels(int harness, const ss_kernel_ops **gpu, char *why, size_t whylen)
{
    *gpu = ss_kernel_ops_cuda();
#ifdef SS_PARITY_EMULATED
    harness = 2;
#endif
    if (harness == 2) {
#ifdef SS_PARITY_EMULATED
        *gpu = &emulated_ops;
#endif
        snprintf(why, whylen, "none: the CUDA kernels run in host emulation");
    } else if (harness) {
        /* checks this program (inputs, poisoning, comparisons) without a
         * GPU: the CPU kernels stand in for CUDA, every difference is 0 */
        *gpu = ss_kernel_ops_cpu();
        snprintf(why, whylen, "none: CPU kernels standing in (--harness-on-cpu)");
    } else if (!ss_kernels_cuda_usable(why, whylen)) {
        printf("no CUDA device: skipped (%s)\n", why);
        return 1;
    }
    return 0;
}

/* The names of dir's .lab files (malloc'd), sorted, at most 256. 0, or
 * the exit code. */
static int list_labels(const char *dir, char **names, size_t *nn)
{
    DIR *d = opendir(dir);
    if (!d)
        return die(dir, "cannot open");
    *nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && *nn < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".lab")) {
            names[*nn] = strdup(e->d_name);
            if (!names[(*nn)++]) {
                closedir(d);
                return die(dir, "out of memory");
            }
        }
    }
    closedir(d);
    qsort(names, *nn, sizeof *names, by_name);
    return 0;
}

/* Each utterance CPU vs CUDA, reported; then (more than one) the batched
 * path and the lanes. 0, or the exit code. */
static int utterance_checks(const ss_htsvoice *v, const ss_kernel_ops *gpu, const char *dir, char **names,
                            size_t nn, utt *us)
{
    double wm = 0, ww = 0, ws = 0;
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int rc = utt_run(v, gpu, path, &us[i], &wm, &ww, &ws);
        if (rc)
            return rc;
    }
    printf("%zu real utterances (%s):\n", nn, dir);
    report("utterances: MLPG every stream", wm, TOL_MLPG);
    report("utterances: waveform, 3 phrases (rel L2)", ww, TOL_WAVE_REL);
    report("utterances: waveform s16 (LSB)", ws, TOL_S16_LSB);
    if (nn <= 1)
        return 0;
    const runner direct = {.ops = gpu};
    int rc = batched_all(&direct, us, nn, "utterances batched");
    if (rc == 0 && gpu->lane_new)
        rc = lanes_check(gpu, us, nn);
    else if (rc == 0)
        printf("lanes: skipped (the %s kernels have none)\n", gpu->name);
    return rc;
}

/* The label-file part: the voice, every LABEL_DIR/NN.lab (only the first
 * with --one) through utterance_checks. 0, or the exit code. */
static int label_checks(const ss_kernel_ops *gpu, const char *dir, int one)
{
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(UTT_VOICE, err, sizeof err);
    if (!v)
        return die(UTT_VOICE, err);
    char *names[256];
    size_t nn = 0;
    int rc = list_labels(dir, names, &nn);
    if (rc)
        return rc;
    if (one && nn > 1)
        nn = 1;
    utt *us = calloc(nn ? nn : 1, sizeof *us);
    if (!us)
        return die(dir, "out of memory");
    rc = utterance_checks(v, gpu, dir, names, nn, us);
    if (rc)
        return rc;
    for (size_t i = 0; i < nn; i++) {
        utt_free(&us[i]);
        free(names[i]);
    }
    free(us);
    ss_htsvoice_free(v);
    return 0;
}

int main(int argc, char **argv)
{
    parity_opts o;
    parse_args(argc, argv, &o);
    char why[256];
    const ss_kernel_ops *gpu;
    if (pick_kernels(o.harness, &gpu, why, sizeof why))
        return 0;
    printf("gpu_parity: device %s\n", why);
    if (o.probe)
        return 0;
    rng = (uint64_t)time(NULL);
    if (!o.one) {
        printf("random inputs (seed %llu):\n", (unsigned long long)rng);
        int rc = random_mlpg(gpu);
        if (!rc)
            rc = random_vocoder(gpu);
        if (rc)
            return rc;
    }
    if (o.dir) {
        int rc = label_checks(gpu, o.dir, o.one);
        if (rc)
            return rc;
    }
    printf("gpu_parity: %s\n", failures ? "FAILED" : "all within tolerance");
    return failures ? 1 : 0;
}
