/* Unit tests for common/resample_whole: fed in blocks, soxr gives the very
 * samples soxr_oneshot gives (bit for bit) at the rate pairs the voice
 * analysis uses, for inputs shorter than a block, exactly a few blocks and
 * not a multiple of one; the output is cut at its capacity as oneshot cuts
 * it; an empty input gives nothing; a bad rate is an error with soxr's
 * message. */
#include "common/resample_whole.h"

#include <criterion/criterion.h>
#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

/* A chirp with some noise: every frequency band gets something to filter. */
static float *signal_of(size_t n, int rate)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    cr_assert_not_null(x);
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double noise = (double)rand_r(&seed) / RAND_MAX - 0.5;
        x[i] = (float)(0.6 * sin(2 * M_PI * (100.0 + 2000.0 * t) * t) + 0.05 * noise);
    }
    return x;
}

static void same_as_oneshot(size_t n, int in_rate, int out_rate, unsigned long recipe)
{
    float *x = signal_of(n, in_rate);
    size_t cap = (size_t)((double)n * out_rate / in_rate) + 16;
    float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    cr_assert(a && b);
    soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    size_t na = 0, nb = 0;
    cr_assert_null(soxr_oneshot(in_rate, out_rate, 1, x, n, NULL, a, cap, &na, &io, &q, NULL));
    char err[256] = "";
    cr_assert_eq(ss_resample_whole(x, n, in_rate, out_rate, recipe, b, cap, &nb, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nb, na, "%zu samples %d -> %d: %zu, oneshot %zu", n, in_rate, out_rate, nb, na);
    cr_assert_eq(memcmp(a, b, na * sizeof *a), 0, "%zu samples %d -> %d differ from oneshot", n, in_rate,
                 out_rate);
    free(x);
    free(a);
    free(b);
}

Test(resample_whole, bit_identical_to_oneshot)
{
    static const size_t lengths[] = {1, 100, 8191, 8192, 3 * 8192, 3 * 8192 + 777, 480000};
    static const int pairs[][2] = {{44100, 16000}, {48000, 16000}, {22050, 16000}, {8000, 16000}, {32000, 16000}};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            same_as_oneshot(lengths[i], pairs[p][0], pairs[p][1], SOXR_HQ);
            same_as_oneshot(lengths[i], pairs[p][0], pairs[p][1], SOXR_MQ);
        }
}

Test(resample_whole, output_is_cut_at_its_capacity)
{
    float *x = signal_of(48000, 48000);
    float out[1000];
    size_t n = 0;
    char err[256] = "";
    cr_assert_eq(ss_resample_whole(x, 48000, 48000, 16000, SOXR_HQ, out, 1000, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 1000);
    free(x);
}

Test(resample_whole, empty_input_gives_nothing)
{
    float out[16];
    size_t n = 99;
    char err[256] = "";
    cr_assert_eq(ss_resample_whole(NULL, 0, 44100, 16000, SOXR_HQ, out, 16, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 0);
}

Test(resample_whole, a_bad_rate_is_an_error)
{
    float x[4] = {0}, out[16];
    size_t n = 0;
    char err[256] = "";
    cr_assert_eq(ss_resample_whole(x, 4, -5, 16000, SOXR_HQ, out, 16, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "resampling failed: ") == err, "%s", err);
}
