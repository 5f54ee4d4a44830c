/* Clustergen synthesis, text to samples: flite's text analysis for the
 * voice (cg_voice.c), then our states and durations (cg_states.c),
 * parameter prediction and MLPG (cg_params.c), postfilter
 * (cg_postfilter.c), excitation (cg_excitation.c) and the engine's MLSA
 * kernel (kernels.h), at the voice's own sample rate. The MLSA output is on
 * the 16-bit scale; samples are returned as floats in [-1, 1). Phone times
 * come from the state durations (a segment ends where its last state does),
 * so they are monotonic and the last one ends at the last frame; word times
 * are those of their first and last segments.
 *
 * Threads: the flite part (text analysis, the CART features read off the
 * utterance) runs under the process-wide flite lock (frontend/flite_lock.h);
 * postfilter, excitation and MLSA run outside it, so concurrent calls
 * overlap in the vocoder. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_SYNTH_H
#define SS_ENGINE_CLUSTERGEN_CG_SYNTH_H

#include "node/engine/clustergen/cg_voice.h"
#include "node/engine/voice/conditioning.h"

#include <stddef.h>

typedef struct {
    double duration_scale;  /* 1 = the voice's pace; 2 = twice as slow */
    double f0_scale;        /* multiplies the mean F0; 1 = unchanged */
    const ss_conditioning *cond; /* speaker conditioning (cg_conditioning.h); NULL = none */
} ss_cg_options;

typedef struct {
    char name[8];           /* flite phone name ("pau" for pauses) */
    double start, end;      /* seconds */
} ss_cg_phone_time;

typedef struct {
    char text[48];          /* flite's word (normalised, lower case) */
    double start, end;      /* seconds */
} ss_cg_word_time;

typedef struct {
    float *samples;         /* [nsamples] at rate */
    size_t nsamples;
    int rate;
    size_t nframes, frame_period;
    ss_cg_phone_time *phones;   /* [nphones], in order */
    size_t nphones;
    ss_cg_word_time *words;     /* [nwords], in order */
    size_t nwords;
} ss_cg_audio;

int ss_cg_synthesize(ss_cg_voice *v, const char *text, const ss_cg_options *opt,
                     ss_cg_audio *out, char *err, size_t errlen);
void ss_cg_audio_free(ss_cg_audio *a);

#endif
