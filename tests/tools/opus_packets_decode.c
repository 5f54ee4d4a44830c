/* Test tool: decodes raw Opus packets (the /stream/speak binary frames, as
 * a file of records [uint16 little-endian length][packet]) with libopus into
 * 48 kHz mono s16le PCM on stdout, and prints "packets N samples N" on
 * stderr. Exit 1 on a malformed record or a packet libopus refuses. Used by
 * tests/integration/test_ws_stream.py; libopus, not our encoder, decides. */
#include <opus/opus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: opus_packets_decode FILE > pcm\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    int err = 0;
    OpusDecoder *dec = opus_decoder_create(48000, 1, &err);
    if (!dec) {
        fprintf(stderr, "opus_decoder_create: %s\n", opus_strerror(err));
        return 2;
    }
    static unsigned char packet[65536];
    static opus_int16 pcm[5760];
    long packets = 0, samples = 0;
    unsigned char len_le[2];
    while (fread(len_le, 1, 2, f) == 2) {
        size_t len = (size_t)len_le[0] | (size_t)len_le[1] << 8;
        if (len == 0 || fread(packet, 1, len, f) != len) {
            fprintf(stderr, "record %ld: truncated or empty\n", packets);
            return 1;
        }
        int n = opus_decode(dec, packet, (opus_int32)len, pcm, 5760, 0);
        if (n < 0) {
            fprintf(stderr, "record %ld: opus_decode: %s\n", packets, opus_strerror(n));
            return 1;
        }
        fwrite(pcm, sizeof pcm[0], (size_t)n, stdout);
        packets++;
        samples += n;
    }
    fprintf(stderr, "packets %ld samples %ld\n", packets, samples);
    opus_decoder_destroy(dec);
    fclose(f);
    return 0;
}
