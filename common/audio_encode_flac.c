/* flac codec: libFLAC's stream encoder writing into the output buffer.
 *
 * File mode gives libFLAC seek and tell callbacks, so at finish it goes back
 * and fills STREAMINFO with the total samples, frame sizes and the MD5 of
 * the audio. Stream mode gives it none: STREAMINFO keeps total samples 0
 * and MD5 0, which RFC 9639 defines as "unknown" (libFLAC 1.4 still
 * computes the MD5; it is just never written), and every byte is final
 * when written. The fLaC marker and STREAMINFO are written at
 * init, so a stream starts with them.
 *
 * Block size: libFLAC emits a frame per block, so the block is what a
 * stream holds back. The largest power of two of at most ~100 ms: 512 at
 * 8 kHz, 1024 at 16 kHz, 2048 at 22.05-32 kHz, 4096 at 44.1/48 kHz
 * (64-93 ms); all within the streamable subset. Compression level 5
 * (libFLAC's default). */
#include "common/audio_encode_codec.h"

#include <FLAC/stream_encoder.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_HELD_MS 100
#define CHUNK 4096

typedef struct {
    FLAC__StreamEncoder *enc;
    ss_audio_out *out;
    FLAC__int32 buf[CHUNK];
} flac_state;

static FLAC__StreamEncoderWriteStatus on_write(const FLAC__StreamEncoder *enc,
                                               const FLAC__byte buffer[], size_t bytes,
                                               uint32_t samples, uint32_t frame, void *user)
{
    (void)enc;
    (void)samples;
    (void)frame;
    flac_state *s = user;
    return ss_audio_out_write(s->out, buffer, bytes) == 0 ? FLAC__STREAM_ENCODER_WRITE_STATUS_OK
                                                          : FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
}

static FLAC__StreamEncoderSeekStatus on_seek(const FLAC__StreamEncoder *enc, FLAC__uint64 offset,
                                             void *user)
{
    (void)enc;
    ss_audio_out_seek(((flac_state *)user)->out, (size_t)offset);
    return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}

static FLAC__StreamEncoderTellStatus on_tell(const FLAC__StreamEncoder *enc,
                                             FLAC__uint64 *offset, void *user)
{
    (void)enc;
    *offset = ((flac_state *)user)->out->pos;
    return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

static uint32_t block_size(int rate)
{
    uint32_t b = 256;
    while ((uint64_t)b * 2 * 1000 <= (uint64_t)rate * MAX_HELD_MS)
        b *= 2;
    return b;
}

static const char *state_text(const flac_state *s)
{
    if (s->out->out_of_memory)
        return "out of memory";
    return FLAC__StreamEncoderStateString[FLAC__stream_encoder_get_state(s->enc)];
}

static void flac_close(void *state)
{
    flac_state *s = state;
    if (s->enc)
        FLAC__stream_encoder_delete(s->enc);
    free(s);
}

static void *flac_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    flac_state *s = calloc(1, sizeof *s);
    if (!s || !(s->enc = FLAC__stream_encoder_new())) {
        snprintf(err, errlen, "flac encoder: out of memory");
        free(s);
        return NULL;
    }
    s->out = a->out;
    int stream = a->mode == SS_AUDIO_STREAM;
    FLAC__StreamEncoder *enc = s->enc;
    if (!FLAC__stream_encoder_set_channels(enc, 1) ||
        !FLAC__stream_encoder_set_bits_per_sample(enc, 16) ||
        !FLAC__stream_encoder_set_sample_rate(enc, (uint32_t)a->rate) ||
        !FLAC__stream_encoder_set_compression_level(enc, 5) ||
        !FLAC__stream_encoder_set_blocksize(enc, block_size(a->rate)) ||
        !FLAC__stream_encoder_set_streamable_subset(enc, true)) {
        snprintf(err, errlen, "flac encoder: FLAC__stream_encoder_set_* refused %d Hz mono",
                 a->rate);
        flac_close(s);
        return NULL;
    }
    FLAC__StreamEncoderInitStatus st = FLAC__stream_encoder_init_stream(
        enc, on_write, stream ? NULL : on_seek, stream ? NULL : on_tell, NULL, s);
    if (st != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
        snprintf(err, errlen, "flac encoder: FLAC__stream_encoder_init_stream failed: %s",
                 s->out->out_of_memory ? "out of memory"
                                       : FLAC__StreamEncoderInitStatusString[st]);
        flac_close(s);
        return NULL;
    }
    return s;
}

static int flac_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    flac_state *s = state;
    while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        for (size_t i = 0; i < k; i++)
            s->buf[i] = pcm[i];
        if (!FLAC__stream_encoder_process_interleaved(s->enc, s->buf, (uint32_t)k)) {
            snprintf(err, errlen, "flac encoder: FLAC__stream_encoder_process_interleaved failed: %s",
                     state_text(s));
            return -1;
        }
        pcm += k;
        n -= k;
    }
    return 0;
}

static int flac_finish(void *state, char *err, size_t errlen)
{
    flac_state *s = state;
    if (!FLAC__stream_encoder_finish(s->enc) || s->out->out_of_memory) {
        snprintf(err, errlen, "flac encoder: FLAC__stream_encoder_finish failed: %s",
                 state_text(s));
        return -1;
    }
    /* libFLAC's seek back left the write position inside STREAMINFO. */
    ss_audio_out_seek(s->out, s->out->len);
    return 0;
}

const ss_audio_codec ss_audio_codec_flac = {flac_open, flac_encode, flac_finish, flac_close, 0, 0};
