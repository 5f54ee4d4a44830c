/* Audio input sink: the part of reference decoding that every decoder
 * shares (common/audio_input.c for libsndfile, common/audio_input_vorbis.c
 * for Ogg Vorbis). A decoder opens the stream, calls ss_audio_sink_begin with
 * what the header says, hands every block of frames to ss_audio_sink_add
 * (interleaved) or ss_audio_sink_add_planar, and ends with
 * ss_audio_sink_finish. The sink owns the limits (channels, rate, duration),
 * the mixdown to mono, the peak over every channel and the "shorter than the
 * header promised" check, so both decoders answer the same codes. Internal
 * to common/: not part of the public audio_input.h. */
#ifndef SS_COMMON_AUDIO_INPUT_SINK_H
#define SS_COMMON_AUDIO_INPUT_SINK_H

#include "common/audio_input.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    ss_audio *out;
    ss_audio_error *code;
    char *err;
    size_t errlen;
    int channels, rate;
    long long header_frames; /* > 0 when the header says how long it is */
    size_t cap, n, max_frames;
    float peak;
} ss_audio_sink;

/* 0, or -1 with the code and message set (implausible header, too long, out
 * of memory). header_frames <= 0 means "unknown, read to the end". */
int ss_audio_sink_begin(ss_audio_sink *s, ss_audio *out, int channels, int rate,
                        long long header_frames, ss_audio_error *code, char *err, size_t errlen);
/* Adds frames (interleaved, s->channels per frame). 0, or -1 (too long, out of memory). */
int ss_audio_sink_add(ss_audio_sink *s, const float *interleaved, size_t frames);
/* Same for planar data: pcm[channel][frame]. */
int ss_audio_sink_add_planar(ss_audio_sink *s, float *const *pcm, size_t frames);
/* Checks the whole (no frames, shorter than the header; lossy streams may be
 * 5 % short) and names the format. 0, or -1 with the code and message set. */
int ss_audio_sink_finish(ss_audio_sink *s, bool lossy, const char *format);
/* Frees what the sink allocated and zeroes *out (on any failure path). */
void ss_audio_sink_abandon(ss_audio_sink *s);
/* Sets *code (when not NULL) and the message; returns -1. */
int ss_audio_fail(ss_audio_error *code, ss_audio_error c, char *err, size_t errlen,
                  const char *msg);

/* True when data is an Ogg stream that libsndfile would take down its
 * Vorbis path: it starts with "OggS" and the first page libogg finds does
 * not begin an Opus or FLAC stream (audio_input_vorbis.c). */
bool ss_audio_ogg_needs_vorbisfile(const uint8_t *data, size_t len);
/* Decodes an Ogg Vorbis stream with libvorbisfile (audio_input_vorbis.c). */
int ss_audio_decode_vorbis(const uint8_t *data, size_t len, ss_audio *out, ss_audio_error *code,
                           char *err, size_t errlen);

#endif
