/* Audio input (see audio_input.h): libsndfile virtual I/O over a memory
 * buffer, frame-count checks against the header, mixdown, soxr resampling. */
#include "common/audio_input.h"

#include <errno.h>
#include <math.h>
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

static int fail(ss_audio_error *code, ss_audio_error c, char *err, size_t errlen, const char *msg)
{
    if (code)
        *code = c;
    snprintf(err, errlen, "%s", msg);
    return -1;
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
    int rc = -1;
    float *buf = NULL;
    if (info.channels < 1 || info.channels > 64 || info.samplerate < 1000 ||
        info.samplerate > 384000) {
        snprintf(err, errlen, "audio: implausible header (%d channels, %d Hz)", info.channels,
                 info.samplerate);
        if (code)
            *code = SS_AUDIO_UNREADABLE;
        goto out;
    }
    /* Streams without a known length (some Ogg/MP3) report SF_COUNT_MAX or 0
     * frames; those are read until the end, bounded by the duration limit. */
    sf_count_t max_frames = (sf_count_t)(SS_AUDIO_MAX_SECONDS * info.samplerate);
    int known = info.frames > 0 && info.frames < (sf_count_t)1 << 40;
    if (known && info.frames > max_frames) {
        snprintf(err, errlen, "audio: %.1f s long, over the %.0f s limit",
                 (double)info.frames / info.samplerate, SS_AUDIO_MAX_SECONDS);
        if (code)
            *code = SS_AUDIO_TOO_LONG;
        goto out;
    }
    size_t cap = known ? (size_t)info.frames : (size_t)info.samplerate;
    out->samples = malloc((cap ? cap : 1) * sizeof(float));
    const size_t block = 4096;
    buf = malloc(block * (size_t)info.channels * sizeof(float));
    if (!out->samples || !buf) {
        snprintf(err, errlen, "audio: out of memory");
        if (code)
            *code = SS_AUDIO_NO_MEMORY;
        goto out;
    }
    size_t n = 0;
    float peak = 0;
    for (;;) {
        sf_count_t got = sf_readf_float(sf, buf, (sf_count_t)block);
        if (got <= 0)
            break;
        if (n + (size_t)got > (size_t)max_frames) {
            snprintf(err, errlen, "audio: longer than the %.0f s limit", SS_AUDIO_MAX_SECONDS);
            if (code)
                *code = SS_AUDIO_TOO_LONG;
            goto out;
        }
        if (n + (size_t)got > cap) {
            size_t nc = cap * 2 > n + (size_t)got ? cap * 2 : n + (size_t)got;
            float *ns = realloc(out->samples, nc * sizeof(float));
            if (!ns) {
                snprintf(err, errlen, "audio: out of memory");
                if (code)
                    *code = SS_AUDIO_NO_MEMORY;
                goto out;
            }
            out->samples = ns;
            cap = nc;
        }
        for (sf_count_t i = 0; i < got; i++) {
            double s = 0;
            for (int ch = 0; ch < info.channels; ch++) {
                float v = buf[i * info.channels + ch];
                if (!isfinite(v))
                    v = 0;
                float a = fabsf(v);
                if (a > peak)
                    peak = a;
                s += v;
            }
            out->samples[n + (size_t)i] = (float)(s / info.channels);
        }
        n += (size_t)got;
    }
    if (sf_error(sf) != SF_ERR_NO_ERROR) {
        snprintf(err, errlen, "audio: corrupt data (%s)", sf_strerror(sf));
        if (code)
            *code = SS_AUDIO_UNREADABLE;
        goto out;
    }
    if (n == 0) {
        snprintf(err, errlen, "audio: the file holds no audio frames");
        if (code)
            *code = SS_AUDIO_EMPTY;
        goto out;
    }
    unsigned long long said = 0, real = 0;
    if (log_says_truncated(sf, &said, &real)) {
        snprintf(err, errlen, "audio: truncated (the header promises %llu bytes of audio, the file holds %llu)",
                 said, real);
        if (code)
            *code = SS_AUDIO_TRUNCATED;
        goto out;
    }
    /* Lossy streams (MP3 with a Xing/LAME header, Ogg) count encoder delay
     * and padding in their header, so a few percent short is normal there. */
    int sub = info.format & SF_FORMAT_SUBMASK;
    int lossy = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG ||
                (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG || sub == SF_FORMAT_VORBIS ||
                sub == SF_FORMAT_OPUS;
    double need = lossy ? 0.95 * (double)info.frames : (double)info.frames;
    if (known && (double)n < need) {
        snprintf(err, errlen, "audio: truncated (%zu frames read, the header promises %lld)", n,
                 (long long)info.frames);
        if (code)
            *code = SS_AUDIO_TRUNCATED;
        goto out;
    }
    out->nsamples = n;
    out->sample_rate = info.samplerate;
    out->channels = info.channels;
    out->peak = peak;
    snprintf(out->format, sizeof out->format, "%s", major_name(info.format));
    rc = 0;
out:
    free(buf);
    sf_close(sf);
    if (rc != 0) {
        free(out->samples);
        memset(out, 0, sizeof *out);
    }
    return rc;
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
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_io_spec_t ios = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    size_t odone = 0;
    soxr_error_t e = soxr_oneshot(a->sample_rate, rate, 1, a->samples, a->nsamples, NULL, o, olen,
                                  &odone, &ios, &q, NULL);
    if (e) {
        free(o);
        snprintf(err, errlen, "audio: resampling failed: %s", e);
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
