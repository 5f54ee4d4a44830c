/* CPU excitation kernel (kernels.h): HTS pulse/noise excitation.
 *
 * Per frame the pitch period glides linearly from the current value to the
 * frame's target (only when both are voiced; a voiced/unvoiced change jumps).
 * A counter advances one per sample and a pulse sqrt(period) is emitted when
 * it reaches the period. Unvoiced samples are Gaussian noise from HTS's
 * generator: the C library style LCG (x = x * 1103515245 + 12345, 64-bit
 * wrap, 15 bits taken) fed to the Marsaglia polar method, seed 1. The noise
 * sequence is part of the state, so chunked synthesis equals one-shot.
 *
 * A frame is either all noise (period 0) or all pulses, so a noise frame is
 * generated as a block: the generator's draws for a batch of polar-method
 * tries first (four interleaved LCG chains by jump-ahead, the same states
 * the sequential generator passes through, kept in registers), then every
 * try's pair and radius (two tries at a time in SSE2), the accepted tries'
 * indices (branch-free), and only then log (libm, one by one), division
 * and sqrt (two at a time) for the accepted ones. The same operations on
 * the same values as one sample at a time, so the same noise bit for bit;
 * without the per-sample call, the 4-cycle LCG chain and the mispredicted
 * rejections, the noise costs a third of what it did (docs/PERFORMANCE.md,
 * 2026-12-06 "per-utterance costs"; the SSE2 pairs and register chains
 * took another 12 % off, "the vocoder" on an AVX2-only CPU). The state
 * after a block is the state after the last try used, as before. */
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

#include <emmintrin.h>
#include <math.h>
#include <stdio.h>

void ss_excitation_state_init(ss_excitation_state *st)
{
    st->period_curr = 0.0;
    st->counter = 0.0;
    st->period_inc = 0.0;
    st->rng_next = 1;
    st->gauss_have_second = 0;
    st->gauss_r2 = 0.0;
    st->gauss_s = 0.0;
    st->started = 0;
}

#define LCG_A 1103515245ULL
#define LCG_C 12345ULL
/* Four draws at once: x[k + 4] = A4 x[k] + C4 (mod 2^64), the state four
 * sequential steps later (unsigned arithmetic wraps as the generator does). */
#define LCG_A4 (LCG_A * LCG_A * LCG_A * LCG_A)
#define LCG_C4 (LCG_C * (1ULL + LCG_A + LCG_A * LCG_A + LCG_A * LCG_A * LCG_A))

enum { NOISE_TRIES = 64 }; /* polar-method tries per batch */

/* The generator's states after each of the next n draws from x (n even).
 * The four chains stay in registers (reloading out[k - 4] put a
 * store-to-load forwarding round trip on every step). */
static void lcg_states(uint64_t x, uint64_t *out, size_t n)
{
    uint64_t c0 = x * LCG_A + LCG_C, c1 = c0 * LCG_A + LCG_C;
    uint64_t c2 = c1 * LCG_A + LCG_C, c3 = c2 * LCG_A + LCG_C;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        out[k] = c0;
        out[k + 1] = c1;
        out[k + 2] = c2;
        out[k + 3] = c3;
        c0 = c0 * LCG_A4 + LCG_C4;
        c1 = c1 * LCG_A4 + LCG_C4;
        c2 = c2 * LCG_A4 + LCG_C4;
        c3 = c3 * LCG_A4 + LCG_C4;
    }
    if (k < n) { /* n even: two more */
        out[k] = c0;
        out[k + 1] = c1;
    }
}

/* The polar method's values for tries [0, n2) (n2 even) from their draws
 * x[2a], x[2a + 1]: rr[2a], rr[2a + 1] = 2 * (15 bits / 32767) - 1 and
 * sq[a] = rr[2a]^2 + rr[2a + 1]^2, two doubles at a time (SSE2, part of
 * x86-64). The same IEEE operations in the same order as one try at a
 * time, so the same bits: the 15-bit value becomes a double exactly (its
 * bits under the exponent of 2^52, minus 2^52), then divide, multiply,
 * subtract; the squares are summed r1^2 + r2^2. */
static void polar_tries(const uint64_t *x, double *rr, double *sq, size_t n2)
{
    const __m128i mask = _mm_set1_epi64x(0x7fff), exp52 = _mm_set1_epi64x(0x4330000000000000LL);
    const __m128d two52 = _mm_set1_pd(4503599627370496.0), d = _mm_set1_pd(32767.0);
    const __m128d two = _mm_set1_pd(2.0), one = _mm_set1_pd(1.0);
    for (size_t a = 0; a < n2; a += 2) {
        __m128d v[2];
        for (int h = 0; h < 2; h++) { /* try a + h: its two draws */
            const __m128i draws = _mm_loadu_si128((const __m128i *)(x + 2 * (a + h)));
            const __m128i bits = _mm_and_si128(_mm_srli_epi64(draws, 16), mask); /* (x / 65536) % 32768 */
            const __m128d q = _mm_sub_pd(_mm_castsi128_pd(_mm_or_si128(bits, exp52)), two52);
            v[h] = _mm_sub_pd(_mm_mul_pd(two, _mm_div_pd(q, d)), one);
            _mm_storeu_pd(rr + 2 * (a + h), v[h]);
            v[h] = _mm_mul_pd(v[h], v[h]);
        }
        _mm_storeu_pd(sq + a, _mm_add_pd(_mm_unpacklo_pd(v[0], v[1]), _mm_unpackhi_pd(v[0], v[1])));
    }
}

/* n Gaussian samples from the state's polar-method generator, the same
 * sequence as drawing them one at a time: a pending second value first,
 * then pairs from accepted tries (r1 * f, r2 * f); an odd end leaves r2 * f
 * pending. */
static void gaussian_block(ss_excitation_state *st, double *out, size_t n)
{
    size_t i = 0;
    if (n > 0 && st->gauss_have_second) {
        st->gauss_have_second = 0;
        out[i++] = st->gauss_r2 * st->gauss_s;
    }
    while (i < n) {
        const size_t pairs = (n - i + 1) / 2; /* about 79 % of tries are accepted */
        size_t tries = pairs + pairs / 3 + 2;
        if (tries > NOISE_TRIES)
            tries = NOISE_TRIES;
        const size_t tries2 = (tries + 1) & ~(size_t)1; /* computed in pairs; the extra one unused */
        uint64_t x[2 * NOISE_TRIES];
        double rr[2 * NOISE_TRIES], sq[NOISE_TRIES];
        size_t accepted[NOISE_TRIES], na = 0;
        lcg_states(st->rng_next, x, 2 * tries2);
        polar_tries(x, rr, sq, tries2);
        for (size_t a = 0; a < tries; a++) {
            accepted[na] = a;
            na += !(sq[a] > 1.0 || sq[a] == 0.0);
        }
        /* the pairs this call still needs, their radii: log one by one (libm),
         * then -2 log / sq and the square root two at a time (IEEE division
         * and sqrt, the same bits) */
        const size_t take = na < pairs ? na : pairs;
        _Alignas(16) double f[NOISE_TRIES + 1], s2[NOISE_TRIES + 1];
        for (size_t k = 0; k < take; k++) {
            s2[k] = sq[accepted[k]];
            f[k] = log(s2[k]);
        }
        f[take] = 0.0; /* the partner of an odd last one */
        s2[take] = 1.0;
        const __m128d m2 = _mm_set1_pd(-2.0);
        for (size_t k = 0; k < take; k += 2)
            _mm_store_pd(f + k, _mm_sqrt_pd(_mm_div_pd(_mm_mul_pd(m2, _mm_load_pd(f + k)), _mm_load_pd(s2 + k))));
        size_t used = tries; /* tries consumed from the generator */
        for (size_t k = 0; k < take; k++) {
            const size_t a = accepted[k];
            out[i++] = rr[2 * a] * f[k];
            if (i < n) {
                out[i++] = rr[2 * a + 1] * f[k];
            } else {
                st->gauss_have_second = 1;
                st->gauss_r2 = rr[2 * a + 1];
                st->gauss_s = f[k];
            }
            used = a + 1;
        }
        if (i < n)
            used = tries; /* the batch ran out: every try was consumed */
        st->rng_next = x[2 * used - 1];
    }
}

int ss_kern_excitation(const ss_excitation_job *jobs, size_t njobs, char *err, size_t errlen)
{
    /* Every job is checked before any state moves, so a bad frame late in a
     * batch leaves all states as they were. */
    if (ss_kern_excitation_validate(jobs, njobs, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < njobs; k++) {
        const ss_excitation_job *j = &jobs[k];
        ss_excitation_state *st = j->state;
        const double fp = (double)j->frame_period;
        double *out = j->out;
        /* The per-sample state lives in locals: through st every sample
         * would store and reload it (out may alias st as far as the
         * compiler knows), a store-forwarding round trip on the chain. */
        ss_excitation_state s = *st;
        for (size_t f = 0; f < j->nframes; f++) {
            double p = j->period[f];
            if (!s.started) {
                s.period_curr = p;
                s.counter = p;
                s.period_inc = 0.0;
                s.started = 1;
            }
            if (s.period_curr != 0.0 && p != 0.0) {
                s.period_inc = (p - s.period_curr) / fp;
            } else {
                s.period_inc = 0.0;
                s.period_curr = p;
                s.counter = p;
            }
            double period = s.period_curr, counter = s.counter;
            const double inc = s.period_inc;
            if (period == 0.0) { /* inc is 0 too: the whole frame is noise */
                gaussian_block(&s, out, j->frame_period);
                out += j->frame_period;
            } else {
                for (size_t n = 0; n < j->frame_period; n++) {
                    double x = 0.0;
                    counter += 1.0;
                    if (counter >= period) {
                        x = sqrt(period);
                        counter -= period;
                    }
                    period += inc;
                    *out++ = x;
                }
            }
            s.counter = counter;
            s.period_curr = p;
        }
        *st = s;
    }
    return 0;
}
