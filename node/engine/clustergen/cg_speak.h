/* Text or SSML in, streamed audio at the asked rate out, for one flite
 * clustergen voice: the orchestration every caller of these voices shares
 * (the node's adapter, node/cg_node_engine.c, and `scaispeak synth`), so a
 * node and the CLI give the same samples for the same text and options.
 *
 * Plain text is cut into sentences (after . ! ? followed by white space,
 * and at blank lines), SSML into runs of equal prosody (cg_ssml_runs.h).
 * Each piece goes through flite's text analysis and our clustergen
 * parameters for the whole piece (cg_stream.h, at the voice's 16 kHz),
 * then is vocoded chunk_ms of frames at a time (the vocoder states carried
 * over: the same samples as one-shot), each chunk converted to s16 and
 * streamed through the streaming resampler (common/audio_resample.h) to
 * the asked rate and on to the sink. So the first audio of a sentence
 * leaves after its parameters and one chunk, not after the whole sentence.
 *
 * Timings come from the state durations (phones) and their words' first
 * and last segments, offset by the piece's start in the utterance. A word's
 * byte range: in SSML the token's range when flite kept the run's words
 * one for one; in plain text where flite's word is found in the sentence
 * (case-insensitive, in order); a word flite derived from the text (a
 * number said as "twenty") gets the span up to the next word that is found.
 *
 * Options: speed (x SSML prosody rate, clamped to 0.25..4) scales the
 * durations, pitch (+ SSML prosody pitch) the mean F0 (2^(st/12)); an SSML
 * break is silence; cond conditions the frames toward a speaker
 * (cg_conditioning.h), its duration scale folded into the pace. The
 * caller validates the options against its own limits (the node and the
 * CLI use ss_synth_options_validate) before calling. Cancellation is
 * checked before every piece, before every vocoded chunk and at every
 * hand-off of audio. */
#ifndef SS_ENGINE_CLUSTERGEN_CG_SPEAK_H
#define SS_ENGINE_CLUSTERGEN_CG_SPEAK_H

#include "node/engine/clustergen/cg_voice.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/word_timing.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double speed;                /* pace, 1 = the voice's */
    double pitch;                /* semitones */
    int sample_rate;             /* of the output; 0 = the voice's */
    uint32_t chunk_ms;           /* audio per vocoded chunk (at least one frame) */
    bool timestamps;             /* call sink->alignment once per piece */
    const ss_conditioning *cond; /* a cloned speaker's conditioning, or NULL */
} ss_cg_speak_options;

typedef struct {
    void *user;
    /* s16 mono at the output rate, samples [start, start + n). 0, or -1: stop. */
    int (*audio)(void *user, const int16_t *pcm, size_t n, uint64_t start);
    /* One piece's timings (only when options.timestamps). 0, or -1: stop. */
    int (*alignment)(void *user, const ss_word_timing *words, size_t nwords,
                     const ss_phoneme_timing *phones, size_t nphones);
    /* True once the work should stop; NULL = never. */
    bool (*cancelled)(void *user);
} ss_cg_speak_sink;

typedef enum {
    SS_CG_SPEAK_OK = 0,
    SS_CG_SPEAK_STOPPED, /* the sink said stop (cancelled, or a callback returned -1) */
    SS_CG_SPEAK_INVALID, /* malformed SSML, or nothing to say: err says which */
    SS_CG_SPEAK_FAILED,  /* out of memory, or the vocoder's or resampler's error */
} ss_cg_speak_status;

/* What ss_cg_speak would refuse as INVALID about the text alone (malformed
 * SSML, nothing to say), without speaking: 0, or -1 + err ("out of memory"
 * too). Lets a caller refuse before costly work of its own. */
int ss_cg_speak_check(const char *text, char *err, size_t errlen);

/* Speaks text (plain, or SSML when it starts with <speak or <?xml) with
 * voice v into sink. err is set for INVALID and FAILED. */
ss_cg_speak_status ss_cg_speak(ss_cg_voice *v, const char *text, const ss_cg_speak_options *o,
                               const ss_cg_speak_sink *sink, char *err, size_t errlen);

#endif
