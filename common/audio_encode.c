/* Output encoders (see audio_encode.h for the formats and the streaming
 * rules).
 *
 * Data path: write() -> resampler -> on_pcm() -> the format's encoder ->
 * the in-memory output buffer. The buffer is one growing byte array with a
 * write position (libsndfile's virtual I/O seeks in it) and a read start
 * (bytes before it were consumed). Consuming is only possible where data()
 * shows bytes: for wav/flac/mp3 that is after finish, when nothing seeks any
 * more, so a seek can never land in consumed bytes.
 *
 * libsndfile reports errors per handle (sf_strerror(sf)); a failed open only
 * through its process-wide last error (sf_strerror(NULL)), which another
 * thread's failed open could overwrite: the message may then be the other
 * thread's, the failure itself is still reported. */
#include "common/audio_encode.h"

#include "common/audio_resample.h"

#include <opus/opusenc.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAV_HEADER_BYTES 44
#define MIN_IN_RATE 1000
#define MAX_IN_RATE 384000

typedef struct {
    uint8_t *data;
    size_t len;   /* bytes written (file length) */
    size_t cap;
    size_t pos;   /* write position for seeks */
    size_t start; /* first unconsumed byte */
} out_buffer;

struct ss_audio_encoder {
    ss_audio_format fmt;
    int in_rate, out_rate;
    ss_resampler *resampler;
    out_buffer out;
    SNDFILE *sf;          /* flac, mp3 */
    SF_VIRTUAL_IO vio;
    OggOpusEnc *ope;      /* opus */
    uint64_t samples_out; /* at out_rate, as given to the format's encoder */
    int finished;
    int failed;
    int out_of_memory;    /* set by buffer writes that could not grow */
};

static const int RATES_GENERAL[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
static const int RATES_OPUS[] = {8000, 12000, 16000, 24000, 48000};
static const char *const NAMES[SS_AUDIO_FORMAT_COUNT] = {"wav", "mp3", "opus", "flac", "pcm"};

/* ---- format table ---- */

static int format_valid(ss_audio_format f) { return (unsigned)f < SS_AUDIO_FORMAT_COUNT; }

int ss_audio_format_parse(const char *name, ss_audio_format *out)
{
    if (!name || !out)
        return -1;
    for (int i = 0; i < SS_AUDIO_FORMAT_COUNT; i++)
        if (strcmp(name, NAMES[i]) == 0) {
            *out = (ss_audio_format)i;
            return 0;
        }
    return -1;
}

const char *ss_audio_format_name(ss_audio_format f) { return format_valid(f) ? NAMES[f] : NULL; }

int ss_audio_rate_allowed(ss_audio_format f, int rate)
{
    if (!format_valid(f))
        return 0;
    const int *t = f == SS_FMT_OPUS ? RATES_OPUS : RATES_GENERAL;
    size_t n = f == SS_FMT_OPUS ? sizeof RATES_OPUS / sizeof *RATES_OPUS
                                : sizeof RATES_GENERAL / sizeof *RATES_GENERAL;
    for (size_t i = 0; i < n; i++)
        if (t[i] == rate)
            return 1;
    return 0;
}

int ss_audio_format_streams(ss_audio_format f) { return f == SS_FMT_PCM || f == SS_FMT_OPUS; }

const char *ss_audio_format_content_type(ss_audio_format f, int rate, char *buf, size_t cap)
{
    static const char *const TYPES[SS_AUDIO_FORMAT_COUNT] = {"audio/wav", "audio/mpeg",
                                                             "audio/ogg", "audio/flac", NULL};
    if (!format_valid(f) || !buf || cap == 0)
        return NULL;
    int n;
    if (f == SS_FMT_PCM) {
        if (!ss_audio_rate_allowed(f, rate))
            return NULL;
        n = snprintf(buf, cap, "audio/L16;rate=%d", rate);
    } else {
        n = snprintf(buf, cap, "%s", TYPES[f]);
    }
    return n >= 0 && (size_t)n < cap ? buf : NULL;
}

/* ---- output buffer ---- */

static int buffer_write_at_pos(ss_audio_encoder *e, const void *p, size_t n)
{
    out_buffer *b = &e->out;
    if (n > SIZE_MAX - b->pos)
        return -1;
    size_t end = b->pos + n;
    if (end > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < end)
            cap = cap > SIZE_MAX / 2 ? end : cap * 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            e->out_of_memory = 1;
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    if (b->pos > b->len) /* a seek past the end leaves a zero-filled gap */
        memset(b->data + b->len, 0, b->pos - b->len);
    memcpy(b->data + b->pos, p, n);
    b->pos = end;
    if (end > b->len)
        b->len = end;
    return 0;
}

/* ---- libsndfile virtual I/O over the buffer ---- */

static sf_count_t vio_get_filelen(void *user) { return (sf_count_t)((ss_audio_encoder *)user)->out.len; }

static sf_count_t vio_seek(sf_count_t offset, int whence, void *user)
{
    out_buffer *b = &((ss_audio_encoder *)user)->out;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (sf_count_t)b->pos
                                                                   : (sf_count_t)b->len;
    sf_count_t to = base + offset;
    if (to < 0)
        return -1;
    b->pos = (size_t)to;
    return to;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    /* libsndfile may read back what it wrote (e.g. to patch a header). */
    out_buffer *b = &((ss_audio_encoder *)user)->out;
    if (count <= 0 || b->pos >= b->len)
        return 0;
    size_t n = b->len - b->pos;
    if ((sf_count_t)n > count)
        n = (size_t)count;
    memcpy(ptr, b->data + b->pos, n);
    b->pos += n;
    return (sf_count_t)n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    if (count <= 0)
        return 0;
    return buffer_write_at_pos(user, ptr, (size_t)count) == 0 ? count : 0;
}

static sf_count_t vio_tell(void *user) { return (sf_count_t)((ss_audio_encoder *)user)->out.pos; }

/* ---- libopusenc callbacks ---- */

static int ope_write_cb(void *user, const unsigned char *ptr, opus_int32 len)
{
    return len < 0 || buffer_write_at_pos(user, ptr, (size_t)len) != 0;
}

static int ope_close_cb(void *user)
{
    (void)user;
    return 0;
}

/* ---- per-format encoding of resampled PCM ---- */

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

static int write_s16le(ss_audio_encoder *e, const int16_t *pcm, size_t n, char *err,
                       size_t errlen)
{
    uint8_t tmp[4096];
    while (n > 0) {
        size_t k = n < sizeof tmp / 2 ? n : sizeof tmp / 2;
        for (size_t i = 0; i < k; i++)
            put_le16(tmp + 2 * i, (uint16_t)pcm[i]);
        if (buffer_write_at_pos(e, tmp, 2 * k) != 0) {
            snprintf(err, errlen, "%s encoder: out of memory for the output", NAMES[e->fmt]);
            return -1;
        }
        pcm += k;
        n -= k;
    }
    return 0;
}

/* The resampler's sink: one block of PCM at out_rate. */
static int on_pcm(void *user, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    ss_audio_encoder *e = user;
    switch (e->fmt) {
    case SS_FMT_WAV:
        /* RIFF sizes are 32-bit: refuse before the header would overflow. */
        if ((e->samples_out + n) * 2 > (uint64_t)UINT32_MAX - (WAV_HEADER_BYTES - 8)) {
            snprintf(err, errlen, "wav encoder: output over the 4 GiB RIFF limit");
            return -1;
        }
        /* fall through */
    case SS_FMT_PCM:
        if (write_s16le(e, pcm, n, err, errlen) != 0)
            return -1;
        break;
    case SS_FMT_FLAC:
    case SS_FMT_MP3: {
        sf_count_t w = sf_write_short(e->sf, pcm, (sf_count_t)n);
        if (w != (sf_count_t)n) {
            snprintf(err, errlen, "%s encoder: sf_write_short wrote %lld of %zu samples: %s",
                     NAMES[e->fmt], (long long)w, n,
                     e->out_of_memory ? "out of memory for the output" : sf_strerror(e->sf));
            return -1;
        }
        break;
    }
    case SS_FMT_OPUS: {
        size_t done = 0;
        while (done < n) { /* ope_encoder_write takes an int count */
            size_t k = n - done < 65536 ? n - done : 65536;
            int rc = ope_encoder_write(e->ope, pcm + done, (int)k);
            if (rc != OPE_OK) {
                snprintf(err, errlen, "opus encoder: ope_encoder_write failed: %s",
                         ope_strerror(rc));
                return -1;
            }
            done += k;
        }
        break;
    }
    }
    e->samples_out += n;
    return 0;
}

/* ---- setup per format ---- */

static int open_sndfile(ss_audio_encoder *e, char *err, size_t errlen)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = e->out_rate;
    info.channels = 1;
    info.format = e->fmt == SS_FMT_FLAC ? (SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
                                        : (SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
    if (!sf_format_check(&info)) {
        snprintf(err, errlen, "%s encoder: libsndfile does not accept %d Hz mono",
                 NAMES[e->fmt], e->out_rate);
        return -1;
    }
    e->vio.get_filelen = vio_get_filelen;
    e->vio.seek = vio_seek;
    e->vio.read = vio_read;
    e->vio.write = vio_write;
    e->vio.tell = vio_tell;
    e->sf = sf_open_virtual(&e->vio, SFM_WRITE, &info, e);
    if (!e->sf) {
        snprintf(err, errlen, "%s encoder: sf_open_virtual failed: %s", NAMES[e->fmt],
                 sf_strerror(NULL));
        return -1;
    }
    return 0;
}

static int open_opus(ss_audio_encoder *e, char *err, size_t errlen)
{
    OpusEncCallbacks cb = {ope_write_cb, ope_close_cb};
    OggOpusComments *comments = ope_comments_create();
    if (!comments) {
        snprintf(err, errlen, "opus encoder: ope_comments_create failed");
        return -1;
    }
    int rc = OPE_OK;
    e->ope = ope_encoder_create_callbacks(&cb, e, comments, e->out_rate, 1, 0, &rc);
    ope_comments_destroy(comments); /* the encoder keeps its own copy */
    if (!e->ope) {
        snprintf(err, errlen, "opus encoder: ope_encoder_create_callbacks(%d Hz) failed: %s",
                 e->out_rate, ope_strerror(rc));
        return -1;
    }
    /* Without these libopusenc holds 1-2 s of audio before the first page. */
    if ((rc = ope_encoder_ctl(e->ope, OPE_SET_MUXING_DELAY(960))) != OPE_OK ||
        (rc = ope_encoder_ctl(e->ope, OPE_SET_DECISION_DELAY(0))) != OPE_OK) {
        snprintf(err, errlen, "opus encoder: ope_encoder_ctl failed: %s", ope_strerror(rc));
        return -1;
    }
    /* The headers go out now, so a streaming client gets them at once. */
    if ((rc = ope_encoder_flush_header(e->ope)) != OPE_OK) {
        snprintf(err, errlen, "opus encoder: ope_encoder_flush_header failed: %s",
                 ope_strerror(rc));
        return -1;
    }
    return 0;
}

ss_audio_encoder *ss_audio_encoder_new(ss_audio_format f, int in_rate, int out_rate, char *err,
                                       size_t errlen)
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
        snprintf(err, errlen, "audio encoder: %s does not allow sample_rate %d", NAMES[f],
                 out_rate);
        return NULL;
    }
    ss_audio_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "audio encoder: out of memory");
        return NULL;
    }
    e->fmt = f;
    e->in_rate = in_rate;
    e->out_rate = out_rate;
    e->resampler = ss_resampler_new(in_rate, out_rate, on_pcm, e, err, errlen);
    if (!e->resampler)
        goto fail;
    int rc = 0;
    switch (f) {
    case SS_FMT_WAV: {
        uint8_t placeholder[WAV_HEADER_BYTES] = {0};
        if (buffer_write_at_pos(e, placeholder, sizeof placeholder) != 0) {
            snprintf(err, errlen, "wav encoder: out of memory");
            rc = -1;
        }
        break;
    }
    case SS_FMT_PCM:
        break;
    case SS_FMT_FLAC:
    case SS_FMT_MP3:
        rc = open_sndfile(e, err, errlen);
        break;
    case SS_FMT_OPUS:
        rc = open_opus(e, err, errlen);
        break;
    }
    if (rc != 0)
        goto fail;
    return e;
fail:
    ss_audio_encoder_free(e);
    return NULL;
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

static int finish_wav(ss_audio_encoder *e)
{
    uint32_t data_bytes = (uint32_t)(e->samples_out * 2);
    uint8_t *h = e->out.data; /* reserved at creation, never consumed before finish */
    memcpy(h, "RIFF", 4);
    put_le32(h + 4, data_bytes + WAV_HEADER_BYTES - 8);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le32(h + 16, 16);               /* fmt chunk size */
    put_le16(h + 20, 1);                /* PCM */
    put_le16(h + 22, 1);                /* mono */
    put_le32(h + 24, (uint32_t)e->out_rate);
    put_le32(h + 28, (uint32_t)e->out_rate * 2); /* byte rate */
    put_le16(h + 32, 2);                /* block align */
    put_le16(h + 34, 16);               /* bits per sample */
    memcpy(h + 36, "data", 4);
    put_le32(h + 40, data_bytes);
    return 0;
}

/* libsndfile starts the FLAC and LAME encoders on the first samples, so
 * with none it would close an empty (0-byte) file. FLAC gets its header
 * written now (a valid 0-sample file); MP3 has no empty form that decoders
 * accept, so it gets one sample of silence (a 1-sample file with the LAME
 * tag). */
static int finish_empty_sndfile(ss_audio_encoder *e, char *err, size_t errlen)
{
    if (e->fmt == SS_FMT_FLAC) {
        sf_command(e->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
        if (sf_error(e->sf) != SF_ERR_NO_ERROR) {
            snprintf(err, errlen, "flac encoder: writing the header failed: %s",
                     sf_strerror(e->sf));
            return -1;
        }
        return 0;
    }
    const int16_t silence = 0;
    return on_pcm(e, &silence, 1, err, errlen);
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
    if (ss_resampler_finish(e->resampler, err, errlen) != 0) {
        e->failed = 1;
        return -1;
    }
    int rc = 0;
    switch (e->fmt) {
    case SS_FMT_WAV:
        rc = finish_wav(e);
        break;
    case SS_FMT_PCM:
        break;
    case SS_FMT_FLAC:
    case SS_FMT_MP3: {
        if (e->samples_out == 0 && finish_empty_sndfile(e, err, errlen) != 0) {
            rc = -1;
            break;
        }
        SNDFILE *sf = e->sf;
        e->sf = NULL;
        int src = sf_close(sf);
        if (src != 0 || e->out_of_memory) {
            snprintf(err, errlen, "%s encoder: sf_close failed: %s", NAMES[e->fmt],
                     e->out_of_memory ? "out of memory for the output" : sf_error_number(src));
            rc = -1;
        }
        break;
    }
    case SS_FMT_OPUS: {
        /* libopusenc 0.2.1 asserts in ope_encoder_drain (or writes a stream
         * with a negative duration) when it never got a sample: an empty
         * input becomes one sample of silence, as for mp3. */
        const int16_t silence = 0;
        if (e->samples_out == 0 && on_pcm(e, &silence, 1, err, errlen) != 0) {
            rc = -1;
            break;
        }
        int orc = ope_encoder_drain(e->ope);
        if (orc != OPE_OK || e->out_of_memory) {
            snprintf(err, errlen, "opus encoder: ope_encoder_drain failed: %s",
                     e->out_of_memory ? "out of memory for the output" : ope_strerror(orc));
            rc = -1;
        }
        break;
    }
    }
    if (rc != 0) {
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
    if (!e || !len || e->failed || (!e->finished && !ss_audio_format_streams(e->fmt)))
        return NULL;
    *len = e->out.len - e->out.start;
    return e->out.data ? e->out.data + e->out.start : NULL;
}

void ss_audio_encoder_consume(ss_audio_encoder *e, size_t n)
{
    size_t avail = 0;
    if (!ss_audio_encoder_data(e, &avail))
        return;
    out_buffer *b = &e->out;
    b->start += n < avail ? n : avail;
    if (b->start == b->len) { /* everything taken: reuse the buffer from 0 */
        b->start = b->len = b->pos = 0;
    } else if (b->start > b->cap / 2 && ss_audio_format_streams(e->fmt) && !e->finished) {
        /* Streaming formats only append, so the unread tail can move down. */
        memmove(b->data, b->data + b->start, b->len - b->start);
        b->len -= b->start;
        b->pos = b->len;
        b->start = 0;
    }
}

uint64_t ss_audio_encoder_samples_out(const ss_audio_encoder *e) { return e ? e->samples_out : 0; }

void ss_audio_encoder_free(ss_audio_encoder *e)
{
    if (!e)
        return;
    if (e->sf)
        sf_close(e->sf);
    if (e->ope)
        ope_encoder_destroy(e->ope);
    ss_resampler_free(e->resampler);
    free(e->out.data);
    free(e);
}

ss_audio_encoder *ss_audio_encoder_new_stream(ss_audio_format f, int in_rate, int out_rate,
                                              char *err, size_t errlen)
{
    return ss_audio_encoder_new(f, in_rate, out_rate, err, errlen);
}
