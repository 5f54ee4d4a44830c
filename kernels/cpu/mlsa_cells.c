/* MLSA filter in cell mode: one utterance's samples computed four cells at
 * a time, one cell per SIMD lane.
 *
 * Why: the sequential filter is one long dependency chain (each sample
 * needs the previous one's output and delay lines), so one stream runs at
 * the FMA latency, ~4 cycles per tap, while the core could retire two FMAs
 * per cycle. Four independent streams in the four lanes of an AVX2 vector,
 * five Pade stages each, keep ~20 chains in flight and make the loop
 * throughput-bound instead.
 *
 * The cells: frames are cut on a fixed grid of SS_MLSA_CELL_FRAMES frames
 * counted from the utterance's first frame. Cell 0 starts like the
 * sequential filter. Every later cell starts from zero state
 * SS_MLSA_WARMUP_FRAMES frames before its first frame (those outputs are
 * dropped); the filter's memory decays within a few milliseconds, so the
 * cell's samples differ from the sequential ones by a small, measured amount
 * (docs/ENGINE-IMPL.md, "MLSA cells"). The grid is the utterance's, not the
 * job's: a job that starts inside a cell resumes it from the state the
 * previous job left (the state of the lane that filtered the last frame),
 * and the warm-up input of a cell that begins right after a job boundary
 * comes from the history kept in the state. So chunked == one-shot, bit for
 * bit, for any chunking.
 *
 * Per lane the arithmetic is exactly the sequential AVX2 build's (mlsa.c:
 * same operations, same fusions, same order), so a resumed lane continues a
 * sequential state unchanged and cell 0 equals the sequential output. The
 * portable build computes the same thing lane by lane with C's fma()
 * (correctly rounded like the vector instruction): identical samples on
 * every CPU, only slower without AVX2/FMA. */
#include "kernels/cpu/mlsa_cells.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 4, NS = SS_MLSA_PADE, S = SS_MLSA_CELL_FRAMES, W = SS_MLSA_WARMUP_FRAMES };
enum { HIST_MCEP = W * (SS_MLSA_MAX_ORDER + 1) }; /* history: mel-cepstra first */
_Static_assert(SS_MLSA_CELL_FRAMES >= SS_MLSA_WARMUP_FRAMES, "a warm-up may not reach back two cells");

static const double pade5[SS_MLSA_PADE + 1] = {1.0,        0.4999391,    0.1107098,
                                               0.01369984, 0.0009564853, 0.00003041721};

/* Four filters side by side, every value stored [...][lane]. The second
 * section's delay lines are double-buffered rows [tap][stage][lane]: a
 * sample reads fir[cur] and writes fir[!cur], in the sequential layout's
 * convention (row 1 and row 2 both hold tap 1, row k+1 tap k). */
typedef struct {
    int m;
    double a, aa;
    int cur;
    _Alignas(32) double b[SS_MLSA_MAX_ORDER + 1][K];
    _Alignas(32) double binc[SS_MLSA_MAX_ORDER + 1][K];
    _Alignas(32) double d1[2 * (SS_MLSA_PADE + 1)][K]; /* section 1: d[0..5], pt[0..5] */
    _Alignas(32) double pt[SS_MLSA_PADE + 1][K];       /* section 2 outputs */
    _Alignas(32) double fir[2][(SS_MLSA_MAX_ORDER + 2) * NS * K];
} lanes;

/* One cell's work, in frames of the job's extended frame list (history
 * frames first, then the job's). */
typedef struct {
    size_t first, count, warm;
    int resume; /* 1 = continue the job's state, 0 = start from zero */
} cell_task;

static void mc2b(const double *mc, double *b, int m, double a)
{
    b[m] = mc[m];
    for (int i = m - 1; i >= 0; i--)
        b[i] = mc[i] - a * b[i + 1];
}

/* ------------------------------------------------------ lane <-> state --- */

static void lane_zero(lanes *L, int l)
{
    for (int i = 0; i < 2 * (SS_MLSA_PADE + 1); i++)
        L->d1[i][l] = 0.0;
    for (int i = 0; i <= SS_MLSA_PADE; i++)
        L->pt[i][l] = 0.0;
    for (int r = 0; r < (L->m + 2) * NS; r++)
        L->fir[L->cur][r * K + l] = 0.0;
}

static void lane_load(lanes *L, int l, const ss_mlsa_state *st)
{
    for (int i = 0; i <= L->m; i++)
        L->b[i][l] = st->b[i];
    for (int i = 0; i < 2 * (SS_MLSA_PADE + 1); i++)
        L->d1[i][l] = st->d1[i];
    for (int i = 0; i <= SS_MLSA_PADE; i++)
        L->pt[i][l] = st->pt[i];
    for (int r = 0; r < L->m + 2; r++)
        for (int s = 0; s < NS; s++)
            L->fir[L->cur][(r * NS + s) * K + l] = st->fir[r * SS_MLSA_LANES + s];
}

static void lane_store(const lanes *L, int l, ss_mlsa_state *st)
{
    for (int i = 0; i <= L->m; i++)
        st->b[i] = L->b[i][l];
    for (int i = 0; i < 2 * (SS_MLSA_PADE + 1); i++)
        st->d1[i] = L->d1[i][l];
    for (int i = 0; i <= SS_MLSA_PADE; i++)
        st->pt[i] = L->pt[i][l];
    for (int r = 0; r < L->m + 2; r++) {
        for (int s = 0; s < NS; s++)
            st->fir[r * SS_MLSA_LANES + s] = L->fir[L->cur][(r * NS + s) * K + l];
        st->fir[r * SS_MLSA_LANES + NS] = 0.0;
    }
    st->started = 1;
}

/* ------------------------------------------------------- one sample ------ */

/* The gain: x * exp(b[0]) per lane, as the sequential build does it. */
static inline void gain(const lanes *L, const double *x_in, double *x)
{
    for (int l = 0; l < K; l++)
        x[l] = x_in[l] != 0.0 ? x_in[l] * exp(L->b[0][l]) : x_in[l];
}

/* Portable build of one sample for the four lanes: section 1, b[0..1]
 * advance, section 2 with b[2..m] advancing in the tap loop, output stage. */
static void sample_portable(lanes *L, const double *x_in, double *y_out)
{
    const int m = L->m;
    const double a = L->a, aa = L->aa;
    const double *A = L->fir[L->cur];
    double *B = L->fir[!L->cur];
    double x[K];
    gain(L, x_in, x);
    for (int l = 0; l < K; l++) {
        double *d = &L->d1[0][0], *p1 = &L->d1[SS_MLSA_PADE + 1][0];
        double xs = x[l], out = 0.0;
        for (int i = SS_MLSA_PADE; i >= 1; i--) {
            d[i * K + l] = aa * p1[(i - 1) * K + l] + a * d[i * K + l];
            p1[i * K + l] = d[i * K + l] * L->b[1][l];
            double v = p1[i * K + l] * pade5[i];
            xs += (i & 1) ? v : -v;
            out += v;
        }
        p1[l] = xs;
        xs = out + xs;
        L->b[0][l] += L->binc[0][l];
        L->b[1][l] += L->binc[1][l];
        double ys[NS];
        for (int s = 0; s < NS; s++) {
            double prev = fma(aa, L->pt[s][l], a * A[(1 * NS + s) * K + l]), y = 0.0;
            B[(1 * NS + s) * K + l] = prev;
            B[(2 * NS + s) * K + l] = prev;
            for (int k = 2; k <= m; k++) {
                double nk = fma(-a, prev, fma(a, A[((k + 1) * NS + s) * K + l], A[(k * NS + s) * K + l]));
                B[((k + 1) * NS + s) * K + l] = nk;
                y = fma(nk, L->b[k][l], y);
                prev = nk;
            }
            ys[s] = y;
        }
        for (int s = 0; s < NS; s++)
            L->pt[s + 1][l] = ys[s];
        for (int k = 2; k <= m; k++)
            L->b[k][l] += L->binc[k][l];
        double out2 = 0.0;
        for (int i = SS_MLSA_PADE; i >= 1; i--) {
            double v = L->pt[i][l] * pade5[i];
            xs += (i & 1) ? v : -v;
            out2 += v;
        }
        L->pt[0][l] = xs;
        y_out[l] = out2 + xs;
    }
    L->cur = !L->cur;
}

/* Section 1 for the four lanes (plain multiplies and adds, as the scalar
 * section1 in mlsa.c). */
__attribute__((target("avx2,fma"))) static inline __m256d section1_avx2(lanes *L, __m256d x)
{
    const __m256d va = _mm256_set1_pd(L->a), vaa = _mm256_set1_pd(L->aa);
    const __m256d b1 = _mm256_load_pd(L->b[1]);
    __m256d out = _mm256_setzero_pd();
    for (int i = SS_MLSA_PADE; i >= 1; i--) {
        __m256d d = _mm256_add_pd(_mm256_mul_pd(vaa, _mm256_load_pd(L->d1[SS_MLSA_PADE + i])),
                                  _mm256_mul_pd(va, _mm256_load_pd(L->d1[i])));
        _mm256_store_pd(L->d1[i], d);
        __m256d p = _mm256_mul_pd(d, b1);
        _mm256_store_pd(L->d1[SS_MLSA_PADE + 1 + i], p);
        __m256d v = _mm256_mul_pd(p, _mm256_set1_pd(pade5[i]));
        x = (i & 1) ? _mm256_add_pd(x, v) : _mm256_sub_pd(x, v);
        out = _mm256_add_pd(out, v);
    }
    _mm256_store_pd(L->d1[SS_MLSA_PADE + 1], x);
    return _mm256_add_pd(out, x);
}

/* One stage's tap step: nk = -a*prev + (a*next + old), y = nk*b + y. */
#define TAP(s)                                                                                     \
    do {                                                                                           \
        const __m256d nk = _mm256_fnmadd_pd(                                                       \
            va, prev##s,                                                                           \
            _mm256_fmadd_pd(va, _mm256_load_pd(a_next + (s) * K), _mm256_load_pd(a_k + (s) * K))); \
        _mm256_store_pd(b_next + (s) * K, nk);                                                     \
        y##s = _mm256_fmadd_pd(nk, bk, y##s);                                                      \
        prev##s = nk;                                                                              \
    } while (0)

#define FIRST(s)                                                                                   \
    do {                                                                                           \
        prev##s = _mm256_fmadd_pd(vaa, _mm256_load_pd(L->pt[s]),                                   \
                                  _mm256_mul_pd(va, _mm256_load_pd(A + (1 * NS + (s)) * K)));       \
        _mm256_store_pd(B + (1 * NS + (s)) * K, prev##s);                                          \
        _mm256_store_pd(B + (2 * NS + (s)) * K, prev##s);                                          \
    } while (0)

/* Output stage i (1..5) with its sign: pt[i] = y, x +/-= y * pade[i]. */
#define OUTPUT(i, y, sign)                                                                         \
    do {                                                                                           \
        _mm256_store_pd(L->pt[i], y);                                                              \
        const __m256d v = _mm256_mul_pd(y, _mm256_set1_pd(pade5[i]));                              \
        x = sign(x, v);                                                                            \
        out = _mm256_add_pd(out, v);                                                               \
    } while (0)

/* AVX2+FMA build of one sample for the four lanes; the five stages' chains
 * and accumulators are named locals so they stay in registers. */
__attribute__((target("avx2,fma"))) static void sample_avx2(lanes *L, const double *x_in, double *y_out)
{
    const int m = L->m;
    const __m256d va = _mm256_set1_pd(L->a), vaa = _mm256_set1_pd(L->aa);
    const double *A = L->fir[L->cur];
    double *B = L->fir[!L->cur];
    _Alignas(32) double xg[K];
    gain(L, x_in, xg);
    __m256d x = section1_avx2(L, _mm256_load_pd(xg));
    _mm256_store_pd(L->b[0], _mm256_add_pd(_mm256_load_pd(L->b[0]), _mm256_load_pd(L->binc[0])));
    _mm256_store_pd(L->b[1], _mm256_add_pd(_mm256_load_pd(L->b[1]), _mm256_load_pd(L->binc[1])));
    __m256d prev0, prev1, prev2, prev3, prev4;
    __m256d y0 = _mm256_setzero_pd(), y1 = y0, y2 = y0, y3 = y0, y4 = y0;
    FIRST(0);
    FIRST(1);
    FIRST(2);
    FIRST(3);
    FIRST(4);
    for (int k = 2; k <= m; k++) {
        const __m256d bk = _mm256_load_pd(L->b[k]);
        _mm256_store_pd(L->b[k], _mm256_add_pd(bk, _mm256_load_pd(L->binc[k])));
        const double *a_k = A + (size_t)k * NS * K, *a_next = a_k + NS * K;
        double *b_next = B + (size_t)(k + 1) * NS * K;
        TAP(0);
        TAP(1);
        TAP(2);
        TAP(3);
        TAP(4);
    }
    /* output stage, stage 5 first; no array of the y's, which would put
     * them in stack slots inside the tap loop */
    __m256d out = _mm256_setzero_pd();
    OUTPUT(5, y4, _mm256_add_pd);
    OUTPUT(4, y3, _mm256_sub_pd);
    OUTPUT(3, y2, _mm256_add_pd);
    OUTPUT(2, y1, _mm256_sub_pd);
    OUTPUT(1, y0, _mm256_add_pd);
    _mm256_store_pd(L->pt[0], x);
    _mm256_storeu_pd(y_out, _mm256_add_pd(out, x));
    L->cur = !L->cur;
}

/* ------------------------------------------------------- the cells ------- */

typedef struct {
    const ss_mlsa_job *j;
    const double *ext_ex;  /* [(h + nframes) * fp] history then job input */
    const double *silence; /* [fp] zeros: input of a lane without work */
    double *sink;          /* [K][fp] output of warm-up and idle steps */
    size_t h;              /* history frames in front of the job's */
    int wide;
} cell_job;

static const double *frame_mcep(const cell_job *c, size_t e)
{
    const ss_mlsa_state *st = c->j->state;
    const size_t dim = (size_t)st->order + 1;
    if (e < c->h)
        return st->history + (W - c->h + e) * dim;
    return c->j->mcep + (e - c->h) * dim;
}

/* Runs up to K cells side by side; a lane without work (or past its
 * cell's end) filters silence into a sink. With store_to, the last lane's
 * state is saved there right after its last frame (before any idle step). */
static void run_group(const cell_job *c, lanes *L, const cell_task *t, int n, ss_mlsa_state *store_to)
{
    const ss_mlsa_job *j = c->j;
    const size_t fp = j->frame_period;
    const int m = L->m;
    size_t steps = 0;
    for (int l = 0; l < n; l++) {
        if (t[l].resume)
            lane_load(L, l, j->state);
        else
            lane_zero(L, l);
        if (t[l].count > steps)
            steps = t[l].count;
    }
    for (int l = n; l < K; l++)
        lane_zero(L, l);
    for (size_t f = 0; f < steps; f++) {
        const double *ex[K];
        double *out[K];
        double bnext[K][SS_MLSA_MAX_ORDER + 1];
        for (int l = 0; l < K; l++) {
            if (l >= n || f >= t[l].count) {
                for (int i = 0; i <= m; i++)
                    L->binc[i][l] = 0.0;
                ex[l] = c->silence;
                out[l] = c->sink + (size_t)l * fp;
                continue;
            }
            const size_t e = t[l].first + f;
            mc2b(frame_mcep(c, e), bnext[l], m, L->a);
            if (f == 0 && !t[l].resume)
                for (int i = 0; i <= m; i++)
                    L->b[i][l] = bnext[l][i];
            for (int i = 0; i <= m; i++)
                L->binc[i][l] = (bnext[l][i] - L->b[i][l]) / (double)fp;
            ex[l] = c->ext_ex + e * fp;
            out[l] = f < t[l].warm ? c->sink + (size_t)l * fp : j->out + (e - c->h) * fp;
        }
        for (size_t s = 0; s < fp; s++) {
            _Alignas(32) double xin[K], y[K];
            for (int l = 0; l < K; l++)
                xin[l] = ex[l][s];
            if (c->wide)
                sample_avx2(L, xin, y);
            else
                sample_portable(L, xin, y);
            for (int l = 0; l < K; l++)
                out[l][s] = y[l];
        }
        /* b lands exactly on the frame's coefficients, as in mlsa.c */
        for (int l = 0; l < n; l++)
            if (f < t[l].count)
                for (int i = 0; i <= m; i++)
                    L->b[i][l] = bnext[l][i];
        if (store_to && f + 1 == t[n - 1].count)
            lane_store(L, n - 1, store_to);
    }
}

/* Cell c of the grid, clipped to the job's frames [f0, f0 + nf), as a task
 * over the extended frame list (h history frames first). */
static cell_task cell_at(size_t c, size_t f0, size_t nf, size_t h)
{
    const size_t g = c * S, end = g + S < f0 + nf ? g + S : f0 + nf;
    if (g < f0) /* the cell the previous job was in: resume it */
        return (cell_task){.first = h, .count = end - f0, .warm = 0, .resume = 1};
    if (g == 0) /* the utterance's first cell: no warm-up */
        return (cell_task){.first = 0, .count = end, .warm = 0, .resume = 0};
    /* g >= S >= W and h = min(f0, W), so the warm-up starts inside the list */
    return (cell_task){.first = g - W - (f0 - h), .count = end - (g - W), .warm = W, .resume = 0};
}

/* Keeps the last W frames of input (mel-cepstra and excitation, before the
 * filter overwrites an in-place job) for the next job's warm-ups. */
static void keep_history(ss_mlsa_state *st, const cell_job *c)
{
    const size_t dim = (size_t)st->order + 1, fp = c->j->frame_period;
    const size_t total = c->h + c->j->nframes, keep = total < W ? total : W;
    double mc[HIST_MCEP];
    for (size_t i = 0; i < keep; i++)
        memcpy(mc + i * dim, frame_mcep(c, total - keep + i), dim * sizeof(double));
    memcpy(st->history + (W - keep) * dim, mc, keep * dim * sizeof(double));
    memcpy(st->history + HIST_MCEP + (W - keep) * fp, c->ext_ex + (total - keep) * fp,
           keep * fp * sizeof(double));
}

/* The history buffer for this frame period: allocated by the utterance's
 * first job; the period may not change within an utterance. */
static int ensure_history(ss_mlsa_state *st, size_t fp, char *err, size_t errlen)
{
    if (st->history && st->hist_period == fp)
        return 0;
    if (st->frames_done > 0) {
        snprintf(err, errlen, "mlsa: the frame period changed within an utterance (%zu, then %zu)",
                 st->hist_period, fp);
        return -1;
    }
    free(st->history);
    st->history = malloc((HIST_MCEP + W * fp) * sizeof(double));
    if (!st->history) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->hist_period = fp;
    return 0;
}

int ss_mlsa_cells_run(const ss_mlsa_job *j, int wide, char *err, size_t errlen)
{
    ss_mlsa_state *st = j->state;
    const size_t fp = j->frame_period, nf = j->nframes, f0 = st->frames_done;
    if (ensure_history(st, fp, err, errlen) != 0)
        return -1;
    if (nf == 0)
        return 0;
    const size_t h = f0 < W ? f0 : W;
    double *ext = malloc(((h + nf) + 1 + K) * fp * sizeof(double));
    lanes *L = aligned_alloc(_Alignof(lanes), sizeof(lanes));
    if (!ext || !L) {
        free(ext);
        free(L);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(ext, st->history + HIST_MCEP + (W - h) * fp, h * fp * sizeof(double));
    memcpy(ext + h * fp, j->excitation, nf * fp * sizeof(double));
    double *silence = ext + (h + nf) * fp;
    memset(silence, 0, fp * sizeof(double));
    const cell_job c_job = {.j = j, .ext_ex = ext, .silence = silence, .sink = silence + fp, .h = h,
                            .wide = wide};
    L->m = st->order;
    L->a = st->alpha;
    L->aa = 1.0 - st->alpha * st->alpha;
    L->cur = 0;
    const size_t c0 = f0 / S, c1 = (f0 + nf - 1) / S;
    for (size_t c = c0; c <= c1; c += K) {
        cell_task t[K];
        int n = 0;
        for (size_t k = c; k <= c1 && n < K; k++)
            t[n++] = cell_at(k, f0, nf, h);
        run_group(&c_job, L, t, n, c + K > c1 ? st : NULL);
    }
    keep_history(st, &c_job);
    st->frames_done = f0 + nf;
    free(ext);
    free(L);
    return 0;
}
