/* From labels to parameter trajectories: the acoustic-model side of the
 * engine (tree lookup, durations, MLPG driver).
 *
 * ss_acoustic_lookup walks the trees once per label: duration PDF, then for
 * every state and stream the state PDF (means, variances, voiced weight), the
 * GV switch of the label (off in GV_OFF_CONTEXT contexts) and the GV PDF
 * (selected by the FIRST label, as HTS does). ss_acoustic_durations turns the
 * duration PDFs into frames (state_durations.h) for a speed. Then
 * ss_param_generate solves MLPG + GV (kernels.h) over any frame range
 * [f0, f1): the whole utterance gives the reference result; streaming calls
 * it once per phrase. Multi-space (LF0) streams are solved over the voiced
 * frames of the range only, with dynamic windows switched off where they
 * would reach an unvoiced frame or the range edge, exactly like HTS.
 * The MLPG kernel runs where the route says (kernels/kernel_route.h); the
 * plain functions use the CPU kernels. On the CPU the dimensions of a
 * stream are solved in blocks of 8 (bounded scratch); through a scheduler or
 * another kernel table a stream's dimensions go in ONE call, so a batch
 * holds every dimension of every concurrent utterance. */
#ifndef SS_ENGINE_PARAM_GEN_H
#define SS_ENGINE_PARAM_GEN_H

#include "kernels/kernel_route.h"
#include "node/engine/acoustic/htsvoice.h"

#include <stddef.h>

#define SS_LF0_UNVOICED (-1.0e10)

typedef struct {
    int vlen, nwin;
    bool msd;
    double *mean, *vari;        /* [total_states][vlen * nwin] */
    double *voiced_weight;      /* [total_states] for msd streams */
    double *gv_mean, *gv_vari;  /* [vlen] or NULL */
} ss_stream_seq;

typedef struct {
    size_t nlabels;
    int nstates;
    size_t total_states;
    char **labels;              /* owned copies (times stripped) */
    double *dur_mean, *dur_vari;/* [total_states] */
    unsigned char *gv_on;       /* [total_states] */
    int nstreams;
    ss_stream_seq streams[SS_VOICE_MAX_STREAMS];
    /* set by ss_acoustic_durations */
    size_t *dur;                /* [total_states] frames */
    size_t nframes;
    size_t *frame_state;        /* [nframes] state of each frame */
} ss_acoustic_seq;

/* Extracts the label name from a line "start end name" or "name". Returns
 * a pointer into line and its length, or NULL when the line has no label. */
const char *ss_label_name(const char *line, size_t *len);

/* pitch_semitones shifts the static LF0 means (clamped to 20 Hz..20 kHz);
 * label_pitch (NULL or [n] semitones) adds a per-label shift on top. */
int ss_acoustic_lookup(const ss_htsvoice *v, const char *const *lines, size_t n,
                       double pitch_semitones, const double *label_pitch, ss_acoustic_seq *out,
                       char *err, size_t errlen);
int ss_acoustic_durations(ss_acoustic_seq *seq, double speed, char *err, size_t errlen);
/* After ss_acoustic_durations: refits label i's states to frame_length
 * frames (HTS's fitting), then rebuilds nframes/frame_state. */
int ss_acoustic_set_label_length(ss_acoustic_seq *seq, size_t label, double frame_length, char *err,
                                 size_t errlen);
void ss_acoustic_seq_free(ss_acoustic_seq *seq);

typedef struct {
    size_t nframes;
    int mcp_dim;                /* vector length of the spectrum stream */
    double *mcp;                /* [nframes][mcp_dim] */
    double *lf0;                /* [nframes], SS_LF0_UNVOICED when unvoiced */
} ss_param_track;

/* Generates frames [f0, f1) into out (allocated; free with ss_param_track_free).
 * lf0_all: NULL to solve LF0 over the range too, or the utterance's LF0
 * from ss_param_generate_lf0 to copy from (streaming: F0 is one dimension,
 * so solving it once for the whole utterance is cheap and keeps its global
 * variance exactly as in one-shot synthesis). */
int ss_param_generate(const ss_htsvoice *v, const ss_acoustic_seq *seq, size_t f0, size_t f1,
                      const double *lf0_all, ss_param_track *out, char *err, size_t errlen);

/* LF0 of the whole utterance into lf0_all[nframes] (SS_LF0_UNVOICED when unvoiced). */
int ss_param_generate_lf0(const ss_htsvoice *v, const ss_acoustic_seq *seq, double *lf0_all,
                          char *err, size_t errlen);
/* The same with the MLPG work routed (route NULL = the CPU kernels). */
int ss_param_generate_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                             const ss_acoustic_seq *seq, size_t f0, size_t f1,
                             const double *lf0_all, ss_param_track *out, char *err, size_t errlen);
int ss_param_generate_lf0_routed(const ss_kernel_route *route, const ss_htsvoice *v,
                                 const ss_acoustic_seq *seq, double *lf0_all, char *err,
                                 size_t errlen);
void ss_param_track_free(ss_param_track *t);

#endif
