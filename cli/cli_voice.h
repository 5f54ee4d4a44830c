/* The CLI's way to a conditioned voice: `scaispeak synth --voice-ref FILE`
 * and `--design "..."` in one call, so cli_synth.c only parses the two
 * options and swaps the voice. The model's own statistics come from the
 * caller (cli_base_stats.h: measured once, then read from the voice
 * cache); then the reference's analysis, or the prompt's parse, and the
 * fit, as the engine's conditioner (engine.h) does them on a node. */
#ifndef SS_CLI_VOICE_H
#define SS_CLI_VOICE_H

#include "node/engine/engine.h"
#include "node/engine/voice/speaker_stats.h"

/* Exactly one of voice_ref (a file path) and design (a prompt) is non-NULL;
 * model is base's own statistics; ref_stats the clip's when they were
 * already measured (cli_base_choice.h), else NULL (the clip is analysed).
 * 0 with *out (free with ss_conditioned_voice_free; synthesize at speed
 * ss_conditioned_speed(cond, speed)) and *cond, or -1 with err (for a bad
 * reference: "analysis_failed: REASON: detail"). */
int ss_cli_conditioned_voice(const ss_voice *base, const ss_speaker_stats *model, const char *voice_ref,
                             const ss_speaker_stats *ref_stats, const char *design, ss_voice **out,
                             ss_conditioning *cond, char *err, size_t errlen);

#endif
