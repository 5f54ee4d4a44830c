/* The CLI's way to a conditioned voice: `scaispeak synth --voice-ref FILE`
 * and `--design "..."` (issue 6) in one call, so cli_synth.c only parses the
 * two options and swaps the voice. Measures the model's own statistics
 * (model_profile.h, about a second), then analyses the reference
 * (reference_analysis.h) or parses the prompt (voice_design.h). */
#ifndef SS_ENGINE_CLI_VOICE_H
#define SS_ENGINE_CLI_VOICE_H

#include "node/engine/voice/conditioning.h"
#include "node/engine/engine.h"
#include "node/engine/frontend/frontend.h"

/* Exactly one of voice_ref (a file path) and design (a prompt) is non-NULL.
 * 0 with *out (free with ss_conditioned_voice_free; synthesize at speed
 * ss_conditioned_speed(cond, speed)) and *cond, or -1 with err (for a bad
 * reference: "analysis_failed: REASON: detail"). */
int ss_cli_conditioned_voice(const ss_voice *base, ss_frontend *fe, const char *voice_ref,
                             const char *design, ss_voice **out, ss_conditioning *cond, char *err,
                             size_t errlen);

#endif
