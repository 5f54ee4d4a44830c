/* Conditioning of a clustergen voice's frames; see cg_conditioning.h. */
#include "node/engine/clustergen/cg_conditioning.h"

#include <math.h>

#define F0_MIN_HZ 50.0
#define F0_MAX_HZ 700.0

void ss_cg_condition_params(ss_cg_params *p, const ss_conditioning *c)
{
    const int nbias = SS_COND_NBIAS < SS_CG_MCEP_DIM ? SS_COND_NBIAS : SS_CG_MCEP_DIM;
    const int move_f0 = c->lf0_shift != 0.0 || c->lf0_scale != 1.0;
    for (size_t t = 0; t < p->nframes; t++) {
        double *mc = p->mcep + t * SS_CG_MCEP_DIM;
        mc[0] += c->cep_bias[0];
        if (p->f0[t] <= 0.0)
            continue;
        for (int m = 1; m < nbias; m++)
            mc[m] += c->cep_bias[m];
        if (!move_f0)
            continue;
        double lf = c->lf0_pivot + c->lf0_shift + c->lf0_scale * (log(p->f0[t]) - c->lf0_pivot);
        double f = exp(lf);
        p->f0[t] = f < F0_MIN_HZ ? F0_MIN_HZ : f > F0_MAX_HZ ? F0_MAX_HZ : f;
    }
}
