/* 20 ms Opus frames for the Opus codecs (see audio_encode_opus_frames.h). */
#include "common/audio_encode_opus_frames.h"

#include <stdio.h>
#include <string.h>

int ss_opus_frames_init(ss_opus_frames *f, const char *name, int rate, ss_opus_packet_sink sink,
                        void *user, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    f->frame = rate / 50;
    f->sink = sink;
    f->user = user;
    int rc = OPUS_OK;
    f->enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_AUDIO, &rc);
    if (!f->enc) {
        snprintf(err, errlen, "%s encoder: opus_encoder_create(%d Hz) failed: %s", name, rate,
                 rc == OPUS_ALLOC_FAIL ? "out of memory" : opus_strerror(rc));
        return -1;
    }
    opus_int32 lookahead = 0;
    if ((rc = opus_encoder_ctl(f->enc, OPUS_SET_COMPLEXITY(SS_OPUS_COMPLEXITY))) != OPUS_OK ||
        (rc = opus_encoder_ctl(f->enc, OPUS_GET_LOOKAHEAD(&lookahead))) != OPUS_OK) {
        snprintf(err, errlen, "%s encoder: opus_encoder_ctl failed: %s", name, opus_strerror(rc));
        ss_opus_frames_destroy(f);
        return -1;
    }
    f->lookahead = lookahead;
    return 0;
}

/* The full frame -> one packet -> the sink. */
static int encode_frame(ss_opus_frames *f, int last, char *err, size_t errlen)
{
    opus_int32 n = opus_encode(f->enc, f->pcm, f->frame, f->packet, sizeof f->packet);
    if (n < 0) {
        snprintf(err, errlen, "%s encoder: opus_encode failed: %s", f->name, opus_strerror(n));
        return -1;
    }
    f->encoded += (uint64_t)f->frame;
    f->have = 0;
    return f->sink(f->user, f->packet, (size_t)n, last, err, errlen);
}

int ss_opus_frames_write(ss_opus_frames *f, const int16_t *pcm, size_t n, char *err,
                         size_t errlen)
{
    while (n > 0) {
        size_t room = (size_t)f->frame - f->have;
        size_t k = room < n ? room : n;
        memcpy(f->pcm + f->have, pcm, k * sizeof *pcm);
        f->have += k;
        pcm += k;
        n -= k;
        if (f->have == (size_t)f->frame && encode_frame(f, 0, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int ss_opus_frames_finish(ss_opus_frames *f, uint64_t min_total, char *err, size_t errlen)
{
    uint64_t total = f->encoded + f->have;
    if (total < min_total)
        total = min_total;
    while (f->have > 0 || f->encoded < total) {
        memset(f->pcm + f->have, 0, ((size_t)f->frame - f->have) * sizeof *f->pcm);
        f->have = (size_t)f->frame;
        int last = f->encoded + (uint64_t)f->frame >= total;
        if (encode_frame(f, last, err, errlen) != 0)
            return -1;
    }
    return 0;
}

void ss_opus_frames_destroy(ss_opus_frames *f)
{
    if (f->enc)
        opus_encoder_destroy(f->enc);
    f->enc = NULL;
}
