/* The vocoder driver: parameter frames in, audio samples out.
 *
 * Owns the streaming state of one utterance (excitation phase and noise
 * generator, MLSA filter memory, resampler), so an utterance can be vocoded
 * in pieces (phrases) with output identical to vocoding it in one go. Per
 * piece: LF0 -> pitch period (HTS rules: unvoiced 0, clamped to 20 Hz ..
 * 20 kHz), excitation kernel, MLSA kernel (kernels.h), scale to float in
 * [-1, 1) (the filter's output is on the 16-bit scale), optional resampling
 * with soxr from the voice's 32 kHz to the requested rate. The excitation
 * and MLSA kernels run where voc->kernels says (kernels/kernel_route.h;
 * ss_vocoder_init sets it to {NULL, NULL} = the CPU kernels, the caller may
 * set it before the first ss_vocoder_run); the state structs are the CPU
 * layout for every implementation, so the result does not depend on it
 * beyond rounding. */
#ifndef SS_ENGINE_VOCODER_H
#define SS_ENGINE_VOCODER_H

#include "kernels/kernel_route.h"
#include "kernels/kernels.h"
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"

#include <stddef.h>

/* Early output of a piece: when fn is set and the piece's first `frames`
 * frames are final while the rest is still being filtered (the CPU cells
 * kernel says so; other kernels never do), ss_vocoder_run appends their
 * samples to *out and calls fn(user) once, from inside the run; the rest
 * is appended when the run ends. The samples are the same either way, only
 * the moment the first ones can be passed on changes (the first chunk of
 * an utterance: docs/ENGINE-IMPL.md, "The first chunk"). */
typedef struct {
    void (*fn)(void *user);
    void *user;
    size_t frames;
} ss_vocoder_early;

typedef struct ss_vocoder {
    int in_rate, out_rate, frame_period, order;
    double alpha;
    ss_excitation_state ex;
    ss_mlsa_state mlsa;
    void *soxr;             /* soxr_t, NULL when out_rate == in_rate */
    double *period;         /* scratch [frames] */
    double *raw;            /* scratch [frames * frame_period] */
    size_t cap_frames;
    ss_kernel_route kernels; /* where the kernels run; zero = CPU, direct */
    ss_vocoder_early early;  /* zero = no early output (ss_vocoder_run) */
} ss_vocoder;

/* True for the output rates the engine offers. */
int ss_vocoder_rate_supported(int rate);

int ss_vocoder_init(ss_vocoder *voc, const ss_htsvoice *v, int out_rate, char *err, size_t errlen);
void ss_vocoder_free(ss_vocoder *voc);

/* Tells the vocoder the utterance's length in frames before the first
 * ss_vocoder_run, so the MLSA kernel sizes its cells to fill the SIMD lanes
 * (kernels.h, utterance_frames). A one-shot run (first piece with last=1)
 * does this itself; a caller vocoding in pieces calls it. 0, or -1 when a
 * piece was already vocoded. */
int ss_vocoder_plan(ss_vocoder *voc, size_t utterance_frames, char *err, size_t errlen);

/* Vocodes t's frames. When raw is not NULL it receives the filter output
 * before scaling/resampling ([nframes * frame_period], 16-bit scale doubles).
 * The float samples at out_rate are appended to *out (realloc'd; *nout and
 * *cap updated). last=1 flushes the resampler (call once, on the last piece). */
int ss_vocoder_run(ss_vocoder *voc, const ss_param_track *t, int last, double *raw, float **out,
                   size_t *nout, size_t *cap, char *err, size_t errlen);

#endif
