/* opus codec: Ogg Opus (RFC 7845) written here from libopus packets
 * (audio_encode_opus_frames.h) and libogg pages. Never seeks, so file and
 * stream mode are the same bytes.
 *
 * Why not libopusenc (used until issue 12): its multistream float path
 * re-runs libopus's CPU detection (cpuid) for every 20 ms frame, which
 * traps to the hypervisor on our VMs: ~1.1 ms CPU per second of audio, a
 * third of the whole encoder at the chosen complexity (perf, see
 * docs/PERFORMANCE.md). It also resampled 8-24 kHz input to 48 kHz first;
 * libopus codes those rates directly.
 *
 * Layout: page 1 holds only OpusHead (pre-skip = the encoder's look-ahead
 * in 48 kHz samples, input sample rate = the requested rate, which opusinfo
 * reports and opusdec restores), page 2 only OpusTags (vendor = libopus's
 * version string, no comments); both go out at open, so a stream starts
 * with them. Then one page per 20 ms packet, flushed at once (28 bytes of
 * page header per packet, what libopusenc with OPE_SET_MUXING_DELAY(960)
 * wrote too). Granule positions count 48 kHz samples from the start,
 * pre-skip included; finish encodes silence until the look-ahead is covered
 * and gives the last page (end of stream) the granule position pre-skip +
 * input length, so decoders trim the padding: the duration is exact. The
 * stream serial number is fixed (one logical stream per file, never
 * chained), which keeps the output reproducible. */
#include "common/audio_encode_codec.h"
#include "common/audio_encode_opus_frames.h"

#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIAL 0x53534F50 /* "SSOP" */

typedef struct {
    ss_opus_frames frames;
    ogg_stream_state os;
    int os_ready;
    ss_audio_out *out;
    int scale;            /* 48000 / rate */
    uint64_t samples;     /* input samples at rate */
    int64_t packetno;
} ogg_opus_state;

static void put_le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Puts one packet in the stream and writes out its page. */
static int put(ogg_opus_state *s, const unsigned char *data, size_t len, int64_t granule, int eos,
               char *err, size_t errlen)
{
    ogg_packet p;
    memset(&p, 0, sizeof p);
    p.packet = (unsigned char *)data;
    p.bytes = (long)len;
    p.b_o_s = s->packetno == 0;
    p.e_o_s = eos;
    p.granulepos = granule;
    p.packetno = s->packetno++;
    if (ogg_stream_packetin(&s->os, &p) != 0) {
        snprintf(err, errlen, "opus encoder: ogg_stream_packetin failed");
        return -1;
    }
    ogg_page page;
    while (ogg_stream_flush(&s->os, &page) != 0)
        if (ss_audio_out_write(s->out, page.header, (size_t)page.header_len) != 0 ||
            ss_audio_out_write(s->out, page.body, (size_t)page.body_len) != 0) {
            snprintf(err, errlen, "opus encoder: out of memory");
            return -1;
        }
    if (ogg_stream_check(&s->os) != 0) {
        snprintf(err, errlen, "opus encoder: libogg stream state failed (out of memory)");
        return -1;
    }
    return 0;
}

static int on_packet(void *user, const unsigned char *packet, size_t len, int last, char *err,
                     size_t errlen)
{
    ogg_opus_state *s = user;
    int64_t preskip = (int64_t)s->frames.lookahead * s->scale;
    int64_t granule = last ? preskip + (int64_t)s->samples * s->scale
                           : (int64_t)s->frames.encoded * s->scale;
    return put(s, packet, len, granule, last, err, errlen);
}

static int write_headers(ogg_opus_state *s, int rate, char *err, size_t errlen)
{
    unsigned char head[19];
    memcpy(head, "OpusHead", 8);
    head[8] = 1; /* version */
    head[9] = 1; /* channels */
    put_le16(head + 10, (unsigned)(s->frames.lookahead * s->scale));
    put_le32(head + 12, (uint32_t)rate);
    put_le16(head + 16, 0); /* output gain */
    head[18] = 0;           /* mapping family: mono/stereo */
    const char *vendor = opus_get_version_string();
    size_t vlen = strlen(vendor);
    unsigned char tags[8 + 4 + 64 + 4];
    if (vlen > 64)
        vlen = 64;
    memcpy(tags, "OpusTags", 8);
    put_le32(tags + 8, (uint32_t)vlen);
    memcpy(tags + 12, vendor, vlen);
    put_le32(tags + 12 + vlen, 0); /* no user comments */
    return put(s, head, sizeof head, 0, 0, err, errlen) != 0 ||
                   put(s, tags, 16 + vlen, 0, 0, err, errlen) != 0
               ? -1
               : 0;
}

static void ogg_opus_close(void *state)
{
    ogg_opus_state *s = state;
    ss_opus_frames_destroy(&s->frames);
    if (s->os_ready)
        ogg_stream_clear(&s->os);
    free(s);
}

static void *ogg_opus_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    ogg_opus_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "opus encoder: out of memory");
        return NULL;
    }
    s->out = a->out;
    s->scale = 48000 / a->rate;
    if (ss_opus_frames_init(&s->frames, "opus", a->rate, on_packet, s, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    if (ogg_stream_init(&s->os, SERIAL) != 0) {
        snprintf(err, errlen, "opus encoder: ogg_stream_init failed (out of memory)");
        ogg_opus_close(s);
        return NULL;
    }
    s->os_ready = 1;
    if (write_headers(s, a->rate, err, errlen) != 0) {
        ogg_opus_close(s);
        return NULL;
    }
    return s;
}

static int ogg_opus_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    ogg_opus_state *s = state;
    s->samples += n;
    return ss_opus_frames_write(&s->frames, pcm, n, err, errlen);
}

static int ogg_opus_finish(void *state, char *err, size_t errlen)
{
    ogg_opus_state *s = state;
    uint64_t lookahead = s->frames.lookahead > 0 ? (uint64_t)s->frames.lookahead : 1;
    return ss_opus_frames_finish(&s->frames, s->samples + lookahead, err, errlen);
}

/* Zero samples: an Ogg Opus stream needs at least one audio packet to end
 * (its page carries end of stream), hence needs_a_sample. */
const ss_audio_codec ss_audio_codec_opus = {ogg_opus_open, ogg_opus_encode, ogg_opus_finish,
                                            ogg_opus_close, 1, 1};
