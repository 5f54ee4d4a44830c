/* Streamed vocoding of one clustergen utterance: the parameters of the
 * whole utterance first (ss_cg_prepare: text analysis, states, CART lookups
 * and MLPG, which need the whole utterance), then the per-frame work
 * (postfilter, excitation and MLSA) a few frames at a time, so the first
 * audio of a sentence is out before the rest of it is vocoded.
 *
 * The postfilter is per frame. The stream owns one excitation state and
 * one MLSA state for the whole utterance and carries them from chunk to
 * chunk: pulse phase, noise
 * generator, shaping-filter delay lines, the MLSA coefficients being
 * interpolated and its delay lines. Both work frame by frame (the MLSA
 * interpolates from the previous frame's coefficients to the current
 * frame's, with no look-ahead), so the concatenated chunks are the samples
 * ss_cg_synthesize returns, bit for bit, whatever the chunk sizes
 * (tests/unit/test_cg_stream.c). Timings are known at open, before any
 * audio. Not thread-safe: one stream per call. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_STREAM_H
#define SS_ENGINE_CLUSTERGEN_CG_STREAM_H

#include "kernels/kernels.h"
#include "node/engine/clustergen/cg_excitation.h"
#include "node/engine/clustergen/cg_synth.h"

#include <stddef.h>

typedef struct {
    const ss_cg_voice *voice;
    ss_cg_params params;    /* the utterance's, owned */
    ss_cg_audio audio;      /* rate, frame_period, nframes and timings; no samples */
    size_t next_frame;      /* the first frame not vocoded yet */
    double gain;
    ss_cg_excitation ex;
    ss_mlsa_state mlsa;
    double *buf;            /* [buf_cap] one chunk's excitation, then its output */
    size_t buf_cap;
} ss_cg_stream;

/* Prepares the utterance (the flite part runs under the flite lock) and the
 * vocoder states. 0, or -1 + err with nothing left to close. */
int ss_cg_stream_open(ss_cg_stream *s, ss_cg_voice *v, const char *text, const ss_cg_options *opt,
                      char *err, size_t errlen);

/* Vocodes the next frames, at most max_frames (>= 1), into
 * out[max_frames * frame_period] as floats in [-1, 1] and sets *nout to
 * the samples written: 0 once every frame was vocoded. 0, or -1 + err
 * ("out of memory", or the MLSA kernel's reason). */
int ss_cg_stream_next(ss_cg_stream *s, size_t max_frames, float *out, size_t *nout, char *err, size_t errlen);

/* Frees what open allocated; the stream may be opened again. */
void ss_cg_stream_close(ss_cg_stream *s);

#endif
