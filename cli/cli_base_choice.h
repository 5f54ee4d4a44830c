/* `scaispeak synth --voice-ref CLIP` without --voice: the base voice a node
 * would clone the clip onto (see cli_base_choice.c). */
#ifndef SS_CLI_BASE_CHOICE_H
#define SS_CLI_BASE_CHOICE_H

#include "common/settings.h"
#include "node/engine/engine.h"
#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>

/* The speaker statistics of the reference clip at path (read with the
 * API's size bound, analysed by reference_analysis.h). 0, or -1 + err. */
int ss_cli_clip_stats(const char *path, ss_speaker_stats *out, char *err, size_t errlen);

/* What the choice measured, so the clone need not measure it again. */
typedef struct {
    char cg_engine[16];        /* "" when the HTS voice is nearest, else "rms", "awb", "slt_cg" */
    ss_speaker_stats ref;      /* the clip's */
    ss_speaker_stats base;     /* the chosen base's own */
} ss_cli_base_choice;

/* The base nearest to the clip at path among the HTS voice hts (loaded
 * from hts_path) and the clustergen voices; the choice is printed to
 * stderr. The bases' own statistics come through the voice cache
 * (cli_base_stats.h; settings' voice_cache_dir). 0, or -1 + err (an
 * unusable clip, a base whose statistics cannot be measured, out of
 * memory). */
int ss_cli_nearest_base(const ss_voice *hts, const char *hts_path, ss_frontend *fe, const ss_settings *settings,
                        const char *clip, ss_cli_base_choice *out, char *err, size_t errlen);

#endif
