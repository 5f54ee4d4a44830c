/* Audio input (see audio_input.h): the dispatch between decoders, the
 * libsndfile decoder (virtual I/O over a memory buffer), the sink every
 * decoder feeds (audio_input_sink.h: limits, mixdown, peak, frame-count
 * checks against the header) and soxr resampling. Ogg Vorbis is decoded by
 * audio_input_vorbis.c instead (libvorbisfile). */
#include "common/audio_input.h"
#include "common/audio_input_sink.h"
#include "common/resample_whole.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    sf_count_t len, pos;
} mem_file;

static sf_count_t mem_len(void *u) { return ((mem_file *)u)->len; }

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    mem_file *m = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;
    if (p < 0 || p > m->len)
        return -1;
    m->pos = p;
    return p;
}

static sf_count_t mem_read(void *ptr, sf_count_t n, void *u)
{
    mem_file *m = u;
    sf_count_t left = m->len - m->pos;
    if (n > left)
        n = left;
    if (n > 0) {
        memcpy(ptr, m->data + m->pos, (size_t)n);
        m->pos += n;
    }
    return n;
}

static sf_count_t mem_write(const void *ptr, sf_count_t n, void *u)
{
    (void)ptr, (void)n, (void)u;
    return 0;
}

static sf_count_t mem_tell(void *u) { return ((mem_file *)u)->pos; }

const char *ss_audio_error_name(ss_audio_error e)
{
    switch (e) {
    case SS_AUDIO_OK: return "ok";
    case SS_AUDIO_EMPTY: return "empty";
    case SS_AUDIO_TOO_LARGE: return "too_large";
    case SS_AUDIO_TOO_LONG: return "too_long";
    case SS_AUDIO_UNREADABLE: return "unreadable";
    case SS_AUDIO_TRUNCATED: return "truncated";
    case SS_AUDIO_NO_MEMORY: return "no_memory";
    }
    return "unknown";
}

int ss_audio_fail(ss_audio_error *code, ss_audio_error c, char *err, size_t errlen,
                  const char *msg)
{
    if (code)
        *code = c;
    snprintf(err, errlen, "%s", msg);
    return -1;
}

static int fail(ss_audio_error *code, ss_audio_error c, char *err, size_t errlen, const char *msg)
{
    return ss_audio_fail(code, c, err, errlen, msg);
}

/* --- the sink every decoder feeds (audio_input_sink.h) */

int ss_audio_sink_begin(ss_audio_sink *s, ss_audio *out, int channels, int rate,
                        long long header_frames, ss_audio_error *code, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->out = out;
    s->code = code;
    s->err = err;
    s->errlen = errlen;
    s->channels = channels;
    s->rate = rate;
    if (channels < 1 || channels > 64 || rate < 1000 || rate > 384000) {
        snprintf(err, errlen, "audio: implausible header (%d channels, %d Hz)", channels, rate);
        if (code)
            *code = SS_AUDIO_UNREADABLE;
        return -1;
    }
    /* Streams without a known length (some Ogg/MP3) report a huge count or
     * 0 frames; those are read until the end, bounded by the duration limit. */
    s->max_frames = (size_t)(SS_AUDIO_MAX_SECONDS * rate);
    s->header_frames = header_frames > 0 && header_frames < (long long)1 << 40 ? header_frames : 0;
    if (s->header_frames > (long long)s->max_frames) {
        snprintf(err, errlen, "audio: %.1f s long, over the %.0f s limit",
                 (double)s->header_frames / rate, SS_AUDIO_MAX_SECONDS);
        if (code)
            *code = SS_AUDIO_TOO_LONG;
        return -1;
    }
    s->cap = s->header_frames ? (size_t)s->header_frames : (size_t)rate;
    out->samples = malloc((s->cap ? s->cap : 1) * sizeof(float));
    if (!out->samples)
        return fail(code, SS_AUDIO_NO_MEMORY, err, errlen, "audio: out of memory");
    return 0;
}

/* Room for frames more samples, within the duration limit. */
static int sink_reserve(ss_audio_sink *s, size_t frames)
{
    if (s->n + frames > s->max_frames) {
        snprintf(s->err, s->errlen, "audio: longer than the %.0f s limit", SS_AUDIO_MAX_SECONDS);
        if (s->code)
            *s->code = SS_AUDIO_TOO_LONG;
        return -1;
    }
    if (s->n + frames <= s->cap)
        return 0;
    size_t nc = s->cap * 2 > s->n + frames ? s->cap * 2 : s->n + frames;
    float *ns = realloc(s->out->samples, nc * sizeof(float));
    if (!ns)
        return fail(s->code, SS_AUDIO_NO_MEMORY, s->err, s->errlen, "audio: out of memory");
    s->out->samples = ns;
    s->cap = nc;
    return 0;
}

/* One sample of one channel: non-finite values count as silence. */
static float sink_sample(ss_audio_sink *s, float v)
{
    if (!isfinite(v))
        v = 0;
    float a = fabsf(v);
    if (a > s->peak)
        s->peak = a;
    return v;
}

int ss_audio_sink_add(ss_audio_sink *s, const float *interleaved, size_t frames)
{
    if (sink_reserve(s, frames) != 0)
        return -1;
    for (size_t i = 0; i < frames; i++) {
        double sum = 0;
        for (int ch = 0; ch < s->channels; ch++)
            sum += sink_sample(s, interleaved[i * (size_t)s->channels + (size_t)ch]);
        s->out->samples[s->n + i] = (float)(sum / s->channels);
    }
    s->n += frames;
    return 0;
}

int ss_audio_sink_add_planar(ss_audio_sink *s, float *const *pcm, size_t frames)
{
    if (sink_reserve(s, frames) != 0)
        return -1;
    for (size_t i = 0; i < frames; i++) {
        double sum = 0;
        for (int ch = 0; ch < s->channels; ch++)
            sum += sink_sample(s, pcm[ch][i]);
        s->out->samples[s->n + i] = (float)(sum / s->channels);
    }
    s->n += frames;
    return 0;
}

int ss_audio_sink_finish(ss_audio_sink *s, bool lossy, const char *format)
{
    if (s->n == 0)
        return fail(s->code, SS_AUDIO_EMPTY, s->err, s->errlen,
                    "audio: the file holds no audio frames");
    /* Lossy streams (MP3 with a Xing/LAME header, Ogg) count encoder delay
     * and padding in their header, so a few percent short is normal there. */
    double need = lossy ? 0.95 * (double)s->header_frames : (double)s->header_frames;
    if (s->header_frames && (double)s->n < need) {
        snprintf(s->err, s->errlen, "audio: truncated (%zu frames read, the header promises %lld)",
                 s->n, s->header_frames);
        if (s->code)
            *s->code = SS_AUDIO_TRUNCATED;
        return -1;
    }
    s->out->nsamples = s->n;
    s->out->sample_rate = s->rate;
    s->out->channels = s->channels;
    s->out->peak = s->peak;
    snprintf(s->out->format, sizeof s->out->format, "%s", format);
    return 0;
}

void ss_audio_sink_abandon(ss_audio_sink *s)
{
    free(s->out->samples);
    memset(s->out, 0, sizeof *s->out);
}

static const char *major_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX: case SF_FORMAT_RF64: return "wav";
    case SF_FORMAT_FLAC: return "flac";
    case SF_FORMAT_OGG: return "ogg";
    case SF_FORMAT_MPEG: return "mp3";
    case SF_FORMAT_AIFF: return "aiff";
    default: return "other";
    }
}

/* libsndfile accepts a WAV whose data chunk is shorter than its header says:
 * it shortens the count and notes "data : N (should be M)" in its log. That
 * is a truncated file, unless N is a streaming writer's "unknown" marker. */
static int log_says_truncated(SNDFILE *sf, unsigned long long *said_out, unsigned long long *real_out)
{
    char log[4096];
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    const char *p = strstr(log, "\ndata : ");
    if (!p)
        return 0;
    unsigned long long said = 0, real = 0;
    if (sscanf(p, "\ndata : %llu (should be %llu)", &said, &real) != 2)
        return 0;
    *said_out = said;
    *real_out = real;
    return real < said && said != 0xFFFFFFFFull && said != 0x7FFFFFFFull;
}

/* Reads every frame of an open libsndfile stream into the sink and checks
 * it. 0, or -1 with the code and message set. */
static int read_sndfile(SNDFILE *sf, const SF_INFO *info, ss_audio_sink *s)
{
    const size_t block = 4096;
    float *buf = malloc(block * (size_t)info->channels * sizeof(float));
    if (!buf)
        return fail(s->code, SS_AUDIO_NO_MEMORY, s->err, s->errlen, "audio: out of memory");
    int rc = 0;
    for (;;) {
        sf_count_t got = sf_readf_float(sf, buf, (sf_count_t)block);
        if (got <= 0)
            break;
        if ((rc = ss_audio_sink_add(s, buf, (size_t)got)) != 0)
            break;
    }
    free(buf);
    if (rc != 0)
        return -1;
    if (sf_error(sf) != SF_ERR_NO_ERROR) {
        char msg[256];
        snprintf(msg, sizeof msg, "audio: corrupt data (%s)", sf_strerror(sf));
        return fail(s->code, SS_AUDIO_UNREADABLE, s->err, s->errlen, msg);
    }
    if (s->n == 0)
        return ss_audio_sink_finish(s, false, ""); /* "no audio frames" */
    unsigned long long said = 0, real = 0;
    if (log_says_truncated(sf, &said, &real)) {
        snprintf(s->err, s->errlen,
                 "audio: truncated (the header promises %llu bytes of audio, the file holds %llu)",
                 said, real);
        if (s->code)
            *s->code = SS_AUDIO_TRUNCATED;
        return -1;
    }
    int sub = info->format & SF_FORMAT_SUBMASK;
    int major = info->format & SF_FORMAT_TYPEMASK;
    bool lossy = major == SF_FORMAT_MPEG || major == SF_FORMAT_OGG || sub == SF_FORMAT_VORBIS ||
                 sub == SF_FORMAT_OPUS;
    return ss_audio_sink_finish(s, lossy, major_name(info->format));
}

/* WAV, FLAC, MP3, Ogg Opus (and whatever else libsndfile reads) from memory
 * through libsndfile's virtual I/O. */
static int decode_sndfile(const uint8_t *data, size_t len, ss_audio *out, ss_audio_error *code,
                          char *err, size_t errlen)
{
    mem_file m = {data, (sf_count_t)len, 0};
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!sf) {
        char msg[256];
        snprintf(msg, sizeof msg, "audio: not a readable WAV/FLAC/Ogg/MP3 file (%s)",
                 sf_strerror(NULL));
        return fail(code, SS_AUDIO_UNREADABLE, err, errlen, msg);
    }
    ss_audio_sink s;
    int rc = ss_audio_sink_begin(&s, out, info.channels, info.samplerate, (long long)info.frames,
                                 code, err, errlen);
    if (rc == 0)
        rc = read_sndfile(sf, &info, &s);
    if (rc != 0)
        ss_audio_sink_abandon(&s);
    sf_close(sf);
    return rc;
}

int ss_audio_decode(const uint8_t *data, size_t len, ss_audio *out, ss_audio_error *code,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (code)
        *code = SS_AUDIO_OK;
    if (!data || len == 0)
        return fail(code, SS_AUDIO_EMPTY, err, errlen, "audio: the file is empty (0 bytes)");
    if (len > SS_AUDIO_MAX_BYTES) {
        fail(code, SS_AUDIO_TOO_LARGE, err, errlen, "");
        snprintf(err, errlen, "audio: the file is %zu bytes, over the %u-byte limit", len,
                 SS_AUDIO_MAX_BYTES);
        return -1;
    }
    /* libsndfile's own Vorbis path leaks libvorbis's info block on some
     * malformed headers, so Ogg that is not Opus or FLAC never reaches it. */
    if (ss_audio_ogg_needs_vorbisfile(data, len))
        return ss_audio_decode_vorbis(data, len, out, code, err, errlen);
    return decode_sndfile(data, len, out, code, err, errlen);
}

int ss_audio_decode_file(const char *path, ss_audio *out, ss_audio_error *code, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        char msg[512];
        snprintf(msg, sizeof msg, "audio: cannot open %s: %s", path, strerror(errno));
        return fail(code, SS_AUDIO_UNREADABLE, err, errlen, msg);
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap > SS_AUDIO_MAX_BYTES) {
                free(data);
                fclose(f);
                snprintf(err, errlen, "audio: %s is over the %u-byte limit", path, SS_AUDIO_MAX_BYTES);
                if (code)
                    *code = SS_AUDIO_TOO_LARGE;
                return -1;
            }
            size_t nc = cap ? cap * 2 : 65536;
            uint8_t *nd = realloc(data, nc);
            if (!nd) {
                free(data);
                fclose(f);
                return fail(code, SS_AUDIO_NO_MEMORY, err, errlen, "audio: out of memory");
            }
            data = nd;
            cap = nc;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    int rc = ss_audio_decode(data, len, out, code, err, errlen);
    free(data);
    return rc;
}

int ss_audio_resample(ss_audio *a, int rate, char *err, size_t errlen)
{
    if (rate <= 0) {
        snprintf(err, errlen, "audio: bad target rate %d", rate);
        return -1;
    }
    if (a->sample_rate == rate || a->nsamples == 0) {
        a->sample_rate = rate;
        return 0;
    }
    size_t olen = (size_t)((double)a->nsamples * rate / a->sample_rate) + 16;
    float *o = malloc(olen * sizeof(float));
    if (!o) {
        snprintf(err, errlen, "audio: out of memory");
        return -1;
    }
    size_t odone = 0;
    char why[256];
    if (ss_resample_whole(a->samples, a->nsamples, a->sample_rate, rate, SOXR_HQ, o, olen, &odone, why,
                          sizeof why) != 0) {
        free(o);
        snprintf(err, errlen, "audio: %s", why);
        return -1;
    }
    free(a->samples);
    a->samples = o;
    a->nsamples = odone;
    a->sample_rate = rate;
    return 0;
}

void ss_audio_free(ss_audio *a)
{
    if (!a)
        return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

int ss_audio_decode_s16(const uint8_t *data, size_t len, int16_t **pcm, size_t *n, int *rate, char *err,
                        size_t errlen)
{
    ss_audio a;
    *pcm = NULL;
    *n = 0;
    if (ss_audio_decode(data, len, &a, NULL, err, errlen) != 0)
        return -1;
    int16_t *out = malloc((a.nsamples ? a.nsamples : 1) * sizeof *out);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        ss_audio_free(&a);
        return -1;
    }
    for (size_t i = 0; i < a.nsamples; i++) {
        float v = a.samples[i] * 32767.0f;
        out[i] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : v);
    }
    *pcm = out;
    *n = a.nsamples;
    *rate = a.sample_rate;
    ss_audio_free(&a);
    return 0;
}
