/* MLSA filter in cell mode: one utterance's samples computed up to sixteen
 * cells at a time, one cell per float SIMD lane.
 *
 * Why: the sequential filter is one long dependency chain (each sample
 * needs the previous one's output and delay lines), so one stream runs at
 * the FMA latency, ~4 cycles per tap, while the core could retire two FMAs
 * per cycle. Independent streams in the lanes of a vector, five Pade stages
 * each, keep 20-80 chains in flight and make the loop throughput-bound
 * instead (mlsa_bench on the slt shape: 75 -> 34 ns per sample with eight
 * double lanes; float lanes halve the vector work per sample again).
 *
 * The cells: frames are cut on a grid counted from the utterance's first
 * frame. Without a known length it is SS_MLSA_CELL_FRAMES frames per cell
 * (odd, so the lanes' input and output streams do not all fall on the same
 * cache sets). The grid: when the caller sets the state's utterance_frames
 * before the first job, the cells are sized so that the utterance is whole
 * groups of per_group cells (at most PLAN_MAX_FRAMES frames a cell; cell
 * 0, which needs no warm-up, gets W frames more than the others, so all
 * lanes run the same number of steps). A fixed grid leaves lanes idle:
 * with eight lanes an utterance of 9 cells ran a second group for one
 * lane, and the eval sentences (374-634 frames) took 2175 group steps for
 * 1250 steps of useful work; sized, 1469; with sixteen lanes sized, 858
 * (625 useful); with a 10-frame warm-up instead of 12, 822.
 * per_group (ss_mlsa_cells_per_group): 16 for the AVX-512 build, whose one
 * vector holds sixteen lanes; 8 for the AVX2 and portable builds, which run
 * their lanes eight at a time (below): there sixteen cells cost twice the
 * steps of eight, and eight longer cells do the same useful work with half
 * the warm-ups (the eval sentences: 1644 eight-lane steps with sixteen
 * cells, 1486 with eight, of which 1250 are useful work; vocoder CPU -8 %,
 * docs/PERFORMANCE.md). The grid decides the samples, so an AVX-512
 * host's differ from an AVX2 host's by the cuts (both within the tolerance
 * below); on one grid every build gives the same samples.
 * Cell 0 starts like the sequential filter. Every later cell starts from
 * zero state SS_MLSA_WARMUP_FRAMES frames before its first frame (those
 * outputs are dropped); the filter's memory decays fast, so the cut costs
 * at most 0.005 on the 16-bit scale on the eval sentences with 10 frames
 * (0.0009 with 12), well under the float lanes' own rounding (0.05-0.11,
 * 0.19-0.31 before the HTS-form tap update).
 * The grid is the utterance's, not the job's: a job that starts inside a
 * cell resumes it from the state the previous job left (the state of the
 * lane that filtered the last frame), and the warm-up input of a cell that
 * begins right after a job boundary comes from the history kept in the
 * state. So chunked == one-shot, bit for bit, for any chunking.
 *
 * Progress: frames of a job become final in two ways. The lane holding a
 * group's first cell outputs one job frame per step once its warm-up is
 * done (cell 0 has none), and the group's other frames are final when the
 * group ends. After each step the job's on_final (kernels.h) is told the
 * final prefix, so the vocoder can pass on an utterance's first 50 ms
 * while the rest is being filtered (docs/ENGINE-IMPL.md, "The first
 * chunk").
 *
 * Float lanes: the lanes hold the coefficients, delay lines and samples in
 * float (the input excitation, the coefficients' computation from the
 * mel-cepstra and the gain in double). A tap's delay-line update is
 * HTS's own form, d[k] + a * (d[k+1] - d[k-1]): one subtraction and one
 * FMA, where the sequential AVX2 build fuses two FMAs; Zen 3 runs the
 * subtraction on its adder pipes, away from the FMA pipes the tap loop is
 * bound by, and the difference of two neighbouring taps loses less in
 * float. The coefficients of sample s of a frame are b + s * binc (one
 * FMA, nothing stored) instead of b stepped and stored every sample. The
 * gain exp(b[0]), with b[0] stepped linearly per sample, is exp once per
 * frame stepped by the factor exp(binc[0]) per sample (the same function
 * up to rounding). Against the sequential double filter: at most 0.11 on
 * the 16-bit scale (7.3e-6 of the peak; the 16-bit output's rounding step
 * is 1; 0.31 with the fused form), LSD 0.0026 dB, on the eval sentences
 * (docs/ENGINE-IMPL.md, "MLSA cells"). The state between
 * jobs is the sequential layout in double; float -> double -> float is
 * exact, so a resumed lane continues unchanged. Three builds: AVX-512
 * (sixteen lanes in one vector), AVX2+FMA (two vectors of eight) and
 * portable C, lane by lane with fmaf() (correctly rounded like the vector
 * instructions): identical samples on every CPU, only slower without the
 * vector units.
 *
 * The AVX2 build: sixteen lanes are two 8-float halves, and the halves are
 * independent cells, so a frame runs for lanes 0-7 and then for lanes
 * 8-15 (only lanes 0-7 when a group's cells fit in them, lanes_run), with
 * each half's delay lines in a block of their own (fir_at,
 * "split"). One pass then touches about 18 KB instead of the ~36 KB both
 * halves need (order 44), which fits a 32 KB L1 data cache; alternating the
 * halves every sample did not (mlsa_bench on a Zen 3, order 44: 38 -> 29
 * ns per sample; time per tap rose steeply above order 34 before). The
 * arithmetic is unchanged, so the samples are too; the AVX-512 build keeps
 * the interleaved layout and its code. */
#include "kernels/cpu/mlsa_cells.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 16, NS = SS_MLSA_PADE, W = SS_MLSA_WARMUP_FRAMES, PLAN_MAX_FRAMES = 64 };
/* The second section's delay lines: FIR_ROWS taps of NS stages per lane;
 * the AVX2 build keeps its two halves of HALF lanes apart (FIR_HALF floats
 * each, "The AVX2 build" above). */
enum { HALF = 8, FIR_ROWS = SS_MLSA_MAX_ORDER + 2, FIR_HALF = FIR_ROWS * NS * HALF };
enum { HIST_MCEP = W * (SS_MLSA_MAX_ORDER + 1) }; /* history: mel-cepstra first */
_Static_assert(SS_MLSA_CELL_FRAMES >= SS_MLSA_WARMUP_FRAMES, "a warm-up may not reach back two cells");

/* The utterance's grid: cell 0 is frames [0, x + s), cell c >= 1 frames
 * [x + c * s, x + (c + 1) * s). s >= W, so a warm-up never reaches back two
 * cells. */
typedef struct {
    size_t s, x;
} cell_grid;

static cell_grid grid_of(const ss_mlsa_state *st, size_t per_group)
{
    const size_t n = st->utterance_frames;
    if (n == 0)
        return (cell_grid){.s = SS_MLSA_CELL_FRAMES, .x = 0};
    const size_t rest = n > W ? n - W : 0; /* frames after cell 0's extra W */
    const size_t groups = rest > 0 ? (rest + per_group * PLAN_MAX_FRAMES - 1) / (per_group * PLAN_MAX_FRAMES) : 1;
    size_t s = (rest + per_group * groups - 1) / (per_group * groups);
    return (cell_grid){.s = s < W ? W : s, .x = W};
}

static size_t grid_start(cell_grid g, size_t c)
{
    return c == 0 ? 0 : g.x + c * g.s;
}

static size_t grid_cell(cell_grid g, size_t f)
{
    return f < g.x + g.s ? 0 : (f - g.x) / g.s;
}

static const float pade5[SS_MLSA_PADE + 1] = {1.0f,        0.4999391f,    0.1107098f,
                                              0.01369984f, 0.0009564853f, 0.00003041721f};

/* K (sixteen) filters side by side, every value stored [...][lane]. The
 * second section's delay lines are double-buffered rows [tap][stage][lane]
 * (split: [half][tap][stage][lane of the half], fir_at): a sample reads
 * fir[cur] and writes fir[!cur], in the sequential layout's convention
 * (row 1 and row 2 both hold tap 1, row k+1 tap k). */
typedef struct {
    int m;
    float a, aa;
    int cur;
    int split; /* 1: fir in the AVX2 build's split layout */
    _Alignas(64) float b[SS_MLSA_MAX_ORDER + 1][K];
    _Alignas(64) float binc[SS_MLSA_MAX_ORDER + 1][K];
    _Alignas(64) float d1[2 * (SS_MLSA_PADE + 1)][K]; /* section 1: d[0..5], pt[0..5] */
    _Alignas(64) float pt[SS_MLSA_PADE + 1][K];       /* section 2 outputs */
    _Alignas(64) float fir[2][FIR_ROWS * NS * K];
} lanes;

/* Where lane l's tap r, stage s is in a fir buffer. */
static size_t fir_at(const lanes *L, int r, int s, int l)
{
    if (L->split)
        return (size_t)(l / HALF) * FIR_HALF + ((size_t)r * NS + (size_t)s) * HALF + (size_t)(l % HALF);
    return ((size_t)r * NS + (size_t)s) * K + (size_t)l;
}

/* One cell's work, in frames of the job's extended frame list (history
 * frames first, then the job's); slot: its warm-up input's snapshot. */
typedef struct {
    size_t first, count, warm, slot;
    int resume; /* 1 = continue the job's state, 0 = start from zero */
} cell_task;

/* ------------------------------------------------------ lane <-> state --- */

static void lane_zero(lanes *L, int l)
{
    for (int i = 0; i < 2 * (SS_MLSA_PADE + 1); i++)
        L->d1[i][l] = 0.0f;
    for (int i = 0; i <= SS_MLSA_PADE; i++)
        L->pt[i][l] = 0.0f;
    for (int r = 0; r < L->m + 2; r++)
        for (int s = 0; s < NS; s++)
            L->fir[L->cur][fir_at(L, r, s, l)] = 0.0f;
}

static void lane_load(lanes *L, int l, const ss_mlsa_state *st)
{
    for (int i = 0; i <= L->m; i++)
        L->b[i][l] = (float)st->b[i];
    for (int i = 0; i < 2 * (SS_MLSA_PADE + 1); i++)
        L->d1[i][l] = (float)st->d1[i];
    for (int i = 0; i <= SS_MLSA_PADE; i++)
        L->pt[i][l] = (float)st->pt[i];
    for (int r = 0; r < L->m + 2; r++)
        for (int s = 0; s < NS; s++)
            L->fir[L->cur][fir_at(L, r, s, l)] = (float)st->fir[r * SS_MLSA_LANES + s];
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
            st->fir[r * SS_MLSA_LANES + s] = L->fir[L->cur][fir_at(L, r, s, l)];
        st->fir[r * SS_MLSA_LANES + NS] = 0.0;
    }
    st->started = 1;
}

/* ------------------------------------------------------- one sample ------ */

/* Portable build of one sample for the K lanes: section 1, b[0..1]
 * advance, section 2 with b[2..m] advancing in the tap loop, output stage.
 * In float, with fmaf() where the vector builds fuse (correctly rounded
 * like the vector instructions), so the builds agree bit for bit. */
static void sample_portable(lanes *L, int o, int n, float si, const float *x, float *y_out)
{
    const int m = L->m;
    const float a = L->a, aa = L->aa;
    const float *A = L->fir[L->cur];
    float *B = L->fir[!L->cur];
    for (int l = o; l < o + n; l++) {
        float *d = &L->d1[0][0], *p1 = &L->d1[SS_MLSA_PADE + 1][0];
        float xs = x[l], out = 0.0f;
        for (int i = SS_MLSA_PADE; i >= 1; i--) {
            d[i * K + l] = aa * p1[(i - 1) * K + l] + a * d[i * K + l];
            p1[i * K + l] = d[i * K + l] * fmaf(si, L->binc[1][l], L->b[1][l]);
            float v = p1[i * K + l] * pade5[i];
            xs += (i & 1) ? v : -v;
            out += v;
        }
        p1[l] = xs;
        xs = out + xs;
        float ys[NS];
        for (int s = 0; s < NS; s++) {
            float prev = fmaf(aa, L->pt[s][l], a * A[(1 * NS + s) * K + l]), y = 0.0f;
            B[(1 * NS + s) * K + l] = prev;
            B[(2 * NS + s) * K + l] = prev;
            for (int k = 2; k <= m; k++) {
                float nk = fmaf(a, A[((k + 1) * NS + s) * K + l] - prev, A[(k * NS + s) * K + l]);
                B[((k + 1) * NS + s) * K + l] = nk;
                y = fmaf(nk, fmaf(si, L->binc[k][l], L->b[k][l]), y);
                prev = nk;
            }
            ys[s] = y;
        }
        for (int s = 0; s < NS; s++)
            L->pt[s + 1][l] = ys[s];
        float out2 = 0.0f;
        for (int i = SS_MLSA_PADE; i >= 1; i--) {
            float v = L->pt[i][l] * pade5[i];
            xs += (i & 1) ? v : -v;
            out2 += v;
        }
        L->pt[0][l] = xs;
        y_out[l] = out2 + xs;
    }
}

/* The vector builds of one sample, written once and instantiated per
 * vector width (AVX2+FMA: 8 lanes, one half of the lanes per call, each
 * half a frame at a time; AVX-512: all 16). FIRBASE(o) is where lane o's
 * delay lines begin in a fir buffer and KS the lanes per fir row (the
 * split or the interleaved layout, fir_at). V is the vector type; the operations are the ISA's intrinsics, plain
 * multiplies and adds where mlsa.c has them and fused where it fuses, so
 * every lane computes exactly what sample_portable computes. The five
 * stages' chains and accumulators are named locals (no arrays: GCC would
 * keep those in stack slots inside the tap loop). Lanes [o, o + width). */
#define DEFINE_SAMPLE(NAME, TARGET, FIRBASE, KS, V, LD, ST, ADD, SUB, MUL, FMA, FNMA, SET1, ZERO)      \
    __attribute__((target(TARGET))) static void NAME(lanes *L, int o, float si, const float *xg,       \
                                                     float *y_out)                                     \
    {                                                                                                  \
        const int m = L->m;                                                                            \
        const V va = SET1(L->a), vaa = SET1(L->aa), vs = SET1(si);                                     \
        const float *A = L->fir[L->cur] + FIRBASE(o);                                                  \
        float *B = L->fir[!L->cur] + FIRBASE(o);                                                       \
        /* section 1 */                                                                                \
        V x = LD(xg + o), out = ZERO();                                                                \
        const V b1 = FMA(vs, LD(L->binc[1] + o), LD(L->b[1] + o));                                     \
        for (int i = SS_MLSA_PADE; i >= 1; i--) {                                                      \
            const V d = ADD(MUL(vaa, LD(L->d1[SS_MLSA_PADE + i] + o)), MUL(va, LD(L->d1[i] + o)));     \
            ST(L->d1[i] + o, d);                                                                       \
            const V p = MUL(d, b1);                                                                    \
            ST(L->d1[SS_MLSA_PADE + 1 + i] + o, p);                                                    \
            const V v = MUL(p, SET1(pade5[i]));                                                        \
            x = (i & 1) ? ADD(x, v) : SUB(x, v);                                                       \
            out = ADD(out, v);                                                                         \
        }                                                                                              \
        ST(L->d1[SS_MLSA_PADE + 1] + o, x);                                                            \
        x = ADD(out, x);                                                                               \
        /* section 2: tap 1 of each stage, then the tap chain */                                       \
        V prev0, prev1, prev2, prev3, prev4;                                                           \
        V y0 = ZERO(), y1 = y0, y2 = y0, y3 = y0, y4 = y0;                                             \
        prev0 = FMA(vaa, LD(L->pt[0] + o), MUL(va, LD(A + (1 * NS + 0) * KS)));                        \
        ST(B + (1 * NS + 0) * KS, prev0);                                                              \
        ST(B + (2 * NS + 0) * KS, prev0);                                                              \
        prev1 = FMA(vaa, LD(L->pt[1] + o), MUL(va, LD(A + (1 * NS + 1) * KS)));                        \
        ST(B + (1 * NS + 1) * KS, prev1);                                                              \
        ST(B + (2 * NS + 1) * KS, prev1);                                                              \
        prev2 = FMA(vaa, LD(L->pt[2] + o), MUL(va, LD(A + (1 * NS + 2) * KS)));                        \
        ST(B + (1 * NS + 2) * KS, prev2);                                                              \
        ST(B + (2 * NS + 2) * KS, prev2);                                                              \
        prev3 = FMA(vaa, LD(L->pt[3] + o), MUL(va, LD(A + (1 * NS + 3) * KS)));                        \
        ST(B + (1 * NS + 3) * KS, prev3);                                                              \
        ST(B + (2 * NS + 3) * KS, prev3);                                                              \
        prev4 = FMA(vaa, LD(L->pt[4] + o), MUL(va, LD(A + (1 * NS + 4) * KS)));                        \
        ST(B + (1 * NS + 4) * KS, prev4);                                                              \
        ST(B + (2 * NS + 4) * KS, prev4);                                                              \
        for (int k = 2; k <= m; k++) {                                                                 \
            const V bk = FMA(vs, LD(L->binc[k] + o), LD(L->b[k] + o));                                 \
            const float *a_k = A + (size_t)k * NS * KS, *a_next = a_k + NS * KS;                       \
            float *b_next = B + (size_t)(k + 1) * NS * KS;                                             \
            /* nk = old + a*(next - prev) (HTS's form), y = nk*b + y */                                \
            prev0 = FMA(va, SUB(LD(a_next + 0 * KS), prev0), LD(a_k + 0 * KS));                        \
            prev1 = FMA(va, SUB(LD(a_next + 1 * KS), prev1), LD(a_k + 1 * KS));                        \
            prev2 = FMA(va, SUB(LD(a_next + 2 * KS), prev2), LD(a_k + 2 * KS));                        \
            prev3 = FMA(va, SUB(LD(a_next + 3 * KS), prev3), LD(a_k + 3 * KS));                        \
            prev4 = FMA(va, SUB(LD(a_next + 4 * KS), prev4), LD(a_k + 4 * KS));                        \
            ST(b_next + 0 * KS, prev0);                                                                \
            ST(b_next + 1 * KS, prev1);                                                                \
            ST(b_next + 2 * KS, prev2);                                                                \
            ST(b_next + 3 * KS, prev3);                                                                \
            ST(b_next + 4 * KS, prev4);                                                                \
            y0 = FMA(prev0, bk, y0);                                                                   \
            y1 = FMA(prev1, bk, y1);                                                                   \
            y2 = FMA(prev2, bk, y2);                                                                   \
            y3 = FMA(prev3, bk, y3);                                                                   \
            y4 = FMA(prev4, bk, y4);                                                                   \
        }                                                                                              \
        /* output stage, stage 5 first: pt[i] = y, x +/-= y * pade[i] */                               \
        out = ZERO();                                                                                  \
        ST(L->pt[5] + o, y4);                                                                          \
        out = ADD(out, MUL(y4, SET1(pade5[5])));                                                       \
        x = ADD(x, MUL(y4, SET1(pade5[5])));                                                           \
        ST(L->pt[4] + o, y3);                                                                          \
        x = SUB(x, MUL(y3, SET1(pade5[4])));                                                           \
        out = ADD(out, MUL(y3, SET1(pade5[4])));                                                       \
        ST(L->pt[3] + o, y2);                                                                          \
        x = ADD(x, MUL(y2, SET1(pade5[3])));                                                           \
        out = ADD(out, MUL(y2, SET1(pade5[3])));                                                       \
        ST(L->pt[2] + o, y1);                                                                          \
        x = SUB(x, MUL(y1, SET1(pade5[2])));                                                           \
        out = ADD(out, MUL(y1, SET1(pade5[2])));                                                       \
        ST(L->pt[1] + o, y0);                                                                          \
        x = ADD(x, MUL(y0, SET1(pade5[1])));                                                           \
        out = ADD(out, MUL(y0, SET1(pade5[1])));                                                       \
        ST(L->pt[0] + o, x);                                                                           \
        ST(y_out + o, ADD(out, x));                                                                    \
    }

/* the fir offset of the lanes from o on: the same layout, or the split one */
#define SAME_BASE(o) (o)
#define SPLIT_BASE(o) ((size_t)(o) / HALF * FIR_HALF)
DEFINE_SAMPLE(sample_avx2, "avx2,fma", SPLIT_BASE, HALF, __m256, _mm256_load_ps, _mm256_store_ps,
              _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_fmadd_ps, _mm256_fnmadd_ps, _mm256_set1_ps, _mm256_setzero_ps)
DEFINE_SAMPLE(sample_avx512, "avx512f", SAME_BASE, K, __m512, _mm512_load_ps, _mm512_store_ps,
              _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_fmadd_ps, _mm512_fnmadd_ps, _mm512_set1_ps, _mm512_setzero_ps)

/* ------------------------------------------------------- the cells ------- */

typedef struct {
    const ss_mlsa_job *j;
    double *warm_ex;       /* [cells][W * fp] each cell's warm-up input, copied
                              before filtering (an in-place job overwrites it) */
    const double *silence; /* [fp] zeros: input of a lane without work */
    double *sink;          /* [K][fp] output of warm-up and idle steps */
    size_t h;              /* history frames in front of the job's */
    ss_mlsa_cells_build build;
} cell_job;

static const double *frame_mcep(const cell_job *c, size_t e)
{
    const ss_mlsa_state *st = c->j->state;
    const size_t dim = (size_t)st->order + 1;
    if (e < c->h)
        return st->history + (W - c->h + e) * dim;
    return c->j->mcep + (e - c->h) * dim;
}

/* One frame step's inputs per lane: where its excitation comes from and its
 * output goes, the frame's coefficients (float, [i][lane]), and the gain
 * at the frame's first sample and its per-sample factor. */
typedef struct {
    const double *ex[K];
    double *out[K];
    _Alignas(64) float bnext[SS_MLSA_MAX_ORDER + 1][K];
    _Alignas(64) double gain[K], gain_step[K];
} frame_step;

static const double zero_mcep[SS_MLSA_MAX_ORDER + 1]; /* input of a lane without work */

/* Sets up frame step f: mel-cepstra -> coefficients for all lanes at once
 * (mc2b's recurrence b[i] = mc[i] - a * b[i + 1], as in mlsa.c, runs
 * across the lanes, so sixteen chains are in flight instead of one), the
 * per-sample
 * increments, the gain. A lane without work (or past its cell's end)
 * filters silence into the sink with its coefficients held. */
static void frame_setup(const cell_job *c, lanes *L, const cell_task *t, int n, int nl, size_t f, frame_step *fs)
{
    const ss_mlsa_job *j = c->j;
    const size_t fp = j->frame_period;
    const int m = L->m;
    const double a = j->state->alpha;
    const double *mc[K];
    int busy[K];
    /* lanes [nl, K) do not run this group (lanes_run) */
    for (int l = 0; l < nl; l++) {
        busy[l] = l < n && f < t[l].count;
        const size_t e = busy[l] ? t[l].first + f : 0;
        mc[l] = busy[l] ? frame_mcep(c, e) : zero_mcep;
        fs->ex[l] = !busy[l] ? c->silence
                    : f < t[l].warm ? c->warm_ex + (t[l].slot * W + f) * fp
                                    : j->excitation + (e - c->h) * fp;
        fs->out[l] = !busy[l] || f < t[l].warm ? c->sink + (size_t)l * fp : j->out + (e - c->h) * fp;
    }
    _Alignas(64) double bd[K];
    for (int l = 0; l < nl; l++) {
        bd[l] = mc[l][m];
        fs->bnext[m][l] = (float)bd[l];
    }
    for (int i = m - 1; i >= 0; i--)
        for (int l = 0; l < nl; l++) {
            bd[l] = mc[l][i] - a * bd[l];
            fs->bnext[i][l] = (float)bd[l];
        }
    for (int l = 0; l < nl; l++)
        if (busy[l] && f == 0 && !t[l].resume)
            for (int i = 0; i <= m; i++)
                L->b[i][l] = fs->bnext[i][l];
    for (int i = 0; i <= m; i++)
        for (int l = 0; l < nl; l++)
            L->binc[i][l] = busy[l] ? (float)(((double)fs->bnext[i][l] - (double)L->b[i][l]) / (double)fp) : 0.0f;
    for (int l = 0; l < nl; l++) {
        fs->gain[l] = busy[l] ? exp((double)L->b[0][l]) : 0.0; /* silence in, silence out */
        fs->gain_step[l] = busy[l] ? exp((double)L->binc[0][l]) : 1.0;
    }
}

/* The frame's samples for lanes [o, o + n) (all K, or one AVX2 half). */
static inline __attribute__((always_inline)) void frame_samples_of(const cell_job *c, lanes *L, frame_step *fs, int o,
                                                                 int n)
{
    const size_t fp = c->j->frame_period;
    _Alignas(64) double g[K], r[K];
    memcpy(g, fs->gain, sizeof g);
    memcpy(r, fs->gain_step, sizeof r);
    for (size_t s = 0; s < fp; s++) {
        /* the gain exp(b[0]) steps geometrically as b[0] steps linearly */
        _Alignas(64) float xg[K], y[K];
        for (int l = o; l < o + n; l++) {
            xg[l] = (float)(fs->ex[l][s] * g[l]);
            g[l] *= r[l];
        }
        if (c->build == SS_MLSA_CELLS_AVX512)
            sample_avx512(L, 0, (float)s, xg, y);
        else if (c->build == SS_MLSA_CELLS_AVX2)
            sample_avx2(L, o, (float)s, xg, y);
        else
            sample_portable(L, o, n, (float)s, xg, y);
        L->cur = !L->cur;
        for (int l = o; l < o + n; l++)
            fs->out[l][s] = y[l];
    }
}

/* The frame's samples for all lanes. The AVX2 build runs the frame for
 * lanes 0-7, then again for lanes 8-15 (the cells are independent), so a
 * pass keeps one half's delay lines in the L1 cache. */
static void frame_samples(const cell_job *c, lanes *L, frame_step *fs, int nl)
{
    if (c->build == SS_MLSA_CELLS_AVX2) {
        const int cur = L->cur;
        frame_samples_of(c, L, fs, 0, HALF);
        if (nl > HALF) {
            L->cur = cur;
            frame_samples_of(c, L, fs, HALF, HALF);
        }
    } else {
        frame_samples_of(c, L, fs, 0, nl);
    }
}

/* The lanes a group of n cells runs: all K in the AVX-512 build (one
 * vector), else the first half alone when the cells fit in it (the halves
 * run one after the other, so an idle half would only cost time). */
static int lanes_run(const cell_job *c, int n)
{
    return c->build == SS_MLSA_CELLS_AVX512 || n > HALF ? K : HALF;
}

/* Output frames of the group's cells, in job order. */
static size_t group_frames(const cell_task *t, int n)
{
    size_t frames = 0;
    for (int l = 0; l < n; l++)
        frames += t[l].count - t[l].warm;
    return frames;
}

/* After step f of a group whose first cell's output begins at job frame
 * before: tells the job's on_final how many of its frames are final. Lane
 * 0 holds the group's first cell, so its frames become final one per step
 * once its warm-up is done; the other lanes' only when the group ends. */
static void report_progress(const cell_job *c, const cell_task *t, size_t before, size_t f)
{
    const ss_mlsa_job *j = c->j;
    if (!j->on_final || f + 1 <= t[0].warm)
        return;
    const size_t own = t[0].count - t[0].warm, done = f + 1 - t[0].warm;
    j->on_final(j->on_final_user, before + (done < own ? done : own));
}

/* Runs up to K cells side by side; a lane without work (or past its
 * cell's end) filters silence into a sink. With store_to, the last lane's
 * state is saved there right after its last frame (before any idle step).
 * before: the job frames ahead of the group's first cell (progress). */
static void run_group(const cell_job *c, lanes *L, const cell_task *t, int n, ss_mlsa_state *store_to,
                      size_t before)
{
    const ss_mlsa_job *j = c->j;
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
    frame_step fs;
    const int nl = lanes_run(c, n);
    for (size_t f = 0; f < steps; f++) {
        frame_setup(c, L, t, n, nl, f, &fs);
        frame_samples(c, L, &fs, nl);
        /* b lands exactly on the frame's coefficients, as in mlsa.c */
        for (int l = 0; l < n; l++)
            if (f < t[l].count)
                for (int i = 0; i <= m; i++)
                    L->b[i][l] = fs.bnext[i][l];
        if (store_to && f + 1 == t[n - 1].count)
            lane_store(L, n - 1, store_to);
        report_progress(c, t, before, f);
    }
    if (c->j->on_final)
        c->j->on_final(c->j->on_final_user, before + group_frames(t, n));
}

/* Cell c of the grid, clipped to the job's frames [f0, f0 + nf), as a task
 * over the extended frame list (h history frames first). */
static cell_task cell_at(cell_grid grid, size_t c, size_t f0, size_t nf, size_t h)
{
    const size_t g = grid_start(grid, c), next = grid_start(grid, c + 1);
    const size_t end = next < f0 + nf ? next : f0 + nf;
    if (g < f0) /* the cell the previous job was in: resume it */
        return (cell_task){.first = h, .count = end - f0, .warm = 0, .resume = 1};
    if (g == 0) /* the utterance's first cell: no warm-up */
        return (cell_task){.first = 0, .count = end, .warm = 0, .resume = 0};
    /* g >= s >= W and h = min(f0, W), so the warm-up starts inside the list */
    return (cell_task){.first = g - W - (f0 - h), .count = end - (g - W), .warm = W, .resume = 0};
}

/* Input of frame e of the extended list, before filtering. */
static const double *frame_input(const cell_job *c, size_t e)
{
    const size_t fp = c->j->frame_period;
    if (e < c->h)
        return c->j->state->history + HIST_MCEP + (W - c->h + e) * fp;
    return c->j->excitation + (e - c->h) * fp;
}

/* Copies every cell's warm-up input (before an in-place job overwrites it)
 * and the input history for the next job (tmp: [W * fp] scratch). */
static void keep_inputs(const cell_job *c, const cell_task *t, size_t ncells, double *tmp)
{
    ss_mlsa_state *st = c->j->state;
    const size_t fp = c->j->frame_period, bytes = fp * sizeof(double);
    for (size_t i = 0; i < ncells; i++)
        for (size_t f = 0; f < t[i].warm; f++)
            memcpy(c->warm_ex + (t[i].slot * W + f) * fp, frame_input(c, t[i].first + f), bytes);
    const size_t total = c->h + c->j->nframes, keep = total < W ? total : W;
    for (size_t i = 0; i < keep; i++)
        memcpy(tmp + i * fp, frame_input(c, total - keep + i), bytes);
    memcpy(st->history + HIST_MCEP + (W - keep) * fp, tmp, keep * bytes);
}

/* Keeps the last W frames' mel-cepstra for the next job's warm-ups. */
static void keep_mcep_history(const cell_job *c)
{
    ss_mlsa_state *st = c->j->state;
    const size_t dim = (size_t)st->order + 1;
    const size_t total = c->h + c->j->nframes, keep = total < W ? total : W;
    double mc[HIST_MCEP];
    for (size_t i = 0; i < keep; i++)
        memcpy(mc + i * dim, frame_mcep(c, total - keep + i), dim * sizeof(double));
    memcpy(st->history + (W - keep) * dim, mc, keep * dim * sizeof(double));
}

int ss_mlsa_cells_per_group(ss_mlsa_cells_build build)
{
    return build == SS_MLSA_CELLS_AVX512 ? K : HALF;
}

ss_mlsa_cells_build ss_mlsa_cells_best(void)
{
    if (__builtin_cpu_supports("avx512f"))
        return SS_MLSA_CELLS_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return SS_MLSA_CELLS_AVX2;
    return SS_MLSA_CELLS_PORTABLE;
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

int ss_mlsa_cells_run(const ss_mlsa_job *j, ss_mlsa_cells_build build, int per_group, char *err, size_t errlen)
{
    ss_mlsa_state *st = j->state;
    const size_t fp = j->frame_period, nf = j->nframes, f0 = st->frames_done;
    if (ensure_history(st, fp, err, errlen) != 0)
        return -1;
    if (nf == 0)
        return 0;
    if (per_group != HALF && per_group != K) {
        snprintf(err, errlen, "mlsa: %d cells per group (8 or 16)", per_group);
        return -1;
    }
    const size_t h = f0 < W ? f0 : W;
    const cell_grid grid = grid_of(st, (size_t)per_group);
    const size_t c0 = grid_cell(grid, f0), c1 = grid_cell(grid, f0 + nf - 1), ncells = c1 - c0 + 1;
    cell_task *t = malloc(ncells * sizeof *t);
    double *scratch = malloc((ncells * W + W + 1 + K) * fp * sizeof(double));
    lanes *L = aligned_alloc(_Alignof(lanes), sizeof(lanes));
    if (!t || !scratch || !L) {
        free(t);
        free(scratch);
        free(L);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ncells; i++) {
        t[i] = cell_at(grid, c0 + i, f0, nf, h);
        t[i].slot = i;
    }
    double *tmp = scratch + ncells * W * fp, *silence = tmp + W * fp;
    memset(silence, 0, fp * sizeof(double));
    const cell_job c_job = {.j = j, .warm_ex = scratch, .silence = silence, .sink = silence + fp, .h = h,
                            .build = build};
    keep_inputs(&c_job, t, ncells, tmp);
    L->m = st->order;
    L->a = (float)st->alpha;
    L->aa = (float)(1.0 - st->alpha * st->alpha);
    L->cur = 0;
    L->split = build == SS_MLSA_CELLS_AVX2;
    size_t before = 0;
    for (size_t i = 0; i < ncells; i += K) {
        const int n = ncells - i < K ? (int)(ncells - i) : K;
        run_group(&c_job, L, t + i, n, i + K >= ncells ? st : NULL, before);
        before += group_frames(t + i, n);
    }
    keep_mcep_history(&c_job);
    free(t);
    free(scratch);
    free(L);
    st->frames_done = f0 + nf;
    return 0;
}
