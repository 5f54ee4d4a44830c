/* 20 ms Opus frames from a stream of samples: the libopus core shared by
 * the Ogg Opus codec (audio_encode_opus.c) and the raw packet codec
 * (audio_encode_opus_packets.c). Internal to common/audio_encode*.c.
 *
 * Samples collect in one frame (rate / 50 samples); every full frame is
 * encoded with opus_encode and handed to the sink at once. finish pads the
 * last partial frame with silence and then encodes silent frames until at
 * least min_total samples went in (the Ogg codec asks for the input plus
 * the encoder's look-ahead, so the decoder can output every input sample).
 *
 * Settings, by measurement (docs/PERFORMANCE.md, "Output encoders"):
 * OPUS_APPLICATION_AUDIO, libopus's default bitrate (VBR, 72 kbit/s cap
 * for 48 kHz mono), no signal hint and complexity SS_OPUS_COMPLEXITY (3):
 * the word error rate of decoded speech stays that of the uncompressed
 * audio, at under half the CPU of complexity 9. OPUS_SIGNAL_VOICE was
 * measured and not set: it moves 48 kHz speech at this bitrate from CELT to
 * the hybrid SILK+CELT mode, which costs 2-3 times the CPU at every
 * complexity; so does complexity >= 7 without the hint (its signal
 * analysis picks hybrid too). SS_OPUS_COMPLEXITY may be overridden with -D
 * for such measurements. */
#ifndef SS_COMMON_AUDIO_ENCODE_OPUS_FRAMES_H
#define SS_COMMON_AUDIO_ENCODE_OPUS_FRAMES_H

#include <opus/opus.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SS_OPUS_COMPLEXITY
#define SS_OPUS_COMPLEXITY 3
#endif
#define SS_OPUS_MAX_FRAME 960   /* 20 ms at 48 kHz */
#define SS_OPUS_MAX_PACKET 1275 /* RFC 6716: the most one frame can take */

/* One packet; last is 1 for the final packet finish produces. */
typedef int (*ss_opus_packet_sink)(void *user, const unsigned char *packet, size_t len, int last,
                                   char *err, size_t errlen);

typedef struct {
    OpusEncoder *enc;
    const char *name;     /* for messages */
    int frame;            /* samples per 20 ms frame at the encoder's rate */
    int lookahead;        /* OPUS_GET_LOOKAHEAD, samples at the encoder's rate */
    size_t have;          /* samples in pcm */
    uint64_t encoded;     /* samples given to opus_encode, padding included */
    ss_opus_packet_sink sink;
    void *user;
    int16_t pcm[SS_OPUS_MAX_FRAME];
    unsigned char packet[SS_OPUS_MAX_PACKET];
} ss_opus_frames;

/* rate: 8000, 12000, 16000, 24000 or 48000. 0, or -1 with err. */
int ss_opus_frames_init(ss_opus_frames *f, const char *name, int rate, ss_opus_packet_sink sink,
                        void *user, char *err, size_t errlen);
int ss_opus_frames_write(ss_opus_frames *f, const int16_t *pcm, size_t n, char *err,
                         size_t errlen);
/* Pads, then encodes silence until min_total samples went in. */
int ss_opus_frames_finish(ss_opus_frames *f, uint64_t min_total, char *err, size_t errlen);
void ss_opus_frames_destroy(ss_opus_frames *f);

#endif
