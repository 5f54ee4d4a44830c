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

#include "node/engine/clustergen/cg_params.h"
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
    char token[48];         /* the written token it was said for ("555" for "five") */
    long token_index;       /* which token (0-based in the utterance; -1: none) */
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

/* What ss_cg_synthesize does before the postfilter: text analysis,
 * states, parameters into *p, and out's rate, frame period, frame count and
 * timings, with no samples. For streamed vocoding (cg_stream.h). 0, or -1 +
 * err with nothing left to free. */
int ss_cg_prepare(ss_cg_voice *v, const char *text, const ss_cg_options *opt, ss_cg_params *p,
                  ss_cg_audio *out, char *err, size_t errlen);

/* The voice's postfilter (cg_postfilter.h) on frames [first, first + n) of
 * p's mel-cepstra, in place; frame by frame, so any split of the frames
 * gives the same result. */
void ss_cg_postfilter_frames(const ss_cg_voice *v, ss_cg_params *p, size_t first, size_t n);

/* The voice's excitation gain (1 when the voice names none). */
double ss_cg_gain(const ss_cg_voice *v);
void ss_cg_audio_free(ss_cg_audio *a);

#endif
