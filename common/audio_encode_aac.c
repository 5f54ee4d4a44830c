/* aac codec: AAC-LC from libavcodec's native encoder ("aac"), mono, in an
 * ADTS elementary stream whose 7-byte frame headers are written here (no
 * libavformat). Never seeks, so file and stream mode are the same bytes.
 *
 * Samples collect as float planar in one 1024-sample frame; each full frame
 * goes to avcodec_send_frame and every packet that comes back is written at
 * once with its ADTS header, so bytes leave within a frame or two (the
 * encoder's look-ahead). finish sends the last partial frame (the encoder
 * accepts a small last frame) and drains. ADTS cannot signal the encoder's
 * 1024 samples of priming, so decoders play them as lead-in: the decoded
 * length is the input plus 1024 samples plus the last frame's padding.
 *
 * Bitrate: 2 bits per sample, at most 64 kbit/s (16 kbit/s at 8 kHz,
 * 32 at 16 kHz, 48 at 24 kHz, 64 from 32 kHz up): below the encoder's
 * per-channel ceiling at every rate, and transparent enough for speech.
 *
 * Global state: libavcodec logs to stderr through its process-wide
 * av_log level (the aac encoder prints "Qavg: ..." at every close), which
 * would interleave with our JSON-lines logs. The first aac encoder turns it
 * to AV_LOG_QUIET once (pthread_once); every failure still comes back to
 * the caller as an error naming the call. */
#include "common/audio_encode_codec.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ADTS_HEADER 7
#define MAX_BITRATE 64000

typedef struct {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVPacket *pkt;
    ss_audio_out *out;
    int freq_index;   /* ADTS sampling_frequency_index */
    int have;         /* samples in frame */
    int64_t pts;
} aac_state;

/* ISO 14496-3 sampling frequency table; the index goes into ADTS. */
static int frequency_index(int rate)
{
    static const int RATES[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                22050, 16000, 12000, 11025, 8000,  7350};
    for (int i = 0; i < (int)(sizeof RATES / sizeof *RATES); i++)
        if (RATES[i] == rate)
            return i;
    return -1;
}

static void av_text(int rc, char *buf, size_t cap)
{
    if (rc == AVERROR(ENOMEM))
        snprintf(buf, cap, "out of memory");
    else if (av_strerror(rc, buf, cap) != 0)
        snprintf(buf, cap, "libavcodec error %d", rc);
}

static int fail(int rc, const char *call, char *err, size_t errlen)
{
    char why[128];
    av_text(rc, why, sizeof why);
    snprintf(err, errlen, "aac encoder: %s failed: %s", call, why);
    return -1;
}

static void aac_close(void *state)
{
    aac_state *s = state;
    avcodec_free_context(&s->ctx);
    av_frame_free(&s->frame);
    av_packet_free(&s->pkt);
    free(s);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void quiet_av_log(void) { av_log_set_level(AV_LOG_QUIET); }

static int open_codec(aac_state *s, int rate, char *err, size_t errlen)
{
    pthread_once(&log_once, quiet_av_log);
    const AVCodec *codec = avcodec_find_encoder_by_name("aac");
    if (!codec) {
        snprintf(err, errlen, "aac encoder: libavcodec has no native \"aac\" encoder");
        return -1;
    }
    if (!(s->ctx = avcodec_alloc_context3(codec)) || !(s->frame = av_frame_alloc()) ||
        !(s->pkt = av_packet_alloc())) {
        snprintf(err, errlen, "aac encoder: out of memory");
        return -1;
    }
    AVCodecContext *c = s->ctx;
    c->sample_fmt = AV_SAMPLE_FMT_FLTP;
    c->sample_rate = rate;
    av_channel_layout_default(&c->ch_layout, 1);
    c->bit_rate = 2 * rate < MAX_BITRATE ? 2 * rate : MAX_BITRATE;
    c->profile = FF_PROFILE_AAC_LOW;
    int rc = avcodec_open2(c, codec, NULL);
    if (rc < 0)
        return fail(rc, "avcodec_open2", err, errlen);
    s->frame->format = c->sample_fmt;
    s->frame->sample_rate = rate;
    s->frame->nb_samples = c->frame_size;
    if ((rc = av_channel_layout_copy(&s->frame->ch_layout, &c->ch_layout)) < 0 ||
        (rc = av_frame_get_buffer(s->frame, 0)) < 0)
        return fail(rc, "av_frame_get_buffer", err, errlen);
    return 0;
}

static void *aac_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    aac_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "aac encoder: out of memory");
        return NULL;
    }
    s->out = a->out;
    s->freq_index = frequency_index(a->rate);
    if (s->freq_index < 0) {
        snprintf(err, errlen, "aac encoder: %d Hz is not an AAC sampling frequency", a->rate);
        aac_close(s);
        return NULL;
    }
    if (open_codec(s, a->rate, err, errlen) != 0) {
        aac_close(s);
        return NULL;
    }
    return s;
}

/* One packet -> ADTS header (MPEG-4, AAC LC, no CRC, 1 channel, VBR
 * buffer fullness) + payload. */
static int put_packet(aac_state *s, char *err, size_t errlen)
{
    size_t len = ADTS_HEADER + (size_t)s->pkt->size;
    if (len > 0x1FFF) {
        snprintf(err, errlen, "aac encoder: a %d-byte packet does not fit an ADTS frame",
                 s->pkt->size);
        return -1;
    }
    const int profile = 1, channels = 1; /* AAC LC = object type 2, minus 1 */
    uint8_t h[ADTS_HEADER] = {
        0xFF,
        0xF1,
        (uint8_t)((profile << 6) | (s->freq_index << 2) | (channels >> 2)),
        (uint8_t)(((channels & 3) << 6) | (len >> 11)),
        (uint8_t)((len >> 3) & 0xFF),
        (uint8_t)(((len & 7) << 5) | 0x1F),
        0xFC,
    };
    if (ss_audio_out_write(s->out, h, sizeof h) != 0 ||
        ss_audio_out_write(s->out, s->pkt->data, (size_t)s->pkt->size) != 0) {
        snprintf(err, errlen, "aac encoder: out of memory");
        return -1;
    }
    return 0;
}

/* Sends frame (NULL: end of stream) and writes every packet it yields. */
static int send_and_drain(aac_state *s, AVFrame *frame, char *err, size_t errlen)
{
    int rc = avcodec_send_frame(s->ctx, frame);
    if (rc < 0)
        return fail(rc, "avcodec_send_frame", err, errlen);
    for (;;) {
        rc = avcodec_receive_packet(s->ctx, s->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return fail(rc, "avcodec_receive_packet", err, errlen);
        rc = put_packet(s, err, errlen);
        av_packet_unref(s->pkt);
        if (rc != 0)
            return -1;
    }
}

static int send_frame(aac_state *s, char *err, size_t errlen)
{
    s->frame->nb_samples = s->have;
    s->frame->pts = s->pts;
    s->pts += s->have;
    s->have = 0;
    return send_and_drain(s, s->frame, err, errlen);
}

static int aac_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    aac_state *s = state;
    const int frame_size = s->ctx->frame_size;
    while (n > 0) {
        if (s->have == 0) { /* the encoder may still hold the last frame's data */
            int rc = av_frame_make_writable(s->frame);
            if (rc < 0)
                return fail(rc, "av_frame_make_writable", err, errlen);
        }
        float *dst = (float *)s->frame->data[0] + s->have;
        size_t k = (size_t)(frame_size - s->have) < n ? (size_t)(frame_size - s->have) : n;
        for (size_t i = 0; i < k; i++)
            dst[i] = (float)pcm[i] * (1.0f / 32768.0f);
        s->have += (int)k;
        pcm += k;
        n -= k;
        if (s->have == frame_size && send_frame(s, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int aac_finish(void *state, char *err, size_t errlen)
{
    aac_state *s = state;
    if (s->have > 0 && send_frame(s, err, errlen) != 0)
        return -1;
    return send_and_drain(s, NULL, err, errlen);
}

const ss_audio_codec ss_audio_codec_aac = {aac_open, aac_encode, aac_finish, aac_close, 1, 1};
