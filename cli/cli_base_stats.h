/* A base voice's own speaker statistics for `scaispeak synth --voice-ref`
 * and `--design`, kept in the voice cache (see cli_base_stats.c). */
#ifndef SS_CLI_BASE_STATS_H
#define SS_CLI_BASE_STATS_H

#include "common/settings.h"
#include "node/engine/clustergen/cg_voice.h"
#include "node/engine/engine.h"
#include "node/engine/voice/speaker_stats.h"

#include <stddef.h>

/* The HTS voice hts, loaded from voice_path, measured through fe (its
 * model profile). 0, or -1 + err. */
int ss_cli_hts_stats(const ss_voice *hts, const char *voice_path, ss_frontend *fe, const ss_settings *settings,
                     ss_speaker_stats *out, char *err, size_t errlen);

/* The clustergen voice v (engine id engine_id), measured by cg_profile.h.
 * 0, or -1 + err. */
int ss_cli_cg_stats(ss_cg_voice *v, const char *engine_id, const ss_settings *settings, ss_speaker_stats *out,
                    char *err, size_t errlen);

#endif
