/* mp3 codec: libmp3lame, mono, VBR (see docs/AUDIO.md for the settings
 * and the measurements behind them).
 *
 * LAME picks MPEG-1 Layer III at 32/44.1/48 kHz, MPEG-2 at 16/22.05/24 and
 * MPEG-2.5 at 8 kHz; the output rate is set explicitly so LAME never
 * resamples on its own. File mode asks LAME to reserve its first frame for
 * the Xing/LAME tag and writes the tag there at finish
 * (lame_get_lametag_frame): gapless decoders (mpg123, ffmpeg, browsers)
 * read the encoder delay and padding from it and play the exact length.
 * Stream mode has no tag (nothing goes back): decoders play LAME's delay
 * (576 + 529 samples) and the last frame's padding too.
 *
 * Global state: LAME's set-up (lame_init, lame_init_params) fills
 * process-wide tables the first time it runs and tests a flag without a
 * lock, so those calls are serialised with init_lock below; encoding itself
 * touches only the handle. */
#include "common/audio_encode_codec.h"

#include <lame/lame.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* VBR quality (lame -V4, as libsndfile used) and algorithm quality
 * (lame -q7, LAME's fast psychoacoustics; libsndfile's setting — its LAME
 * tag says V4 at quality field 60 — cost ~1.6x the CPU, at 110 instead of
 * 84 kbit/s on speech at 48 kHz, for the same word error rate:
 * docs/PERFORMANCE.md). Both may be overridden with -D for measurements. */
#ifndef MP3_VBR_QUALITY
#define MP3_VBR_QUALITY 4.0f
#endif
#ifndef MP3_ALGORITHM_QUALITY
#define MP3_ALGORITHM_QUALITY 7
#endif
/* Long blocks only (lame --noshort). The engine's pulse-excited vocoder
 * makes LAME's attack detector switch to short blocks all the time on
 * voiced speech, which cost ~12 % of the encoder's instructions and ~30 %
 * more bits for the same word error rate (docs/PERFORMANCE.md); a long
 * block spans 12 ms at 48 kHz (24 ms at 24 kHz). 0 restores switching. */
#ifndef MP3_NO_SHORT_BLOCKS
#define MP3_NO_SHORT_BLOCKS 1
#endif
#define CHUNK 4096
/* lame.h: worst case output for n samples is 1.25 n + 7200 bytes. */
#define OUT_BYTES (CHUNK + CHUNK / 4 + 7200)

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    lame_global_flags *lame;
    ss_audio_out *out;
    ss_audio_mode mode;
    unsigned char buf[OUT_BYTES];
} mp3_state;

static void mp3_close(void *state)
{
    mp3_state *s = state;
    if (s->lame)
        lame_close(s->lame);
    free(s);
}

static int configure(lame_global_flags *l, const ss_audio_codec_args *a)
{
    if (lame_set_in_samplerate(l, a->rate) < 0 || lame_set_out_samplerate(l, a->rate) < 0 ||
        lame_set_num_channels(l, 1) < 0 || lame_set_mode(l, MONO) < 0 ||
        lame_set_VBR(l, vbr_default) < 0 || lame_set_VBR_quality(l, MP3_VBR_QUALITY) < 0 ||
        lame_set_quality(l, MP3_ALGORITHM_QUALITY) < 0 ||
        lame_set_no_short_blocks(l, MP3_NO_SHORT_BLOCKS) < 0 ||
        lame_set_bWriteVbrTag(l, a->mode == SS_AUDIO_FILE) < 0)
        return -1;
    lame_set_write_id3tag_automatic(l, 0);
    return 0;
}

static void *mp3_open(const ss_audio_codec_args *a, char *err, size_t errlen)
{
    mp3_state *s = calloc(1, sizeof *s);
    if (s) {
        pthread_mutex_lock(&init_lock);
        s->lame = lame_init();
        pthread_mutex_unlock(&init_lock);
    }
    if (!s || !s->lame) {
        snprintf(err, errlen, "mp3 encoder: lame_init: out of memory");
        free(s);
        return NULL;
    }
    s->out = a->out;
    s->mode = a->mode;
    if (configure(s->lame, a) != 0) {
        snprintf(err, errlen, "mp3 encoder: lame_set_* refused %d Hz mono", a->rate);
        mp3_close(s);
        return NULL;
    }
    pthread_mutex_lock(&init_lock);
    int rc = lame_init_params(s->lame);
    pthread_mutex_unlock(&init_lock);
    if (rc < 0) {
        snprintf(err, errlen, "mp3 encoder: lame_init_params(%d Hz mono) failed (%d)", a->rate,
                 rc);
        mp3_close(s);
        return NULL;
    }
    return s;
}

/* LAME's negative return codes (lame.h) in words. */
static const char *lame_error(int rc)
{
    switch (rc) {
    case -1: return "output buffer too small";
    case -2: return "out of memory";
    case -3: return "lame_init_params was not called";
    case -4: return "psychoacoustic problem";
    default: return "unknown error";
    }
}

static int put(mp3_state *s, int rc, const char *call, char *err, size_t errlen)
{
    if (rc < 0) {
        snprintf(err, errlen, "mp3 encoder: %s failed: %s", call, lame_error(rc));
        return -1;
    }
    if (rc > 0 && ss_audio_out_write(s->out, s->buf, (size_t)rc) != 0) {
        snprintf(err, errlen, "mp3 encoder: out of memory");
        return -1;
    }
    return 0;
}

static int mp3_encode(void *state, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    mp3_state *s = state;
    while (n > 0) {
        int k = n < CHUNK ? (int)n : CHUNK;
        /* mono: LAME reads the left channel only */
        int rc = lame_encode_buffer(s->lame, pcm, NULL, k, s->buf, sizeof s->buf);
        if (put(s, rc, "lame_encode_buffer", err, errlen) != 0)
            return -1;
        pcm += k;
        n -= (size_t)k;
    }
    return 0;
}

static int mp3_finish(void *state, char *err, size_t errlen)
{
    mp3_state *s = state;
    int rc = lame_encode_flush(s->lame, s->buf, sizeof s->buf);
    if (put(s, rc, "lame_encode_flush", err, errlen) != 0)
        return -1;
    if (s->mode == SS_AUDIO_STREAM)
        return 0;
    /* The first frame was reserved for the tag; it goes there, same size. */
    size_t tag = lame_get_lametag_frame(s->lame, s->buf, sizeof s->buf);
    if (tag == 0 || tag > sizeof s->buf || tag > s->out->len) {
        snprintf(err, errlen, "mp3 encoder: lame_get_lametag_frame gave %zu bytes", tag);
        return -1;
    }
    size_t end = s->out->len;
    ss_audio_out_seek(s->out, 0);
    rc = ss_audio_out_write(s->out, s->buf, tag);
    ss_audio_out_seek(s->out, end);
    if (rc != 0) {
        snprintf(err, errlen, "mp3 encoder: out of memory");
        return -1;
    }
    return 0;
}

const ss_audio_codec ss_audio_codec_mp3 = {mp3_open, mp3_encode, mp3_finish, mp3_close, 0, 1};
