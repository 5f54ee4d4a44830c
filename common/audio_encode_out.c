/* The encoders' output byte buffer (see audio_encode_out.h). */
#include "common/audio_encode_out.h"

#include <stdlib.h>
#include <string.h>

int ss_audio_out_write(ss_audio_out *o, const void *p, size_t n)
{
    if (n > SIZE_MAX - o->pos) {
        o->out_of_memory = 1;
        return -1;
    }
    size_t end = o->pos + n;
    if (end > o->cap) {
        size_t cap = o->cap ? o->cap : 16384;
        while (cap < end)
            cap = cap > SIZE_MAX / 2 ? end : cap * 2;
        uint8_t *d = realloc(o->data, cap);
        if (!d) {
            o->out_of_memory = 1;
            return -1;
        }
        o->data = d;
        o->cap = cap;
    }
    if (o->pos > o->len)
        memset(o->data + o->len, 0, o->pos - o->len);
    if (n > 0)
        memcpy(o->data + o->pos, p, n);
    o->pos = end;
    if (end > o->len)
        o->len = end;
    return 0;
}

void ss_audio_out_seek(ss_audio_out *o, size_t pos) { o->pos = pos; }

const uint8_t *ss_audio_out_readable(const ss_audio_out *o, size_t *len)
{
    *len = o->len - o->start;
    return o->data ? o->data + o->start : NULL;
}

void ss_audio_out_consume(ss_audio_out *o, size_t n, int compact)
{
    size_t avail = o->len - o->start;
    o->start += n < avail ? n : avail;
    if (o->start == o->len) { /* everything taken: reuse the buffer from 0 */
        o->start = o->len = o->pos = 0;
    } else if (compact && o->start > o->cap / 2) {
        memmove(o->data, o->data + o->start, o->len - o->start);
        o->len -= o->start;
        o->pos = o->len;
        o->start = 0;
    }
}

void ss_audio_out_release(ss_audio_out *o)
{
    free(o->data);
    memset(o, 0, sizeof *o);
}
