/* Output encoder dispatcher (see audio_encode.h for the formats, the two
 * modes and the streaming rules).
 *
 * Data path: write() -> resampler -> on_pcm() -> the format's codec
 * (audio_encode_codec.h) -> the output buffer (audio_encode_out.h) ->
 * data()/consume(). This file owns the format table (names, rates,
 * content types), argument checks, sample counting, the zero-sample rule
 * and the failed/finished states; the codec files own their libraries. */
#include "common/audio_encode.h"

#include "common/audio_encode_codec.h"
#include "common/audio_resample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_IN_RATE 1000
#define MAX_IN_RATE 384000

struct ss_audio_encoder {
    ss_audio_format fmt;
    ss_audio_mode mode;
    const ss_audio_codec *codec;
    void *state;          /* the codec's */
    ss_resampler *resampler;
    ss_audio_out out;
    uint64_t samples_out; /* at out_rate, as given to the codec */
    int finished;
    int failed;
};

static const int RATES_GENERAL[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
static const int RATES_OPUS[] = {8000, 12000, 16000, 24000, 48000};
static const int RATES_OPUS_PACKETS[] = {48000};

typedef struct {
    const char *name;
    const char *content_type; /* NULL: pcm (carries the rate) or internal */
    const ss_audio_codec *codec;
    const int *rates;
    size_t n_rates;
} format_entry;

#define RATES(t) t, sizeof t / sizeof *t

static const format_entry FORMATS[SS_AUDIO_FORMAT_COUNT] = {
    [SS_FMT_WAV] = {"wav", "audio/wav", &ss_audio_codec_wav, RATES(RATES_GENERAL)},
    [SS_FMT_MP3] = {"mp3", "audio/mpeg", &ss_audio_codec_mp3, RATES(RATES_GENERAL)},
    [SS_FMT_OPUS] = {"opus", "audio/ogg", &ss_audio_codec_opus, RATES(RATES_OPUS)},
    [SS_FMT_FLAC] = {"flac", "audio/flac", &ss_audio_codec_flac, RATES(RATES_GENERAL)},
    [SS_FMT_PCM] = {"pcm", NULL, &ss_audio_codec_pcm, RATES(RATES_GENERAL)},
    [SS_FMT_AAC] = {"aac", "audio/aac", &ss_audio_codec_aac, RATES(RATES_GENERAL)},
    [SS_FMT_OPUS_PACKETS] = {"opus_packets", NULL, &ss_audio_codec_opus_packets,
                             RATES(RATES_OPUS_PACKETS)},
};

/* ---- format table ---- */

static int format_valid(ss_audio_format f) { return (unsigned)f < SS_AUDIO_FORMAT_COUNT; }

int ss_audio_format_parse(const char *name, ss_audio_format *out)
{
    if (!name || !out)
        return -1;
    for (int i = 0; i < SS_AUDIO_API_FORMAT_COUNT; i++)
        if (strcmp(name, FORMATS[i].name) == 0) {
            *out = (ss_audio_format)i;
            return 0;
        }
    return -1;
}

const char *ss_audio_format_name(ss_audio_format f)
{
    return format_valid(f) ? FORMATS[f].name : NULL;
}

int ss_audio_rate_allowed(ss_audio_format f, int rate)
{
    if (!format_valid(f))
        return 0;
    for (size_t i = 0; i < FORMATS[f].n_rates; i++)
        if (FORMATS[f].rates[i] == rate)
            return 1;
    return 0;
}

int ss_audio_format_streams(ss_audio_format f)
{
    return format_valid(f) && FORMATS[f].codec->file_mode_streams;
}

const char *ss_audio_format_content_type(ss_audio_format f, int rate, char *buf, size_t cap)
{
    if (!format_valid(f) || (int)f >= SS_AUDIO_API_FORMAT_COUNT || !buf || cap == 0)
        return NULL;
    int n;
    if (f == SS_FMT_PCM) {
        if (!ss_audio_rate_allowed(f, rate))
            return NULL;
        n = snprintf(buf, cap, "audio/L16;rate=%d", rate);
    } else {
        n = snprintf(buf, cap, "%s", FORMATS[f].content_type);
    }
    return n >= 0 && (size_t)n < cap ? buf : NULL;
}

/* ---- encoder ---- */

/* The resampler's sink: one block of PCM at out_rate. */
static int on_pcm(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    ss_audio_encoder *e = user;
    if (n == 0)
        return 0;
    if (e->codec->encode(e->state, pcm, n, err, errlen) != 0)
        return -1;
    e->samples_out += n;
    return 0;
}

static ss_audio_encoder *encoder_new(ss_audio_format f, ss_audio_mode mode, int in_rate,
                                     int out_rate, char *err, size_t errlen)
{
    if (!format_valid(f)) {
        snprintf(err, errlen, "audio encoder: unknown format %d", (int)f);
        return NULL;
    }
    if (in_rate < MIN_IN_RATE || in_rate > MAX_IN_RATE) {
        snprintf(err, errlen, "audio encoder: input rate %d Hz outside [%d, %d]", in_rate,
                 MIN_IN_RATE, MAX_IN_RATE);
        return NULL;
    }
    if (!ss_audio_rate_allowed(f, out_rate)) {
        snprintf(err, errlen, "audio encoder: %s does not allow sample_rate %d", FORMATS[f].name,
                 out_rate);
        return NULL;
    }
    ss_audio_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "audio encoder: out of memory");
        return NULL;
    }
    e->fmt = f;
    e->mode = mode;
    e->codec = FORMATS[f].codec;
    e->resampler = ss_resampler_new(in_rate, out_rate, on_pcm, e, err, errlen);
    if (!e->resampler) {
        ss_audio_encoder_free(e);
        return NULL;
    }
    ss_audio_codec_args args = {FORMATS[f].name, out_rate, mode, &e->out};
    e->state = e->codec->open(&args, err, errlen);
    if (!e->state) {
        ss_audio_encoder_free(e);
        return NULL;
    }
    return e;
}

ss_audio_encoder *ss_audio_encoder_new(ss_audio_format f, int in_rate, int out_rate, char *err,
                                       size_t errlen)
{
    return encoder_new(f, SS_AUDIO_FILE, in_rate, out_rate, err, errlen);
}

ss_audio_encoder *ss_audio_encoder_new_stream(ss_audio_format f, int in_rate, int out_rate,
                                              char *err, size_t errlen)
{
    return encoder_new(f, SS_AUDIO_STREAM, in_rate, out_rate, err, errlen);
}

int ss_audio_encoder_streams(const ss_audio_encoder *e)
{
    return e && (e->mode == SS_AUDIO_STREAM || e->codec->file_mode_streams);
}

int ss_audio_encoder_write(ss_audio_encoder *e, const int16_t *pcm, size_t n, char *err,
                           size_t errlen)
{
    if (!e || (n > 0 && !pcm)) {
        snprintf(err, errlen, "audio encoder: bad arguments to write");
        return -1;
    }
    if (e->failed || e->finished) {
        snprintf(err, errlen, "audio encoder: write after %s", e->failed ? "a failure" : "finish");
        return -1;
    }
    if (ss_resampler_write(e->resampler, pcm, n, err, errlen) != 0) {
        e->failed = 1;
        return -1;
    }
    return 0;
}

int ss_audio_encoder_finish(ss_audio_encoder *e, char *err, size_t errlen)
{
    if (!e) {
        snprintf(err, errlen, "audio encoder: bad arguments to finish");
        return -1;
    }
    if (e->failed || e->finished) {
        snprintf(err, errlen, "audio encoder: finish after %s",
                 e->failed ? "a failure" : "finish");
        return -1;
    }
    static const int16_t silence = 0;
    if (ss_resampler_finish(e->resampler, err, errlen) != 0 ||
        (e->samples_out == 0 && e->codec->needs_a_sample &&
         on_pcm(e, &silence, 1, err, errlen) != 0) ||
        e->codec->finish(e->state, err, errlen) != 0) {
        e->failed = 1;
        return -1;
    }
    e->finished = 1;
    return 0;
}

const uint8_t *ss_audio_encoder_data(ss_audio_encoder *e, size_t *len)
{
    if (len)
        *len = 0;
    if (!e || !len || e->failed || (!e->finished && !ss_audio_encoder_streams(e)))
        return NULL;
    return ss_audio_out_readable(&e->out, len);
}

void ss_audio_encoder_consume(ss_audio_encoder *e, size_t n)
{
    size_t avail = 0;
    if (!ss_audio_encoder_data(e, &avail))
        return;
    /* Bytes shown before finish are never patched again: the tail may move. */
    ss_audio_out_consume(&e->out, n, !e->finished);
}

uint64_t ss_audio_encoder_samples_out(const ss_audio_encoder *e) { return e ? e->samples_out : 0; }

void ss_audio_encoder_free(ss_audio_encoder *e)
{
    if (!e)
        return;
    if (e->state)
        e->codec->close(e->state);
    ss_resampler_free(e->resampler);
    ss_audio_out_release(&e->out);
    free(e);
}
