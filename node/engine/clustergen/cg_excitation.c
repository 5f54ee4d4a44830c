/* Pulse/noise and mixed excitation for clustergen voices (see
 * cg_excitation.h). */
#include "node/engine/clustergen/cg_excitation.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_random(ss_cg_excitation *ex)
{
    ex->rng ^= ex->rng >> 12;
    ex->rng ^= ex->rng << 25;
    ex->rng ^= ex->rng >> 27;
    return ex->rng * 0x2545F4914F6CDD1DULL;
}

static double uniform(ss_cg_excitation *ex)
{
    return ((next_random(ex) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double plus_or_minus_one(ss_cg_excitation *ex)
{
    return (next_random(ex) >> 63) ? 1.0 : -1.0;
}

/* Standard normal (Marsaglia polar method, pairs). */
static double gaussian(ss_cg_excitation *ex)
{
    if (ex->have_gauss) {
        ex->have_gauss = 0;
        return ex->gauss_second;
    }
    double a, b, s;
    do {
        a = 2.0 * uniform(ex) - 1.0;
        b = 2.0 * uniform(ex) - 1.0;
        s = a * a + b * b;
    } while (s >= 1.0 || s == 0.0);
    double k = sqrt(-2.0 * log(s) / s);
    ex->gauss_second = b * k;
    ex->have_gauss = 1;
    return a * k;
}

int ss_cg_excitation_init(ss_cg_excitation *ex, const ss_cg_voice *v, char *err, size_t errlen)
{
    memset(ex, 0, sizeof *ex);
    ex->rng = 0x9E3779B97F4A7C15ULL;
    if (!v->db->mixed_excitation)
        return 0;
    ex->me_order = v->db->ME_order;
    ex->hpulse = calloc((size_t)ex->me_order * 4, sizeof(double));
    if (!ex->hpulse) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ex->hnoise = ex->hpulse + ex->me_order;
    ex->xpulse = ex->hnoise + ex->me_order;
    ex->xnoise = ex->xpulse + ex->me_order;
    return 0;
}

void ss_cg_excitation_free(ss_cg_excitation *ex)
{
    free(ex->hpulse);
    memset(ex, 0, sizeof *ex);
}

/* The frame's pulse and noise shaping filters from its band strengths. */
static void shape_filters(ss_cg_excitation *ex, const ss_cg_voice *v, const double *s)
{
    const double *const *h = v->db->me_h;
    for (int i = 0; i < ex->me_order; i++) {
        double hp = 0.0, hn = 0.0;
        for (int b = 0; b < SS_CG_ME_BANDS; b++) {
            hp += s[b] * h[b][i];
            hn += (1.0 - s[b]) * h[b][i];
        }
        ex->hpulse[i] = hp;
        ex->hnoise[i] = hn;
    }
}

/* One sample through both shaping filters (FIR, delay lines in the state). */
static double mix(ss_cg_excitation *ex, double pulse, double noise)
{
    double fp = ex->hpulse[0] * pulse, fn = ex->hnoise[0] * noise;
    for (int k = ex->me_order - 1; k > 0; k--) {
        fp += ex->hpulse[k] * ex->xpulse[k];
        fn += ex->hnoise[k] * ex->xnoise[k];
        ex->xpulse[k] = ex->xpulse[k - 1];
        ex->xnoise[k] = ex->xnoise[k - 1];
    }
    ex->xpulse[0] = pulse;
    ex->xnoise[0] = noise;
    return fp + fn;
}

void ss_cg_excite(ss_cg_excitation *ex, const ss_cg_voice *v, const double *f0,
                  const double *strength, size_t nframes, size_t frame_period, double *out)
{
    const double rate = v->db->sample_rate;
    for (size_t t = 0; t < nframes; t++) {
        double p = f0[t] > 0.0 ? rate / f0[t] : 0.0;
        if (!ex->started) {
            ex->started = 1;
            ex->period = p;
        }
        double inc = 0.0;
        if (ex->period != 0.0 && p != 0.0)
            inc = (p - ex->period) / (double)frame_period;
        else
            ex->period = p;
        if (ex->me_order)
            shape_filters(ex, v, strength + t * SS_CG_ME_BANDS);
        double *o = out + t * frame_period;
        for (size_t j = 0; j < frame_period; j++) {
            double pulse = 0.0, noise;
            if (ex->period == 0.0) {
                noise = ex->me_order ? plus_or_minus_one(ex) : gaussian(ex);
            } else {
                if ((ex->counter += 1.0) >= ex->period) {
                    pulse = sqrt(ex->period);
                    ex->counter -= ex->period;
                }
                noise = ex->me_order ? plus_or_minus_one(ex) : 0.0;
            }
            o[j] = ex->me_order ? mix(ex, pulse, noise) : pulse + noise;
            ex->period += inc;
        }
        ex->period = p;
    }
}
