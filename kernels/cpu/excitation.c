/* CPU excitation kernel (kernels.h): HTS pulse/noise excitation.
 *
 * Per frame the pitch period glides linearly from the current value to the
 * frame's target (only when both are voiced; a voiced/unvoiced change jumps).
 * A counter advances one per sample and a pulse sqrt(period) is emitted when
 * it reaches the period. Unvoiced samples are Gaussian noise from HTS's
 * generator: the C library style LCG (x = x * 1103515245 + 12345, 64-bit
 * wrap, 15 bits taken) fed to the Marsaglia polar method, seed 1. The noise
 * sequence is part of the state, so chunked synthesis equals one-shot. */
#include "kernels/kernels.h"
#include "kernels/kernels_validate.h"

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

static double uniform15(uint64_t *next)
{
    *next = *next * 1103515245ULL + 12345ULL;
    return (double)((*next / 65536ULL) % 32768ULL) / 32767.0;
}

static double gaussian(ss_excitation_state *st)
{
    if (st->gauss_have_second) {
        st->gauss_have_second = 0;
        return st->gauss_r2 * st->gauss_s;
    }
    double r1, r2, s;
    do {
        r1 = 2.0 * uniform15(&st->rng_next) - 1.0;
        r2 = 2.0 * uniform15(&st->rng_next) - 1.0;
        s = r1 * r1 + r2 * r2;
    } while (s > 1.0 || s == 0.0);
    s = sqrt(-2.0 * log(s) / s);
    st->gauss_have_second = 1;
    st->gauss_r2 = r2;
    st->gauss_s = s;
    return r1 * s;
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
            for (size_t n = 0; n < j->frame_period; n++) {
                double x;
                if (period == 0.0) {
                    x = gaussian(&s);
                } else {
                    counter += 1.0;
                    if (counter >= period) {
                        x = sqrt(period);
                        counter -= period;
                    } else {
                        x = 0.0;
                    }
                }
                period += inc;
                *out++ = x;
            }
            s.counter = counter;
            s.period_curr = p;
        }
        *st = s;
    }
    return 0;
}
