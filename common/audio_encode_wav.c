/* wav and pcm codecs: s16le samples as they are, with or without a
 * RIFF/WAVE header (see audio_encode.h).
 *
 * wav, file mode: a 44-byte header is reserved at open and filled in at
 * finish, when the length is known; RIFF sizes are 32-bit, so more than
 * 4 GiB of data is refused. wav, stream mode: the header goes out at open
 * with RIFF and data sizes 0xFFFFFFFF, the "length unknown" value
 * streaming servers use and players (sox, ffmpeg, browsers) read to the
 * end of the stream; no size limit then. pcm: no header, both modes. */
#include "common/audio_encode_codec.h"
#include "common/audio_encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAV_HEADER_BYTES SS_AUDIO_WAV_HEADER_BYTES
#define SIZE_UNKNOWN 0xFFFFFFFFu

typedef struct {
    const char *name;
    ss_audio_out *out;
    int rate;
    int header;      /* wav: 1 */
    ss_audio_mode mode;
    uint64_t bytes;  /* data bytes written */
} raw_state;

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The 44-byte header for data_bytes of data (SIZE_UNKNOWN: both sizes). */
static void wav_header(uint8_t h[WAV_HEADER_BYTES], int rate, uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4);
    put_le32(h + 4, data_bytes == SIZE_UNKNOWN ? SIZE_UNKNOWN : data_bytes + WAV_HEADER_BYTES - 8);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le32(h + 16, 16);                   /* fmt chunk size */
    put_le16(h + 20, 1);                    /* PCM */
    put_le16(h + 22, 1);                    /* mono */
    put_le32(h + 24, (uint32_t)rate);
    put_le32(h + 28, (uint32_t)rate * 2);   /* byte rate */
    put_le16(h + 32, 2);                    /* block align */
    put_le16(h + 34, 16);                   /* bits per sample */
    memcpy(h + 36, "data", 4);
    put_le32(h + 40, data_bytes);
}

void ss_audio_wav_stream_header(uint8_t h[SS_AUDIO_WAV_HEADER_BYTES], int rate)
{
    wav_header(h, rate, SIZE_UNKNOWN);
}

static void *raw_open(const ss_audio_codec_args *a, int header, char *err, size_t errlen)
{
    raw_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s encoder: out of memory", a->name);
        return NULL;
    }
    s->name = a->name;
    s->out = a->out;
    s->rate = a->rate;
    s->header = header;
    s->mode = a->mode;
    if (header) {
        uint8_t h[WAV_HEADER_BYTES] = {0}; /* file mode: a placeholder */
        if (a->mode == SS_AUDIO_STREAM)
            wav_header(h, a->rate, SIZE_UNKNOWN);
        if (ss_audio_out_write(s->out, h, sizeof h) != 0) {
            snprintf(err, errlen, "%s encoder: out of memory", a->name);
            free(s);
            return NULL;
        }
    }
    return s;
}

static void *wav_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    return raw_open(a, 1, err, errlen);
}

static void *pcm_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    return raw_open(a, 0, err, errlen);
}

static int raw_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    raw_state *s = state;
    if (s->header && s->mode == SS_AUDIO_FILE &&
        s->bytes + 2 * (uint64_t)n > (uint64_t)UINT32_MAX - (WAV_HEADER_BYTES - 8)) {
        snprintf(err, errlen, "wav encoder: output over the 4 GiB RIFF limit");
        return -1;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The host's int16_t already is s16le: the samples are the bytes. */
    if (ss_audio_out_write(s->out, pcm, 2 * n) != 0) {
        snprintf(err, errlen, "%s encoder: out of memory", s->name);
        return -1;
    }
    s->bytes += 2 * (uint64_t)n;
    return 0;
#else
    uint8_t tmp[4096];
    while (n > 0) {
        size_t k = n < sizeof tmp / 2 ? n : sizeof tmp / 2;
        for (size_t i = 0; i < k; i++)
            put_le16(tmp + 2 * i, (uint16_t)pcm[i]);
        if (ss_audio_out_write(s->out, tmp, 2 * k) != 0) {
            snprintf(err, errlen, "%s encoder: out of memory", s->name);
            return -1;
        }
        s->bytes += 2 * k;
        pcm += k;
        n -= k;
    }
    return 0;
#endif
}

static int raw_finish(void *state, char *err, size_t errlen)
{
    raw_state *s = state;
    if (!s->header || s->mode == SS_AUDIO_STREAM)
        return 0;
    uint8_t h[WAV_HEADER_BYTES];
    wav_header(h, s->rate, (uint32_t)s->bytes);
    size_t end = s->out->len;
    ss_audio_out_seek(s->out, 0); /* reserved at open, never shown before finish */
    int rc = ss_audio_out_write(s->out, h, sizeof h);
    ss_audio_out_seek(s->out, end);
    if (rc != 0) {
        snprintf(err, errlen, "wav encoder: out of memory");
        return -1;
    }
    return 0;
}

static void raw_close(void *state) { free(state); }

const ss_audio_codec ss_audio_codec_wav = {wav_open, raw_encode, raw_finish, raw_close, 0, 0};
const ss_audio_codec ss_audio_codec_pcm = {pcm_open, raw_encode, raw_finish, raw_close, 1, 0};
