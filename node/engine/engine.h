/* The speech engine's public API: full-context labels in, speech out.
 *
 * Load a voice once with ss_voice_load; the loaded voice is immutable, so
 * any number of worker threads may call ss_synthesize on it at the same time
 * (each call owns all of its working state). ss_synthesize looks up the
 * acoustic model for every label, fixes the state durations for the whole
 * utterance (speed applies here), computes phone and word timestamps, then
 * generates parameters and audio:
 *   - stream = 0: the whole utterance in one piece (bit-exact with
 *     libHTSEngine 1.10 at 32 kHz), delivered as one chunk;
 *   - stream = 1: phrase by phrase, cutting in the middle of every interior
 *     pause ("pau"); each phrase is generated, vocoded and handed to the
 *     chunk callback before the next phrase is generated. The vocoder (MLSA
 *     filter memory, excitation phase, noise generator, resampler) runs on
 *     across cuts, so the chunks join without a seam.
 * Cancellation: *cancel (if given) is read before every chunk is generated
 * and before it is delivered; a callback returning non-zero also stops the
 * call. Both make ss_synthesize return SS_SYNTH_CANCELLED.
 *
 * Labels are HTS full-context label lines, "name" or "start end name"
 * (festival's times are ignored, as libHTSEngine does without alignment).
 * Word timestamps come from the labels' position fields (phone-in-syllable
 * p6/p7 and syllable-in-word b4/b5); words are numbered in order, pauses
 * belong to no word, and the caller maps word numbers to its own text. */
#ifndef SS_ENGINE_ENGINE_H
#define SS_ENGINE_ENGINE_H

#include "kernels/batch_scheduler.h"
#include "kernels/kernels_select.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ss_voice ss_voice;

/* Loads and validates a .htsvoice file. NULL with a message on failure. */
ss_voice *ss_voice_load(const char *path, char *err, size_t errlen);
void ss_voice_free(ss_voice *v);
int ss_voice_native_rate(const ss_voice *v);        /* 32000 for the slt voice */
double ss_voice_frame_ms(const ss_voice *v);        /* 5.0 */

#define SS_SPEED_MIN 0.5
#define SS_SPEED_MAX 2.0
#define SS_PITCH_MIN (-12.0)
#define SS_PITCH_MAX 12.0

/* Per-label prosody, e.g. from SSML (<break>, <prosody rate/pitch>). */
typedef struct {
    double rate;                /* label's speaking-rate factor on top of speed; 0 or 1 = none; 0.25..4 */
    double pitch;               /* semitones added to the options' pitch; -24..24 */
    int pause_ms;               /* > 0: the label (a pause) lasts this long; 0..10000 */
} ss_label_prosody;

typedef struct {
    double speed;               /* 0.5..2 (1 = model durations) */
    double pitch;               /* semitones, -12..12 */
    int sample_rate;            /* 8000 16000 22050 24000 32000 44100 48000 */
    int stream;                 /* 1 = deliver phrase by phrase */
    int keep_audio;             /* 1 = also collect the whole utterance in the result */
    const atomic_int *cancel;   /* optional: non-zero asks to stop */
    const char *request_id;     /* optional: for log lines */
    const ss_label_prosody *prosody; /* optional: [nlabels] per-label prosody */
    /* Where MLPG, excitation and MLSA run (kernels/kernel_route.h):
     * kernels NULL = the CPU kernels; scheduler not NULL = the work is
     * submitted to that batch scheduler (batched with concurrent calls,
     * run on the scheduler's own ops; kernels is then not used). Both are
     * borrowed and must outlive the call. The samples are the same either
     * way on the CPU kernels (bit for bit). */
    const ss_kernel_ops *kernels;
    ss_batch_scheduler *scheduler;
} ss_synth_options;

/* speed 1, pitch 0, 32000 Hz, stream 0, keep_audio 1, no cancel flag, no prosody,
 * CPU kernels called directly. */
void ss_synth_options_init(ss_synth_options *o);
/* 0, or -1 with the reason (speed 0/negative/NaN/inf/out of range, pitch
 * out of range, unsupported rate). */
int ss_synth_options_validate(const ss_synth_options *o, char *err, size_t errlen);

typedef struct {
    char phone[16];             /* "pau", "ax", ... */
    size_t label_index;
    double start_ms, end_ms;
} ss_phone_time;

typedef struct {
    size_t word_index;          /* 0-based, in label order */
    size_t first_phone, last_phone;
    double start_ms, end_ms;
} ss_word_time;

typedef struct {
    const float *samples;       /* mono, [-1, 1), at the requested rate */
    size_t nsamples;
    size_t index;               /* chunk number, 0-based */
    size_t first_sample;        /* offset of samples[0] in the utterance */
    int is_last;
} ss_audio_chunk;

/* Return non-zero to cancel the synthesis. */
typedef int (*ss_chunk_fn)(void *user, const ss_audio_chunk *chunk);

typedef struct {
    float *samples;             /* whole utterance when keep_audio, else NULL */
    size_t nsamples;            /* total samples delivered */
    int sample_rate;
    size_t nframes;
    ss_phone_time *phones;      /* filled before the first chunk is delivered */
    size_t nphones;
    ss_word_time *words;
    size_t nwords;
    size_t nchunks;
    /* thread CPU time per stage, milliseconds */
    double lookup_ms, paramgen_ms, vocoder_ms;
    double first_chunk_ms;      /* wall time from the call to the first chunk */
} ss_synth_result;

#define SS_SYNTH_CANCELLED (-2)

/* Most labels one call accepts (about 4 minutes of speech; memory grows
 * ~12 KiB per label). Callers split longer input by sentence. */
#define SS_SYNTH_MAX_LABELS 5000

/* 0 ok, -1 error (message in err), SS_SYNTH_CANCELLED. fn may be NULL.
 * out must be released with ss_synth_result_free whatever the result. */
int ss_synthesize(const ss_voice *v, const char *const *labels, size_t nlabels,
                  const ss_synth_options *o, ss_chunk_fn fn, void *user, ss_synth_result *out,
                  char *err, size_t errlen);
void ss_synth_result_free(ss_synth_result *r);

/* Float [-1, 1) -> 16-bit PCM with clipping. */
void ss_samples_to_s16(const float *in, size_t n, int16_t *out);

#endif
