/* The state sequence of an utterance: the acoustic model's side of the
 * engine (tree lookup, durations).
 *
 * ss_acoustic_lookup walks the trees once per label: duration PDF, then for
 * every state and stream the state PDF (means, variances, voiced weight), the
 * GV switch of the label (off in GV_OFF_CONTEXT contexts) and the GV PDF
 * (selected by the FIRST label, as HTS does). ss_acoustic_durations turns the
 * duration PDFs into frames (state_durations.h) for a speed. Parameter
 * generation (synth/parameter_generation.h) then solves trajectories over
 * the sequence. */
#ifndef SS_ENGINE_ACOUSTIC_STATE_SEQUENCE_H
#define SS_ENGINE_ACOUSTIC_STATE_SEQUENCE_H

#include "node/engine/acoustic/htsvoice.h"

#include <stdbool.h>
#include <stddef.h>

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

#endif
