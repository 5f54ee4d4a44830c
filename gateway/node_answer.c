/* A node's Synthesize answer against the stream contract (see
 * node_answer.h). Each message kind has a small reader, picked from a
 * table by the oneof's case; each checks its place in the stream and its
 * fields, hands on or keeps what it carries, or stops the reader with
 * the reason (fail). */
#include "gateway/node_answer.h"

#include "common/utf8.h"
#include "proto/tts_node.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RATE_MIN = 8000, RATE_MAX = 48000 };

typedef Scaiinfer__Tts__V1__SynthesizeChunk chunk;

static gw_node_answer_status fail(gw_node_answer *a, gw_node_answer_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static gw_node_answer_status fail(gw_node_answer *a, gw_node_answer_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof a->why, fmt, ap);
    va_end(ap);
    a->status = st;
    return st;
}

int gw_node_answer_init(gw_node_answer *a, const gw_node_answer_events *ev, void *user)
{
    *a = (gw_node_answer){.ev = *ev, .user = user, .words = json_array(), .phonemes = json_array()};
    if (!a->words || !a->phonemes) {
        fail(a, GW_NODE_ANSWER_NO_MEMORY, "out of memory");
        return -1;
    }
    return 0;
}

void gw_node_answer_release(gw_node_answer *a)
{
    json_decref(a->words);
    json_decref(a->phonemes);
    a->words = a->phonemes = NULL;
}

const char *gw_node_answer_why(const gw_node_answer *a)
{
    return a->why;
}

static gw_node_answer_status read_header(gw_node_answer *a, const chunk *c)
{
    if (a->sample_rate)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "a second header");
    uint32_t rate = c->header->sample_rate;
    if (rate < RATE_MIN || rate > RATE_MAX)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "header sample_rate %u is outside %d..%d", rate, RATE_MIN,
                    RATE_MAX);
    a->sample_rate = rate;
    a->ev.on_header(a->user, rate);
    return GW_NODE_ANSWER_OK;
}

static gw_node_answer_status read_audio(gw_node_answer *a, const chunk *c)
{
    const Scaiinfer__Tts__V1__AudioChunk *au = c->audio;
    if (au->pcm.len % sizeof(int16_t))
        return fail(a, GW_NODE_ANSWER_MALFORMED, "an audio chunk of %zu bytes (not whole 16-bit samples)",
                    au->pcm.len);
    if (au->start_sample != a->samples)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "an audio chunk starts at sample %llu after %llu samples",
                    (unsigned long long)au->start_sample, (unsigned long long)a->samples);
    size_t n = au->pcm.len / sizeof(int16_t);
    if (n == 0)
        return GW_NODE_ANSWER_OK;
    a->samples += n;
    if ((uintptr_t)au->pcm.data % sizeof(int16_t) == 0) { /* s16le on a little-endian host */
        a->ev.on_audio(a->user, (const int16_t *)(const void *)au->pcm.data, n);
        return GW_NODE_ANSWER_OK;
    }
    int16_t *copy = malloc(au->pcm.len); /* protobuf-c's bytes need not be aligned */
    if (!copy)
        return fail(a, GW_NODE_ANSWER_NO_MEMORY, "out of memory (an unaligned audio chunk)");
    memcpy(copy, au->pcm.data, au->pcm.len);
    a->ev.on_audio(a->user, copy, n);
    free(copy);
    return GW_NODE_ANSWER_OK;
}

/* One timing into list: its text UTF-8, start <= end, start not before the
 * previous one's (*last). */
static gw_node_answer_status keep_timing(gw_node_answer *a, json_t *list, const char *what, const char *key,
                                         const char *text, uint32_t start, uint32_t end, uint32_t *last)
{
    if (!ss_utf8_valid(text, strlen(text)))
        return fail(a, GW_NODE_ANSWER_MALFORMED, "a %s that is not UTF-8", what);
    if (end < start)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "a %s ends (%u ms) before it starts (%u ms)", what, end, start);
    if (start < *last)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "a %s starts at %u ms, before the previous one (%u ms)", what,
                    start, *last);
    *last = start;
    json_t *o = json_pack("{s:s,s:I,s:I}", key, text, "start_ms", (json_int_t)start, "end_ms", (json_int_t)end);
    if (json_array_append_new(list, o) != 0)
        return fail(a, GW_NODE_ANSWER_NO_MEMORY, "out of memory (the alignment)");
    return GW_NODE_ANSWER_OK;
}

static gw_node_answer_status read_alignment(gw_node_answer *a, const chunk *c)
{
    const Scaiinfer__Tts__V1__Alignment *al = c->alignment;
    for (size_t i = 0; i < al->n_words && a->status == GW_NODE_ANSWER_OK; i++) {
        const Scaiinfer__Tts__V1__WordTiming *w = al->words[i];
        keep_timing(a, a->words, "word", "text", w->text, w->start_ms, w->end_ms, &a->word_start);
    }
    for (size_t i = 0; i < al->n_phonemes && a->status == GW_NODE_ANSWER_OK; i++) {
        const Scaiinfer__Tts__V1__PhonemeTiming *p = al->phonemes[i];
        keep_timing(a, a->phonemes, "phoneme", "symbol", p->symbol, p->start_ms, p->end_ms, &a->phoneme_start);
    }
    return a->status;
}

static gw_node_answer_status read_done(gw_node_answer *a, const chunk *c)
{
    if (c->done->samples != a->samples)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "done says %llu samples, %llu arrived",
                    (unsigned long long)c->done->samples, (unsigned long long)a->samples);
    a->done = true;
    return GW_NODE_ANSWER_OK;
}

typedef struct {
    Scaiinfer__Tts__V1__SynthesizeChunk__KindCase kind;
    const char *name;
    gw_node_answer_status (*read)(gw_node_answer *a, const chunk *c);
} kind_reader;

static const kind_reader READERS[] = {
    {SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_HEADER, "header", read_header},
    {SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_AUDIO, "audio", read_audio},
    {SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_ALIGNMENT, "alignment", read_alignment},
    {SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_DONE, "done", read_done},
};

static gw_node_answer_status read_chunk(gw_node_answer *a, const chunk *c)
{
    for (size_t i = 0; i < sizeof READERS / sizeof READERS[0]; i++) {
        const kind_reader *r = &READERS[i];
        if (c->kind_case != r->kind)
            continue;
        if (a->done)
            return fail(a, GW_NODE_ANSWER_MALFORMED, "%s after done", r->name);
        if (!a->sample_rate && r->kind != SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_HEADER)
            return fail(a, GW_NODE_ANSWER_MALFORMED, "%s before the header", r->name);
        return r->read(a, c);
    }
    return GW_NODE_ANSWER_OK; /* no kind set, or one this gateway does not know */
}

gw_node_answer_status gw_node_answer_feed(gw_node_answer *a, const uint8_t *msg, size_t len)
{
    if (a->status != GW_NODE_ANSWER_OK)
        return a->status;
    chunk *c = scaiinfer__tts__v1__synthesize_chunk__unpack(NULL, len, msg);
    if (!c) /* protobuf-c fails on bad input and on no memory alike */
        return fail(a, GW_NODE_ANSWER_MALFORMED, "an undecodable message (%zu bytes)", len);
    read_chunk(a, c);
    scaiinfer__tts__v1__synthesize_chunk__free_unpacked(c, NULL);
    return a->status;
}

gw_node_answer_status gw_node_answer_finish(gw_node_answer *a)
{
    if (a->status != GW_NODE_ANSWER_OK)
        return a->status;
    if (!a->sample_rate)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "the stream ended without a header");
    if (!a->done)
        return fail(a, GW_NODE_ANSWER_MALFORMED, "the stream ended without done");
    return GW_NODE_ANSWER_OK;
}
