/* `scaispeak synth --voice rms|awb|slt_cg`: the clustergen voices in this
 * process (see cli_synth_cg.c). */
#ifndef SS_CLI_SYNTH_CG_H
#define SS_CLI_SYNTH_CG_H

#include "common/settings.h"
#include "node/engine/voice/speaker_stats.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *engine_id;  /* "rms", "awb", "slt_cg" */
    const char *text;       /* plain text or SSML */
    const char *out_path;   /* the WAV file */
    const char *voice_ref;  /* a reference clip to condition toward, or NULL */
    const ss_speaker_stats *ref_stats, *voice_stats; /* the clip's and the voice's own, when
                                                        already measured (cli_base_choice.h), or NULL */
    double speed, pitch;
    int sample_rate;        /* 0 = the voice's own (16 kHz) */
    bool timestamps;        /* print phone and word times to stdout */
    const ss_settings *settings; /* voice_cache_dir: the voice's own statistics (cli_base_stats.h) */
} ss_cli_cg_synth;

/* Whether --voice names a clustergen voice rather than a .htsvoice path. */
bool ss_cli_is_cg_voice(const char *voice);

/* Synthesises into out_path (removed again on failure). 0, or -1 + err. */
int ss_cli_synth_cg(const ss_cli_cg_synth *s, char *err, size_t errlen);

#endif
