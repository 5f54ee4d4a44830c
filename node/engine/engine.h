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
 *     across cuts, so the chunks join without a seam. The first phrase's
 *     first first_chunk_ms of audio (default SS_ENGINE_FIRST_CHUNK_MS) is
 *     a chunk of its own, handed
 *     over as soon as the vocoder has it (on the CPU kernels called
 *     directly), while the rest of the phrase is still being vocoded: the
 *     same samples, sooner.
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

#include "common/synth_limits.h"
#include "kernels/batch_scheduler.h"
#include "kernels/kernels_select.h"
#include "node/engine/voice/conditioning.h"
#include "node/engine/voice/reference_analysis.h"
#include "node/engine/voice/voice_design.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ss_voice ss_voice;

/* Loads and validates a .htsvoice file. NULL with a message on failure. */
ss_voice *ss_voice_load(const char *path, char *err, size_t errlen);
/* Same through the prepared-voice cache in cache_dir (NULL/"": none; see
 * acoustic/htsvoice_prepared.h): a cache problem is not a failure, it is
 * described in note ("" when none) for the caller to report. */
ss_voice *ss_voice_load_cached(const char *path, const char *cache_dir, char *note, size_t notelen,
                               char *err, size_t errlen);
void ss_voice_free(ss_voice *v);
int ss_voice_native_rate(const ss_voice *v);        /* 32000 for the slt voice */
double ss_voice_frame_ms(const ss_voice *v);        /* 5.0 */

/* speed and pitch limits: the one set every layer uses (common/synth_limits.h). */

/* Per-label prosody, e.g. from SSML (<break>, <prosody rate/pitch>). */
/* The first chunk of a streamed call, by default: this much audio. */
#define SS_ENGINE_FIRST_CHUNK_MS 50.0

typedef struct {
    double rate;                /* label's speaking-rate factor on top of speed; 0 or 1 = none; 0.25..4 */
    double pitch;               /* semitones added to the options' pitch; -24..24 */
    int pause_ms;               /* > 0: the label (a pause) lasts this long; 0..10000 */
} ss_label_prosody;

typedef struct {
    double speed;               /* 0.25..4, SS_ENGINE_SPEED_* (1 = model durations) */
    double pitch;               /* semitones, -12..12 */
    int sample_rate;            /* 8000 16000 22050 24000 32000 44100 48000 */
    int stream;                 /* 1 = deliver phrase by phrase */
    int keep_audio;             /* 1 = also collect the whole utterance in the result */
    double first_chunk_ms;      /* stream = 1: the first phrase's first this much audio is a chunk
                                   of its own (above); 0 = the whole phrase as one chunk */
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

/* speed 1, pitch 0, 32000 Hz, stream 0, keep_audio 1, first_chunk_ms SS_ENGINE_FIRST_CHUNK_MS, no cancel flag, no prosody,
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
    int is_last;                /* ss_synthesize: its call's last chunk. Through
                                   ss_engine_speak: the utterance's last chunk, when the
                                   front end knew no sentence follows (else 0; a hint for
                                   writers that may hold it for what follows, never a
                                   promise of a 1) */
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

/* ---- Text in, speech out: the one orchestration (synth/speak.c) ----
 *
 * Every caller that turns text into audio — the node's engine adapter, the
 * CLI's `scaispeak synth`, tests and tools — goes through ss_engine_speak, so
 * they cannot drift apart: front end (plain text or SSML) -> per sentence
 * the SSML prosody (<break>, <prosody rate/pitch>) as per-label prosody ->
 * ss_synthesize streamed phrase by phrase -> the caller's sink. The options
 * are validated once, before any work. Sentences are spoken in order and
 * their audio concatenated: a chunk's first_sample is its offset in the
 * whole utterance. Word times point back into the caller's text, one per
 * written token: a token said as several words ("555", "$5") is one timing
 * over all of them. */
typedef struct ss_frontend ss_frontend;

/* The text front end (flite's English analysis behind it). One may serve
 * any number of threads. NULL + err on failure. */
ss_frontend *ss_frontend_create(char *err, size_t errlen);
void ss_frontend_free(ss_frontend *fe);

typedef struct {
    const char *text;           /* the word as written: a pointer into the caller's text */
    size_t text_len;
    size_t src_start, src_end;  /* its byte range in the caller's text */
    size_t first_phone, last_phone; /* indexes into the sentence's phones */
    double start_ms, end_ms;    /* in the whole utterance */
} ss_spoken_word;

typedef struct {
    const char *phone;          /* "pau", "ax", ... */
    double start_ms, end_ms;    /* in the whole utterance */
} ss_spoken_phone;

/* One sentence's timings, handed to the sink after the sentence's audio. */
typedef struct {
    size_t sentence;            /* 0-based among the sentences spoken */
    const ss_spoken_word *words;
    size_t nwords;
    const ss_spoken_phone *phones;
    size_t nphones;
} ss_sentence_alignment;

typedef struct {
    /* Every audio chunk, in order; chunk->first_sample counts from the start
     * of the whole utterance. Non-zero return stops the call (cancelled). */
    ss_chunk_fn audio;
    /* Optional (NULL = timings not wanted): one call per sentence, after its
     * audio. Non-zero return stops the call (cancelled). */
    int (*alignment)(void *user, const ss_sentence_alignment *a);
    void *user;
} ss_speak_sink;

typedef struct {
    size_t nsamples;            /* audio delivered, all sentences */
    size_t sentences;           /* sentences spoken (empty ones skipped) */
    double first_chunk_ms;      /* wall time from the call to the first chunk */
    size_t text_read_at_first_chunk; /* bytes of the text the front end had read by then
                                        (plain text is read as it is spoken; SSML whole) */
    double lookup_ms, paramgen_ms, vocoder_ms; /* thread CPU time, summed */
} ss_speak_stats;

/* Results of ss_engine_speak besides 0, -1 (failure, err says why; out of
 * memory is reported as "out of memory") and SS_SYNTH_CANCELLED. */
#define SS_SPEAK_INVALID (-3)   /* the text: bad SSML, or nothing to say (err says which) */

/* text/len: UTF-8, plain or SSML (<speak>...). o->stream and o->keep_audio
 * are ignored (audio always streams to the sink, phrase by phrase, and is
 * not kept). stats may be NULL. */
int ss_engine_speak(const ss_voice *v, ss_frontend *fe, const char *text, size_t len,
                    const ss_synth_options *o, const ss_speak_sink *sink, ss_speak_stats *stats,
                    char *err, size_t errlen);

/* ---- Speaker conditioning: zero-shot cloning and voice design (voice/) ----
 *
 * A conditioner holds what conditioning needs besides its input: the base
 * voice, a front end and the model's own statistics (measured on first use,
 * about a second, then kept; voice/model_profile.h). It is safe for any
 * number of threads. Its answers are ss_conditioning values (small,
 * serialisable: voice/conditioning.h); ss_conditioned_voice_new turns one
 * into a voice that synthesizes like any other. */
typedef struct ss_conditioner ss_conditioner;

/* base and fe are borrowed and must outlive the conditioner. NULL + err. */
ss_conditioner *ss_conditioner_new(const ss_voice *base, ss_frontend *fe, char *err, size_t errlen);
void ss_conditioner_free(ss_conditioner *c);

/* The model's own statistics (measured on the first call). 0 or -1 + err. */
int ss_conditioner_model(ss_conditioner *c, ss_speaker_stats *out, char *err, size_t errlen);

/* From a reference clip's bytes (any format common/audio_input.h reads).
 * 0, or -1 with err and, when the clip itself is unusable, a short reason
 * ("too_short", "analysis_failed", ...; may be NULL); rep may be NULL. */
int ss_conditioner_from_reference(ss_conditioner *c, const uint8_t *data, size_t len, ss_conditioning *out,
                                  ss_reference_report *rep, char *reason, size_t reasonlen, char *err,
                                  size_t errlen);

/* From a design prompt ("deep, slow, elderly male narrator"); u (may be
 * NULL) gets what was understood. 0 or -1 + err. */
int ss_conditioner_from_prompt(ss_conditioner *c, const char *prompt, ss_conditioning *out,
                               ss_design_understood *u, char *err, size_t errlen);

/* From design numbers (the node wire's VoiceDesign). 0 or -1 + err. */
int ss_conditioner_from_numbers(ss_conditioner *c, double f0_shift_st, double f0_range_scale,
                                double alpha_shift, double brightness, double energy_db, double rate_scale,
                                ss_conditioning *out, char *err, size_t errlen);

/* The conditioned voice (voice/conditioned_voice.c): the base voice with the
 * conditioning applied to its model parameters; *bytes (may be NULL) gets
 * the memory it owns. The base voice must outlive it. NULL + err. */
ss_voice *ss_conditioned_voice_new(const ss_voice *base, const ss_conditioning *c, size_t *bytes,
                                   char *err, size_t errlen);
/* Frees a voice made by ss_conditioned_voice_new (never ss_voice_free); NULL is fine. */
void ss_conditioned_voice_free(ss_voice *v);
/* The speed to synthesize a conditioned voice at: the caller's speed over
 * the conditioning's duration scale, kept within the engine's speed limits. */
double ss_conditioned_speed(const ss_conditioning *c, double speed);

#endif
