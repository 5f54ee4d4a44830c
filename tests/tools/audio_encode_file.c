/* audio_encode_file: one WAV through one output encoder, into a file.
 *
 *   audio_encode_file IN.wav FORMAT RATE OUT [file|stream]
 *
 * IN.wav is read with libsndfile (mono; any rate the encoder accepts as
 * input), fed to ss_audio_encoder_* in 20 ms chunks as the node streams it,
 * and every byte the encoder exposes is appended to OUT as it appears (so a
 * stream-mode OUT holds exactly what a chunked HTTP client would get).
 * FORMAT is an API name (wav, mp3, opus, flac, pcm, aac) or opus_packets.
 * Used by hand and by the WER comparison in docs/PERFORMANCE.md; exit
 * status 0 on success, 1 with a message on any failure, 2 on usage. */
#include "common/audio_encode.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int drain(ss_audio_encoder *e, FILE *out)
{
    size_t len = 0;
    const uint8_t *p = ss_audio_encoder_data(e, &len);
    if (len > 0 && fwrite(p, 1, len, out) != len)
        return -1;
    ss_audio_encoder_consume(e, len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: audio_encode_file IN.wav FORMAT RATE OUT [file|stream]\n");
        return 2;
    }
    ss_audio_format f = SS_FMT_OPUS_PACKETS;
    if (strcmp(argv[2], "opus_packets") != 0 && ss_audio_format_parse(argv[2], &f) != 0) {
        fprintf(stderr, "audio_encode_file: unknown format %s\n", argv[2]);
        return 2;
    }
    int stream = argc == 6 && strcmp(argv[5], "stream") == 0;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *in = sf_open(argv[1], SFM_READ, &info);
    if (!in || info.channels != 1) {
        fprintf(stderr, "audio_encode_file: %s: %s\n", argv[1],
                in ? "not mono" : sf_strerror(NULL));
        return 1;
    }
    char err[256];
    ss_audio_encoder *e =
        stream ? ss_audio_encoder_new_stream(f, info.samplerate, atoi(argv[3]), err, sizeof err)
               : ss_audio_encoder_new(f, info.samplerate, atoi(argv[3]), err, sizeof err);
    FILE *out = e ? fopen(argv[4], "wb") : NULL;
    if (!e || !out) {
        fprintf(stderr, "audio_encode_file: %s\n", e ? argv[4] : err);
        return 1;
    }
    int16_t buf[4096];
    size_t chunk = (size_t)info.samplerate / 50;
    if (chunk > sizeof buf / sizeof *buf)
        chunk = sizeof buf / sizeof *buf;
    sf_count_t got;
    int rc = 0;
    while (rc == 0 && (got = sf_read_short(in, buf, (sf_count_t)chunk)) > 0)
        rc = ss_audio_encoder_write(e, buf, (size_t)got, err, sizeof err) != 0 ? -1 : drain(e, out);
    if (rc == 0)
        rc = ss_audio_encoder_finish(e, err, sizeof err) != 0 ? -1 : drain(e, out);
    if (fclose(out) != 0 && rc == 0)
        snprintf(err, sizeof err, "writing %s failed", argv[4]), rc = -1;
    sf_close(in);
    ss_audio_encoder_free(e);
    if (rc != 0) {
        fprintf(stderr, "audio_encode_file: %s\n", err);
        return 1;
    }
    return 0;
}
