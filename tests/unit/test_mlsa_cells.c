/* Unit tests for the MLSA kernel's cell mode (kernels/cpu/mlsa_cells.c):
 * the AVX-512, AVX2+FMA and portable builds give the same samples bit for
 * bit on the same grid (8 or 16 cells per group); any
 * chunking gives the one-shot samples bit for bit (chunks of one frame,
 * chunks ending on a cell boundary, chunks inside a warm-up); the cells
 * (float lanes, zero-state warm-ups) stay within a tight bound of the
 * sequential double filter; a frame period change within an utterance is
 * refused; a job's on_final progress only ever names frames that hold
 * their final samples, grows, and ends at the job's length.
 * Each on the fixed grid and on the grid sized to the utterance
 * (utterance_frames set), including an utterance longer than announced and
 * one shorter than a warm-up.
 * The AVX-512 build is checked against the AVX2 one where the CPU has both.
 * Input: random mel-cepstra and excitation as in test_mlsa.c, long enough
 * for two groups of sixteen cells on the fixed grid and on the sized one
 * (three of eight where the grid is planned eight cells to a group). */
#include "kernels/cpu/mlsa_cells.h"
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { M = 44, FP = 40, NF = 17 * SS_MLSA_CELL_FRAMES + 17, NS = NF * FP };

static void random_input(double *mc, double *ex, unsigned seed)
{
    for (int f = 0; f < NF; f++)
        for (int i = 0; i <= M; i++)
            mc[f * (M + 1) + i] = (i == 0 ? 1.0 : 0.3 / (i + 1)) * ((double)rand_r(&seed) / RAND_MAX - 0.5) * 2;
    for (int n = 0; n < NS; n++)
        ex[n] = (n % 97 == 0) ? 9.0 : ((double)rand_r(&seed) / RAND_MAX - 0.5);
}

/* The grid of a run: announced utterance length (0 = fixed grid). */
static size_t planned;

/* Filters the input in chunks of the given frame counts (cycled; NULL = one
 * job), cell mode on or off, baseline/portable build or dispatched. */
static void run(const double *mc, const double *ex, double *out, int cells, int portable, const int *chunks,
                int nchunks)
{
    ss_mlsa_state st;
    char err[160];
    cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
    st.cells = cells;
    st.utterance_frames = planned;
    st.portable = portable;
    for (int f = 0, c = 0; f < NF; c++) {
        int n = chunks ? chunks[c % nchunks] : NF;
        if (f + n > NF)
            n = NF - f;
        ss_mlsa_job j = {.state = &st, .mcep = mc + f * (M + 1), .nframes = (size_t)n, .frame_period = FP,
                         .excitation = ex + f * FP, .out = out + f * FP};
        cr_assert_eq(ss_kern_mlsa(&j, 1, err, sizeof err), 0, "%s", err);
        f += n;
    }
    ss_mlsa_state_release(&st);
}

static double mc[NF * (M + 1)], ex[NS], a[NS], b[NS];

/* The grids the tests run on: fixed, sized to NF, announced shorter than
 * the input (cells continue past the end), and shorter than a warm-up. */
static const size_t grids[] = {0, NF, NF / 3, SS_MLSA_WARMUP_FRAMES - 5};
enum { NGRIDS = sizeof grids / sizeof grids[0] };

Test(mlsa_cells, dispatched_build_equals_portable_build_bit_for_bit)
{
    if (ss_mlsa_cells_best() == SS_MLSA_CELLS_PORTABLE)
        cr_skip_test("this CPU has no AVX2+FMA; only the portable build runs here");
    random_input(mc, ex, 3);
    for (int g = 0; g < 2; g++) {
        planned = grids[g];
        run(mc, ex, a, 1, 0, NULL, 0);
        run(mc, ex, b, 1, 1, NULL, 0);
        for (int n = 0; n < NS; n++)
            cr_assert_eq(memcmp(&a[n], &b[n], sizeof a[n]), 0, "grid %d, sample %d: %.17g vs %.17g", g, n, a[n],
                         b[n]);
    }
}

static void run_build(const double *src, double *out, ss_mlsa_cells_build build, int per_group)
{
    ss_mlsa_state st;
    char err[160];
    cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
    st.cells = 1;
    st.utterance_frames = planned;
    ss_mlsa_job j = {.state = &st, .mcep = mc, .nframes = NF, .frame_period = FP, .excitation = src, .out = out};
    cr_assert_eq(ss_mlsa_cells_run(&j, build, per_group, err, sizeof err), 0, "%s", err);
    ss_mlsa_state_release(&st);
}

Test(mlsa_cells, avx512_build_equals_avx2_build_bit_for_bit)
{
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("this CPU lacks AVX-512 or AVX2+FMA");
    random_input(mc, ex, 4);
    for (int per_group = 8; per_group <= 16; per_group += 8)
        for (int g = 0; g < NGRIDS; g++) {
            planned = grids[g];
            run_build(ex, a, SS_MLSA_CELLS_AVX2, per_group);
            run_build(ex, b, SS_MLSA_CELLS_AVX512, per_group);
            cr_assert_eq(memcmp(a, b, sizeof a), 0, "grid %d, %d per group: AVX-512 differs from AVX2", g, per_group);
        }
}

/* The AVX2 build runs one half of its lanes when a group's cells fit in
 * it, and both halves otherwise; either way its samples are the portable
 * build's, on both grids. */
Test(mlsa_cells, avx2_build_equals_portable_build_on_both_grids)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("this CPU lacks AVX2+FMA");
    random_input(mc, ex, 6);
    for (int per_group = 8; per_group <= 16; per_group += 8)
        for (int g = 0; g < NGRIDS; g++) {
            planned = grids[g];
            run_build(ex, a, SS_MLSA_CELLS_PORTABLE, per_group);
            run_build(ex, b, SS_MLSA_CELLS_AVX2, per_group);
            cr_assert_eq(memcmp(a, b, sizeof a), 0, "grid %d, %d per group: AVX2 differs from portable", g,
                         per_group);
        }
}

Test(mlsa_cells, refuses_a_group_width_other_than_8_or_16)
{
    ss_mlsa_state st;
    char err[160] = "";
    cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
    st.cells = 1;
    random_input(mc, ex, 7);
    ss_mlsa_job j = {.state = &st, .mcep = mc, .nframes = 4, .frame_period = FP, .excitation = ex, .out = a};
    cr_assert_eq(ss_mlsa_cells_run(&j, SS_MLSA_CELLS_PORTABLE, 12, err, sizeof err), -1);
    cr_assert(strstr(err, "cells per group") != NULL, "%s", err);
    ss_mlsa_state_release(&st);
}

Test(mlsa_cells, any_chunking_equals_one_shot_bit_for_bit)
{
    static const int one[] = {1};
    static const int boundary[] = {SS_MLSA_CELL_FRAMES};
    static const int ragged[] = {1, 2, SS_MLSA_CELL_FRAMES - 3, 1, SS_MLSA_WARMUP_FRAMES - 1, 5, 3 * SS_MLSA_CELL_FRAMES, 7};
    /* the grid sized to NF = 1088 frames: with 16 cells per group (AVX-512)
     * two groups, cell 0 is 46 frames, the others 34; with 8, three groups,
     * cell 0 is 55 frames, the others 45 */
    static const int sized[] = {46, 34, 33, 1, 20, 13};
    static const int sized8[] = {55, 45, 44, 1, 20, 13};
    const struct {
        const int *c;
        int n;
    } cases[] = {{one, 1}, {boundary, 1}, {ragged, 8}, {sized, 6}, {sized8, 6}};
    random_input(mc, ex, 5);
    for (int g = 0; g < NGRIDS; g++) {
        planned = grids[g];
        run(mc, ex, a, 1, 0, NULL, 0);
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            memcpy(b, ex, sizeof b); /* in place, as the vocoder runs it */
            run(mc, b, b, 1, 0, cases[k].c, cases[k].n);
            cr_assert_eq(memcmp(a, b, sizeof a), 0, "grid %d: chunking %zu differs from one-shot", g, k);
        }
    }
}

Test(mlsa_cells, cells_stay_within_the_float_tolerance_of_the_sequential_filter)
{
    random_input(mc, ex, 9);
    for (int g = 0; g < NGRIDS; g++) {
        planned = grids[g];
        run(mc, ex, a, 0, 0, NULL, 0);
        run(mc, ex, b, 1, 0, NULL, 0);
        double peak = 0, dev = 0;
        for (int n = 0; n < NS; n++) {
            peak = fmax(peak, fabs(a[n]));
            dev = fmax(dev, fabs(a[n] - b[n]));
        }
        cr_assert_gt(peak, 1.0);
        cr_assert_gt(dev, 0.0, "grid %d: the cells run in float", g);
        /* float lanes: measured 1.9e-7 of the peak here (7.3e-6 on speech,
         * where formant resonances amplify the rounding; hts_parity) */
        cr_assert_lt(dev, 1e-6 * peak, "grid %d: cells off by %g (peak %g)", g, dev, peak);
    }
}

/* What a job's on_final saw: every report checked against the one-shot
 * output (ref) at the moment it was made. */
typedef struct {
    const double *out, *ref; /* the job's out and the same frames of ref */
    size_t last, reports, nframes;
} progress_seen;

static void check_progress(void *user, size_t frames)
{
    progress_seen *p = user;
    cr_assert_geq(frames, p->last, "progress went back: %zu after %zu", frames, p->last);
    cr_assert_leq(frames, p->nframes);
    cr_assert_eq(memcmp(p->out, p->ref, frames * FP * sizeof(double)), 0,
                 "frames reported final (%zu) are not the final samples", frames);
    p->last = frames;
    p->reports++;
}

Test(mlsa_cells, progress_names_only_final_frames_and_ends_at_the_job_length)
{
    static const int ragged[] = {1, 2, SS_MLSA_CELL_FRAMES - 3, 1, SS_MLSA_WARMUP_FRAMES - 1, 5, 3 * SS_MLSA_CELL_FRAMES, 7};
    random_input(mc, ex, 6);
    for (int g = 0; g < NGRIDS; g++) {
        planned = grids[g];
        run(mc, ex, a, 1, 0, NULL, 0);
        for (int chunked = 0; chunked < 2; chunked++) {
            ss_mlsa_state st;
            char err[160];
            cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
            st.cells = 1;
            st.utterance_frames = planned;
            memcpy(b, ex, sizeof b); /* in place, as the vocoder runs it */
            size_t early = 0;         /* reports before a job's end */
            for (int f = 0, c = 0; f < NF; c++) {
                int n = chunked ? ragged[c % 8] : NF;
                if (f + n > NF)
                    n = NF - f;
                progress_seen p = {.out = b + (size_t)f * FP, .ref = a + (size_t)f * FP, .nframes = (size_t)n};
                ss_mlsa_job j = {.state = &st, .mcep = mc + f * (M + 1), .nframes = (size_t)n, .frame_period = FP,
                                 .excitation = b + f * FP, .out = b + f * FP, .on_final = check_progress,
                                 .on_final_user = &p};
                cr_assert_eq(ss_kern_mlsa(&j, 1, err, sizeof err), 0, "%s", err);
                cr_assert_eq(p.last, (size_t)n, "grid %d job at %d: progress ended at %zu of %d", g, f, p.last, n);
                early += p.reports > 1;
                f += n;
            }
            cr_assert_gt(early, 0, "grid %d: no job reported frames before its end", g);
            cr_assert_eq(memcmp(a, b, sizeof a), 0, "grid %d: progress changed the samples", g);
            ss_mlsa_state_release(&st);
        }
    }
}

Test(mlsa_cells, refuses_a_frame_period_change_within_an_utterance)
{
    ss_mlsa_state st;
    char err[160];
    random_input(mc, ex, 1);
    cr_assert_eq(ss_mlsa_state_init(&st, M, 0.45, err, sizeof err), 0);
    st.cells = 1;
    ss_mlsa_job j = {.state = &st, .mcep = mc, .nframes = 3, .frame_period = FP, .excitation = ex, .out = a};
    cr_assert_eq(ss_kern_mlsa(&j, 1, err, sizeof err), 0);
    j.frame_period = FP / 2;
    cr_assert_eq(ss_kern_mlsa(&j, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "frame period") != NULL, "%s", err);
    ss_mlsa_state_release(&st);
}
