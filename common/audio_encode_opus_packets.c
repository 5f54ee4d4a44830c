/* opus_packets codec: raw Opus packets for the WebSocket's binary frames
 * (API.md §3: one packet per 20 ms frame, 48 kHz mono), no container.
 *
 * Frames come from audio_encode_opus_frames.h (same libopus settings as the
 * Ogg Opus codec). Each packet is written as one record [uint16
 * little-endian length][packet] in a single buffer write, so readers only
 * ever see whole records. finish pads a last partial frame with silence;
 * zero samples give zero records. The encoder's look-ahead (312 samples,
 * 6.5 ms) is not signalled: a WebSocket client plays it as lead-in. */
#include "common/audio_encode_codec.h"
#include "common/audio_encode_opus_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_opus_frames frames;
    ss_audio_out *out;
    unsigned char record[2 + SS_OPUS_MAX_PACKET];
} packets_state;

static int on_packet(void *user, const unsigned char *packet, size_t len, int last, char *err,
                     size_t errlen)
{
    (void)last;
    packets_state *s = user;
    s->record[0] = (unsigned char)len;
    s->record[1] = (unsigned char)(len >> 8);
    memcpy(s->record + 2, packet, len);
    if (ss_audio_out_write(s->out, s->record, 2 + len) != 0) {
        snprintf(err, errlen, "opus_packets encoder: out of memory");
        return -1;
    }
    return 0;
}

static void packets_close(void *state)
{
    packets_state *s = state;
    ss_opus_frames_destroy(&s->frames);
    free(s);
}

static void *packets_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    packets_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "opus_packets encoder: out of memory");
        return NULL;
    }
    s->out = a->out;
    if (ss_opus_frames_init(&s->frames, "opus_packets", a->rate, on_packet, s, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static int packets_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    return ss_opus_frames_write(&((packets_state *)state)->frames, pcm, n, err, errlen);
}

static int packets_finish(void *state, char *err, size_t errlen)
{
    return ss_opus_frames_finish(&((packets_state *)state)->frames, 0, err, errlen);
}

const ss_audio_codec ss_audio_codec_opus_packets = {packets_open, packets_encode, packets_finish,
                                                    packets_close, 1, 0};
