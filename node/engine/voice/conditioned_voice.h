/* A conditioned voice: the loaded base voice with conditioning
 * (conditioning.h) applied to its model parameters, usable with
 * ss_synthesize like any ss_voice.
 *
 * Why a derived voice rather than a hook in the engine: the engine reads
 * every number it synthesises from the ss_htsvoice (state PDFs, GV PDFs, the
 * MCP stream's all-pass constant used by the vocoder), so transforming those
 * numbers once per voice gives conditioned synthesis with no per-call cost
 * and no change to the engine. The derived voice shares the base voice's
 * immutable parts (trees, questions, windows, GV-off patterns) and owns a
 * transformed copy of the PDF floats (about 1.3 MB for the slt voice), so
 * the base voice must outlive it. Like any loaded voice it is immutable and
 * safe for concurrent synthesis. Durations are not in the PDFs here: the
 * caller divides its speed by duration_scale (ss_conditioned_speed). */
#ifndef SS_ENGINE_CONDITIONED_VOICE_H
#define SS_ENGINE_CONDITIONED_VOICE_H

#include "node/engine/voice/conditioning.h"
#include "node/engine/engine.h"

#include <stddef.h>

/* ss_conditioned_voice_new, ss_conditioned_voice_free and
 * ss_conditioned_speed are public: engine.h. ss_conditioned_voice_new fails
 * (NULL + err) on invalid conditioning, a voice without MCP/LF0 streams, or
 * out of memory. */

/* The base voice's MCP all-pass constant (0.45 for slt). */
double ss_voice_mcp_alpha(const ss_voice *v);

#endif
