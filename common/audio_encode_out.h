/* The output byte buffer every audio encoder writes into (internal to
 * common/audio_encode*.c).
 *
 * One growing byte array with a write position and a read start. Codecs
 * append at the write position; the file-mode codecs that patch their
 * start at finish (wav's RIFF sizes, FLAC's STREAMINFO, MP3's LAME tag)
 * seek back and overwrite. The dispatcher (audio_encode.c) hands the bytes
 * between the read start and the end to the caller and drops what the
 * caller consumed. A seek never lands in consumed bytes: file-mode bytes
 * that may still be patched are not shown before finish, and stream-mode
 * codecs never seek. */
#ifndef SS_COMMON_AUDIO_ENCODE_OUT_H
#define SS_COMMON_AUDIO_ENCODE_OUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len;       /* bytes written (the end) */
    size_t cap;
    size_t pos;       /* write position */
    size_t start;     /* first unconsumed byte */
    int out_of_memory; /* a write could not grow the buffer */
} ss_audio_out;

/* Writes p[0..n) at the write position (a seek past the end leaves a
 * zero-filled gap). 0, or -1 when the buffer cannot grow (out_of_memory
 * is then set). */
int ss_audio_out_write(ss_audio_out *o, const void *p, size_t n);
/* Moves the write position to pos (may be past the end). */
void ss_audio_out_seek(ss_audio_out *o, size_t pos);
/* Bytes not yet consumed, from the read start. */
const uint8_t *ss_audio_out_readable(const ss_audio_out *o, size_t *len);
/* Drops the first n readable bytes; the unread tail may move to the front
 * when compact is set (only when nothing will seek back any more). */
void ss_audio_out_consume(ss_audio_out *o, size_t n, int compact);
void ss_audio_out_release(ss_audio_out *o);

#endif
