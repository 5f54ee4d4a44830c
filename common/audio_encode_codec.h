/* The contract between the encoder dispatcher (audio_encode.c) and one
 * codec file (audio_encode_wav.c, _flac.c, _mp3.c, _opus.c,
 * _opus_packets.c, _aac.c). Internal to common/audio_encode*.c.
 *
 * The dispatcher validates the format and rates, resamples, counts samples
 * and exposes the bytes; a codec only turns PCM at the output rate into
 * bytes in an ss_audio_out. Each codec keeps its state in its own struct
 * behind a void pointer, so no codec sees another's library.
 *
 * Mode: SS_AUDIO_FILE (ss_audio_encoder_new) may patch its start at finish
 * and so shows no bytes before finish unless the codec says it never
 * seeks; SS_AUDIO_STREAM (ss_audio_encoder_new_stream) must never seek,
 * so every byte is readable as soon as it is written.
 *
 * Every function that can fail returns -1 (NULL for open) with err naming
 * the format and the library call; "out of memory" when a buffer could not
 * grow. */
#ifndef SS_COMMON_AUDIO_ENCODE_CODEC_H
#define SS_COMMON_AUDIO_ENCODE_CODEC_H

#include "common/audio_encode_out.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { SS_AUDIO_FILE = 0, SS_AUDIO_STREAM = 1 } ss_audio_mode;

typedef struct {
    const char *name;    /* for messages: "wav", "mp3", ... */
    int rate;            /* the output rate, already allowed for the format */
    ss_audio_mode mode;
    ss_audio_out *out;   /* where the bytes go; owned by the dispatcher */
} ss_audio_codec_args;

typedef struct {
    /* The codec's state (and any header bytes it writes up front). */
    void *(*open)(const ss_audio_codec_args *a, char *err, size_t errlen);
    /* n > 0 samples at the output rate. */
    int (*encode)(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen);
    /* Flushes the codec and completes the bytes; called once. */
    int (*finish)(void *state, char *err, size_t errlen);
    void (*close)(void *state);
    /* 1 when the file mode never seeks back either (bytes readable at once). */
    int file_mode_streams;
    /* 1 when zero samples have no form the decoders accept: the dispatcher
     * then feeds one sample of silence before finish. */
    int needs_a_sample;
} ss_audio_codec;

extern const ss_audio_codec ss_audio_codec_wav;
extern const ss_audio_codec ss_audio_codec_pcm;
extern const ss_audio_codec ss_audio_codec_flac;
extern const ss_audio_codec ss_audio_codec_mp3;
extern const ss_audio_codec ss_audio_codec_opus;
extern const ss_audio_codec ss_audio_codec_opus_packets;
extern const ss_audio_codec ss_audio_codec_aac;

#endif
