/* Ogg Vorbis reference decoding through libvorbisfile, over memory.
 *
 * Why its own decoder: libsndfile 1.2.0's Vorbis path leaks libvorbis's info
 * block (vorbis_info_init without the matching clear) on some malformed
 * headers, 5.8 KB per call, and the node decodes references that callers
 * send. libvorbisfile clears everything it set up on every failure path
 * (ov_open_callbacks cleans up after itself; ov_clear after success), so
 * malformed input can only produce an error code. tests/fuzz/fuzz_audio_input
 * runs malformed Ogg through here under LeakSanitizer to keep it that way.
 *
 * Which bytes come here: ss_audio_ogg_needs_vorbisfile classifies an Ogg
 * stream the way libsndfile would (the first page libogg syncs to): Opus and
 * FLAC-in-Ogg stay on libsndfile, everything else that starts "OggS" is
 * Vorbis or nothing, and libvorbisfile decides which. The samples go into the
 * same sink as libsndfile's (audio_input_sink.h), so limits, mixdown and
 * error codes are the same. A chained stream whose links change channel
 * count or rate is refused (the sink holds one rate). */
#include "common/audio_input_sink.h"

#include <ogg/ogg.h>
#include <stdio.h>
#include <string.h>
#include <vorbis/vorbisfile.h>

bool ss_audio_ogg_needs_vorbisfile(const uint8_t *data, size_t len)
{
    if (len < 4 || memcmp(data, "OggS", 4) != 0)
        return false;
    ogg_sync_state oy;
    ogg_sync_init(&oy);
    char *buf = ogg_sync_buffer(&oy, (long)len);
    bool vorbis = true; /* no page at all: libvorbisfile refuses it cleanly */
    if (buf) {
        memcpy(buf, data, len);
        ogg_sync_wrote(&oy, (long)len);
        ogg_page pg;
        if (ogg_sync_pageout(&oy, &pg) == 1) {
            const unsigned char *b = pg.body;
            long n = pg.body_len;
            bool opus = n >= 8 && memcmp(b, "OpusHead", 8) == 0;
            bool flac = n >= 5 && memcmp(b, "\x7f" "FLAC", 5) == 0;
            vorbis = !opus && !flac;
        }
    }
    ogg_sync_clear(&oy);
    return vorbis;
}

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} vorbis_mem;

static size_t mem_read(void *ptr, size_t size, size_t nmemb, void *u)
{
    vorbis_mem *m = u;
    if (size == 0)
        return 0;
    size_t want = size * nmemb, left = m->len - m->pos;
    if (want > left)
        want = left - left % size;
    memcpy(ptr, m->data + m->pos, want);
    m->pos += want;
    return want / size;
}

static int mem_seek(void *u, ogg_int64_t off, int whence)
{
    vorbis_mem *m = u;
    ogg_int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (ogg_int64_t)m->pos
                                                                   : (ogg_int64_t)m->len;
    if (off > (ogg_int64_t)m->len || off < -(ogg_int64_t)m->len)
        return -1;
    ogg_int64_t p = base + off;
    if (p < 0 || p > (ogg_int64_t)m->len)
        return -1;
    m->pos = (size_t)p;
    return 0;
}

static long mem_tell(void *u) { return (long)((vorbis_mem *)u)->pos; }

/* Reads every frame of an open stream into the sink. 0, or -1 with the code
 * and message set. */
static int read_vorbis(OggVorbis_File *vf, ss_audio_sink *s)
{
    for (;;) {
        float **pcm = NULL;
        int link = 0;
        long got = ov_read_float(vf, &pcm, 4096, &link);
        if (got == 0)
            break;
        if (got < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "audio: corrupt data (libvorbisfile error %ld)", got);
            return ss_audio_fail(s->code, SS_AUDIO_UNREADABLE, s->err, s->errlen, msg);
        }
        const vorbis_info *vi = ov_info(vf, link);
        if (!vi || vi->channels != s->channels || vi->rate != s->rate)
            return ss_audio_fail(s->code, SS_AUDIO_UNREADABLE, s->err, s->errlen,
                                 "audio: chained Ogg stream changes channels or rate");
        if (ss_audio_sink_add_planar(s, pcm, (size_t)got) != 0)
            return -1;
    }
    return ss_audio_sink_finish(s, true, "ogg");
}

int ss_audio_decode_vorbis(const uint8_t *data, size_t len, ss_audio *out, ss_audio_error *code,
                           char *err, size_t errlen)
{
    vorbis_mem m = {data, len, 0};
    ov_callbacks cb = {mem_read, mem_seek, NULL, mem_tell};
    OggVorbis_File vf;
    int orc = ov_open_callbacks(&m, &vf, NULL, 0, cb);
    if (orc != 0) { /* libvorbisfile has already cleared vf */
        char msg[128];
        snprintf(msg, sizeof msg, "audio: not a readable Ogg Vorbis file (libvorbisfile error %d)",
                 orc);
        return ss_audio_fail(code, SS_AUDIO_UNREADABLE, err, errlen, msg);
    }
    const vorbis_info *vi = ov_info(&vf, -1);
    ogg_int64_t total = ov_pcm_total(&vf, -1);
    ss_audio_sink s;
    int rc = vi ? ss_audio_sink_begin(&s, out, vi->channels, (int)(vi->rate > 0 && vi->rate < 1000000 ? vi->rate : 0),
                                      total > 0 ? (long long)total : 0, code, err, errlen)
                : ss_audio_fail(code, SS_AUDIO_UNREADABLE, err, errlen, "audio: no Vorbis header");
    if (rc == 0)
        rc = read_vorbis(&vf, &s);
    if (rc != 0 && vi)
        ss_audio_sink_abandon(&s);
    ov_clear(&vf);
    return rc;
}
