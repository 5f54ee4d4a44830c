/* Excitation for a clustergen voice: a pulse train at the frame's pitch
 * (pitch period moving linearly from the previous frame's across the frame,
 * a pulse of height sqrt(period) each time the period counter wraps) or
 * noise for unvoiced frames, and, for voices trained with mixed excitation,
 * the two shaped per frame by the voice's band filters me_h: the pulse
 * through sum_b s_b h_b and a +-1 noise through sum_b (1 - s_b) h_b, where
 * s_b are the frame's band strengths, then added. Without mixed excitation
 * voiced frames are pulses only and unvoiced frames Gaussian noise.
 *
 * The state carries the pulse phase, the filter delay lines and the noise
 * generator, so an utterance can be excited in pieces with the same result
 * as in one go. The noise generator is our own (xorshift64*), seeded per
 * utterance: deterministic output for the same input. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_EXCITATION_H
#define SS_ENGINE_CLUSTERGEN_CG_EXCITATION_H

#include "node/engine/clustergen/cg_voice.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int started;
    double period;      /* previous frame's pitch period (samples), 0 unvoiced */
    double counter;     /* samples since the last pulse */
    uint64_t rng;
    int have_gauss;
    double gauss_second;
    int me_order;       /* 0 without mixed excitation */
    double *hpulse, *hnoise, *xpulse, *xnoise; /* [me_order] each */
} ss_cg_excitation;

int ss_cg_excitation_init(ss_cg_excitation *ex, const ss_cg_voice *v, char *err, size_t errlen);
void ss_cg_excitation_free(ss_cg_excitation *ex);

/* Writes frame_period samples per frame into out[nframes * frame_period].
 * f0: Hz per frame (0 unvoiced); strength: [nframes][SS_CG_ME_BANDS] or
 * NULL (required when the voice has mixed excitation). */
void ss_cg_excite(ss_cg_excitation *ex, const ss_cg_voice *v, const double *f0,
                  const double *strength, size_t nframes, size_t frame_period, double *out);

#endif
