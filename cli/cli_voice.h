/* The CLI's way to a conditioned voice: `scaispeak synth --voice-ref FILE`
 * and `--design "..."` in one call, so cli_synth.c only parses the two
 * options and swaps the voice. Through the engine's conditioner (engine.h):
 * the model's own statistics (about a second), then the reference's
 * analysis or the prompt's parse. */
#ifndef SS_CLI_VOICE_H
#define SS_CLI_VOICE_H

#include "node/engine/engine.h"

/* Exactly one of voice_ref (a file path) and design (a prompt) is non-NULL.
 * 0 with *out (free with ss_conditioned_voice_free; synthesize at speed
 * ss_conditioned_speed(cond, speed)) and *cond, or -1 with err (for a bad
 * reference: "analysis_failed: REASON: detail"). */
int ss_cli_conditioned_voice(const ss_voice *base, ss_frontend *fe, const char *voice_ref,
                             const char *design, ss_voice **out, ss_conditioning *cond, char *err,
                             size_t errlen);

#endif
