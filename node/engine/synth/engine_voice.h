/* The ss_voice handle behind engine.h: the parsed .htsvoice plus what the
 * engine checked about it at load. Immutable after ss_voice_load. */
#ifndef SS_ENGINE_ENGINE_VOICE_H
#define SS_ENGINE_ENGINE_VOICE_H

#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/vocoder.h"

struct ss_voice {
    ss_htsvoice *hts;
};

#endif
