/* Shared kernel input checks (see kernels_validate.h). The CPU kernels, the
 * CUDA kernels and the batch scheduler all call these before touching any
 * state, so every path reports the same error for the same input. */
#include "kernels/kernels_validate.h"

#include <math.h>
#include <stdio.h>

int ss_kern_mlpg_validate(const ss_mlpg_windows *win, const ss_mlpg_problem *probs, size_t nprobs,
                          char *err, size_t errlen)
{
    if (!win || win->nwin < 1 || win->nwin > SS_MLPG_MAX_WIN) {
        snprintf(err, errlen, "mlpg: window count must be 1..%d", SS_MLPG_MAX_WIN);
        return -1;
    }
    for (int i = 0; i < win->nwin; i++) {
        if (win->left[i] < -1 || win->right[i] > 1 || win->left[i] > win->right[i]) {
            snprintf(err, errlen, "mlpg: window %d reaches beyond one frame", i);
            return -1;
        }
    }
    for (size_t k = 0; k < nprobs; k++) {
        const ss_mlpg_problem *p = &probs[k];
        if (p->length == 0 || !p->mean || !p->ivar || !p->out || p->out_stride == 0) {
            snprintf(err, errlen, "mlpg: problem %zu is empty or has no buffers", k);
            return -1;
        }
    }
    return 0;
}

int ss_kern_excitation_validate(const ss_excitation_job *jobs, size_t njobs, char *err,
                                size_t errlen)
{
    for (size_t k = 0; k < njobs; k++) {
        const ss_excitation_job *j = &jobs[k];
        if (!j->state || (!j->period && j->nframes) || (!j->out && j->nframes) ||
            j->frame_period == 0) {
            snprintf(err, errlen, "excitation: job %zu has no state, buffers or frame period", k);
            return -1;
        }
        for (size_t f = 0; f < j->nframes; f++) {
            double p = j->period[f];
            if (!(p >= 0.0) || isinf(p)) {
                snprintf(err, errlen, "excitation: bad pitch period at frame %zu", f);
                return -1;
            }
        }
    }
    return 0;
}

int ss_kern_mlsa_validate(const ss_mlsa_job *jobs, size_t njobs, char *err, size_t errlen)
{
    for (size_t k = 0; k < njobs; k++) {
        const ss_mlsa_job *j = &jobs[k];
        const ss_mlsa_state *st = j->state;
        if (!st || st->order < 2 || st->order > SS_MLSA_MAX_ORDER || j->frame_period == 0 ||
            (j->nframes && (!j->mcep || !j->excitation || !j->out))) {
            snprintf(err, errlen, "mlsa: job %zu has no state or buffers", k);
            return -1;
        }
    }
    return 0;
}
