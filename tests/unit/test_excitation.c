/* Unit tests for kernels/cpu/excitation: chunked calls carrying the state
 * equal one call, a bad period is refused, and the noise (generated a frame
 * at a time) is HTS's generator drawn one sample at a time, bit for bit. */
#include "kernels/kernels.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

Test(excitation, chunked_equals_one_shot)
{
    enum { NF = 12, FP = 80 };
    double period[NF] = {0, 0, 100, 110, 120, 0, 0, 90, 95, 100, 0, 0};
    double a[NF * FP], b[NF * FP];
    ss_excitation_state s1, s2;
    ss_excitation_state_init(&s1);
    ss_excitation_state_init(&s2);
    char err[128];
    ss_excitation_job one = {.state = &s1, .period = period, .nframes = NF, .frame_period = FP, .out = a};
    cr_assert_eq(ss_kern_excitation(&one, 1, err, sizeof err), 0);
    ss_excitation_job parts[2] = {
        {.state = &s2, .period = period, .nframes = 5, .frame_period = FP, .out = b},
        {.state = &s2, .period = period + 5, .nframes = NF - 5, .frame_period = FP, .out = b + 5 * FP},
    };
    cr_assert_eq(ss_kern_excitation(parts, 2, err, sizeof err), 0);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    double badp[1] = {-1};
    ss_excitation_job bad = {.state = &s1, .period = badp, .nframes = 1, .frame_period = FP, .out = a};
    cr_assert_eq(ss_kern_excitation(&bad, 1, err, sizeof err), -1);
}

/* HTS's noise, one sample at a time: LCG (15 bits) -> Marsaglia polar. */
typedef struct {
    uint64_t next;
    int have;
    double r2, s;
} reference_noise;

static double reference_uniform(uint64_t *next)
{
    *next = *next * 1103515245ULL + 12345ULL;
    return (double)((*next / 65536ULL) % 32768ULL) / 32767.0;
}

static double reference_gaussian(reference_noise *g)
{
    if (g->have) {
        g->have = 0;
        return g->r2 * g->s;
    }
    double r1, r2, s;
    do {
        r1 = 2.0 * reference_uniform(&g->next) - 1.0;
        r2 = 2.0 * reference_uniform(&g->next) - 1.0;
        s = r1 * r1 + r2 * r2;
    } while (s > 1.0 || s == 0.0);
    s = sqrt(-2.0 * log(s) / s);
    g->have = 1;
    g->r2 = r2;
    g->s = s;
    return r1 * s;
}

Test(excitation, noise_frames_equal_hts_one_sample_at_a_time)
{
    /* odd frame periods leave a pair's second value pending across frames
     * and calls; 301 samples need more tries than one batch holds; 1, 3
     * and 33 ask for an odd number of tries (computed two at a time) */
    const size_t periods[] = {1, 2, 3, 7, 33, 80, 160, 301};
    for (size_t pi = 0; pi < sizeof periods / sizeof periods[0]; pi++) {
        enum { NF = 9, MAXFP = 301 };
        const size_t fp = periods[pi];
        double period[NF] = {0, 0, 0, 120, 0, 0, 0, 0, 0};
        static double out[NF * MAXFP];
        ss_excitation_state st;
        ss_excitation_state_init(&st);
        char err[128];
        ss_excitation_job a = {.state = &st, .period = period, .nframes = 4, .frame_period = fp, .out = out};
        ss_excitation_job b = {.state = &st, .period = period + 4, .nframes = NF - 4, .frame_period = fp,
                               .out = out + 4 * fp};
        cr_assert_eq(ss_kern_excitation(&a, 1, err, sizeof err), 0, "%s", err);
        cr_assert_eq(ss_kern_excitation(&b, 1, err, sizeof err), 0, "%s", err);
        reference_noise g = {.next = 1};
        for (size_t f = 0; f < NF; f++) {
            if (period[f] != 0.0)
                continue;
            for (size_t n = 0; n < fp; n++) {
                const double want = reference_gaussian(&g), got = out[f * fp + n];
                cr_assert(memcmp(&want, &got, sizeof want) == 0, "frame period %zu, frame %zu, sample %zu: %.17g vs %.17g",
                          fp, f, n, got, want);
            }
        }
        cr_assert_eq(st.rng_next, g.next, "frame period %zu: the generator's state after the calls", fp);
    }
}
