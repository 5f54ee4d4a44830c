/* Audio input: a reference clip's bytes (WAV, FLAC, Ogg Opus/Vorbis, MP3 —
 * whatever libsndfile reads) decoded to mono float samples.
 *
 * Why here: the gateway's voice intake (preflight) and the node's reference
 * analysis both need the same decoder with the same limits, so it lives in
 * common/. Decoding reads from memory through libsndfile's virtual I/O (no
 * temporary files). Channels are averaged into mono; the absolute peak is
 * taken over every channel before mixing (preflight's clipping check must
 * see what the file holds). Limits are checked before and while decoding:
 * more than SS_AUDIO_MAX_BYTES of input, more than SS_AUDIO_MAX_SECONDS of
 * audio, zero frames, a file libsndfile cannot open, or fewer frames than the
 * header promised (a truncated file) are errors with a code and a message;
 * nothing is guessed (except that lossy MP3/Ogg streams may fall 5 % short
 * of their header's frame count: encoder delay and padding). Resampling
 * (soxr, high quality) is a separate step so
 * callers can analyse the clip at its own rate first. */
#ifndef SS_COMMON_AUDIO_INPUT_H
#define SS_COMMON_AUDIO_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define SS_AUDIO_MAX_BYTES (50u * 1024u * 1024u)
#define SS_AUDIO_MAX_SECONDS 300.0

typedef enum {
    SS_AUDIO_OK = 0,
    SS_AUDIO_EMPTY,       /* zero bytes or zero frames */
    SS_AUDIO_TOO_LARGE,   /* over SS_AUDIO_MAX_BYTES */
    SS_AUDIO_TOO_LONG,    /* over SS_AUDIO_MAX_SECONDS */
    SS_AUDIO_UNREADABLE,  /* not a format we read, or corrupt */
    SS_AUDIO_TRUNCATED,   /* the data ends before the header says */
    SS_AUDIO_NO_MEMORY,
} ss_audio_error;

typedef struct {
    float *samples;       /* mono, nominally [-1, 1] */
    size_t nsamples;
    int sample_rate;
    int channels;         /* of the file, before mixdown */
    float peak;           /* max |sample| over all channels, before mixdown */
    char format[32];      /* "wav", "flac", "ogg", "mp3", ... */
} ss_audio;

/* Stable lower-case name of an error code ("truncated", ...). */
const char *ss_audio_error_name(ss_audio_error e);

/* Decodes data[0..len). 0 and *out filled, or -1 with *code and err set
 * (code may be NULL). out is zeroed on failure. */
int ss_audio_decode(const uint8_t *data, size_t len, ss_audio *out, ss_audio_error *code,
                    char *err, size_t errlen);
/* Decodes data[0..len) to mono s16 (a relay's answer, re-encoded by the
 * caller): 0 with *pcm (malloc'd, free() it), *n and *rate, or -1 with err
 * ("out of memory" when that is why). */
int ss_audio_decode_s16(const uint8_t *data, size_t len, int16_t **pcm, size_t *n, int *rate, char *err,
                        size_t errlen);
/* Same from a file (reads it whole, the size limit checked first). */
int ss_audio_decode_file(const char *path, ss_audio *out, ss_audio_error *code, char *err,
                         size_t errlen);

/* Resamples a to rate in place (no-op when equal). 0, or -1 with err. */
int ss_audio_resample(ss_audio *a, int rate, char *err, size_t errlen);

void ss_audio_free(ss_audio *a);

#endif
