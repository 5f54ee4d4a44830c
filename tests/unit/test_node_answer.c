/* Unit tests for gateway/node_answer: a node's Synthesize stream read
 * against NODE.md's contract. A well-formed stream hands on the header and
 * every sample in order and keeps the alignment; each broken rule stops
 * the reader with a reason naming it, and nothing is handed on after. */
#include "gateway/node_answer.h"

#include "proto/tts_node.pb-c.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int headers;
    uint32_t rate;
    size_t samples;
    int16_t last;
} seen;

static void on_header(void *user, uint32_t rate)
{
    seen *s = user;
    s->headers++;
    s->rate = rate;
}

static void on_audio(void *user, const int16_t *pcm, size_t n)
{
    seen *s = user;
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(pcm[i], (int16_t)(s->samples + i), "sample %zu", s->samples + i);
    s->samples += n;
    s->last = pcm[n - 1];
}

typedef struct {
    gw_node_answer a;
    seen s;
} reader;

static void reader_init(reader *r)
{
    memset(r, 0, sizeof *r);
    static const gw_node_answer_events ev = {on_header, on_audio};
    cr_assert_eq(gw_node_answer_init(&r->a, &ev, &r->s), 0);
}

static gw_node_answer_status feed(reader *r, const Scaiinfer__Tts__V1__SynthesizeChunk *c)
{
    size_t n = scaiinfer__tts__v1__synthesize_chunk__get_packed_size(c);
    uint8_t *buf = malloc(n + 1);
    cr_assert(buf);
    scaiinfer__tts__v1__synthesize_chunk__pack(c, buf);
    gw_node_answer_status st = gw_node_answer_feed(&r->a, buf, n);
    free(buf);
    return st;
}

static gw_node_answer_status header(reader *r, uint32_t rate)
{
    Scaiinfer__Tts__V1__ChunkHeader h = SCAIINFER__TTS__V1__CHUNK_HEADER__INIT;
    h.sample_rate = rate;
    h.node_id = "n1";
    Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_HEADER;
    c.header = &h;
    return feed(r, &c);
}

/* n samples counting up from start (sample i holds i), bytes bytes of them */
static gw_node_answer_status audio_bytes(reader *r, uint64_t start, size_t n, size_t bytes)
{
    int16_t *pcm = malloc((n + 1) * sizeof *pcm);
    cr_assert(pcm);
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(start + i);
    Scaiinfer__Tts__V1__AudioChunk a = SCAIINFER__TTS__V1__AUDIO_CHUNK__INIT;
    a.pcm.data = (uint8_t *)pcm;
    a.pcm.len = bytes;
    a.start_sample = start;
    Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_AUDIO;
    c.audio = &a;
    gw_node_answer_status st = feed(r, &c);
    free(pcm);
    return st;
}

static gw_node_answer_status audio(reader *r, uint64_t start, size_t n)
{
    return audio_bytes(r, start, n, n * 2);
}

static gw_node_answer_status word(reader *r, const char *text, uint32_t start, uint32_t end)
{
    Scaiinfer__Tts__V1__WordTiming w = SCAIINFER__TTS__V1__WORD_TIMING__INIT, *wp = &w;
    w.text = (char *)text;
    w.start_ms = start;
    w.end_ms = end;
    Scaiinfer__Tts__V1__PhonemeTiming p = SCAIINFER__TTS__V1__PHONEME_TIMING__INIT, *pp = &p;
    p.symbol = "ax";
    p.start_ms = start;
    p.end_ms = end;
    Scaiinfer__Tts__V1__Alignment al = SCAIINFER__TTS__V1__ALIGNMENT__INIT;
    al.n_words = 1;
    al.words = &wp;
    al.n_phonemes = 1;
    al.phonemes = &pp;
    Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_ALIGNMENT;
    c.alignment = &al;
    return feed(r, &c);
}

static gw_node_answer_status done(reader *r, uint64_t samples)
{
    Scaiinfer__Tts__V1__Done d = SCAIINFER__TTS__V1__DONE__INIT;
    d.samples = samples;
    Scaiinfer__Tts__V1__SynthesizeChunk c = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    c.kind_case = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__KIND_DONE;
    c.done = &d;
    return feed(r, &c);
}

static void expect_malformed(reader *r, gw_node_answer_status st, const char *why)
{
    cr_assert_eq(st, GW_NODE_ANSWER_MALFORMED, "status %d", st);
    cr_assert(strstr(gw_node_answer_why(&r->a), why), "why: '%s', want '%s'", gw_node_answer_why(&r->a), why);
    size_t before = r->s.samples;
    cr_assert_eq(audio(r, r->a.samples, 10), GW_NODE_ANSWER_MALFORMED, "sticky");
    cr_assert_eq(r->s.samples, before, "nothing handed on after the reader stopped");
    gw_node_answer_release(&r->a);
}

Test(node_answer, a_wellformed_stream_is_handed_on_and_kept)
{
    reader r;
    reader_init(&r);
    cr_assert_eq(header(&r, 32000), GW_NODE_ANSWER_OK);
    cr_assert_eq(audio(&r, 0, 160), GW_NODE_ANSWER_OK);
    cr_assert_eq(word(&r, "caf\xc3\xa9", 0, 300), GW_NODE_ANSWER_OK);
    cr_assert_eq(audio(&r, 160, 0), GW_NODE_ANSWER_OK); /* empty: nothing handed on */
    cr_assert_eq(audio(&r, 160, 321), GW_NODE_ANSWER_OK);
    cr_assert_eq(word(&r, "ok", 300, 300), GW_NODE_ANSWER_OK); /* zero length, same start as an end */
    Scaiinfer__Tts__V1__SynthesizeChunk none = SCAIINFER__TTS__V1__SYNTHESIZE_CHUNK__INIT;
    cr_assert_eq(feed(&r, &none), GW_NODE_ANSWER_OK, "a kind this gateway does not know is skipped");
    cr_assert_eq(done(&r, 481), GW_NODE_ANSWER_OK);
    cr_assert_eq(gw_node_answer_finish(&r.a), GW_NODE_ANSWER_OK);
    cr_assert_eq(r.s.headers, 1);
    cr_assert_eq(r.s.rate, 32000);
    cr_assert_eq(r.s.samples, 481);
    cr_assert_eq(json_array_size(r.a.words), 2);
    cr_assert_eq(json_array_size(r.a.phonemes), 2);
    char *w = json_dumps(r.a.words, JSON_COMPACT);
    cr_assert_str_eq(w, "[{\"text\":\"caf\xc3\xa9\",\"start_ms\":0,\"end_ms\":300},"
                        "{\"text\":\"ok\",\"start_ms\":300,\"end_ms\":300}]");
    free(w);
    cr_assert_str_empty(gw_node_answer_why(&r.a));
    gw_node_answer_release(&r.a);
}

Test(node_answer, header_rules)
{
    reader r;
    reader_init(&r);
    header(&r, 16000);
    expect_malformed(&r, header(&r, 16000), "a second header");
    reader_init(&r);
    expect_malformed(&r, header(&r, 7999), "header sample_rate 7999 is outside 8000..48000");
    reader_init(&r);
    expect_malformed(&r, header(&r, 96000), "outside");
    reader_init(&r);
    expect_malformed(&r, audio(&r, 0, 10), "audio before the header");
    reader_init(&r);
    expect_malformed(&r, word(&r, "a", 0, 1), "alignment before the header");
    reader_init(&r);
    expect_malformed(&r, done(&r, 0), "done before the header");
}

Test(node_answer, audio_must_be_whole_samples_without_gap_or_overlap)
{
    reader r;
    reader_init(&r);
    header(&r, 24000);
    expect_malformed(&r, audio_bytes(&r, 0, 10, 19), "an audio chunk of 19 bytes");
    reader_init(&r);
    header(&r, 24000);
    audio(&r, 0, 100);
    expect_malformed(&r, audio(&r, 101, 10), "starts at sample 101 after 100 samples");
    reader_init(&r);
    header(&r, 24000);
    audio(&r, 0, 100);
    expect_malformed(&r, audio(&r, 90, 10), "starts at sample 90 after 100 samples");
}

Test(node_answer, alignment_rules)
{
    reader r;
    reader_init(&r);
    header(&r, 24000);
    expect_malformed(&r, word(&r, "a", 200, 100), "a word ends (100 ms) before it starts (200 ms)");
    reader_init(&r);
    header(&r, 24000);
    word(&r, "a", 200, 300);
    expect_malformed(&r, word(&r, "b", 100, 150), "a word starts at 100 ms, before the previous one (200 ms)");
    reader_init(&r);
    header(&r, 24000);
    expect_malformed(&r, word(&r, "b\xc3(", 0, 1), "a word that is not UTF-8");
}

Test(node_answer, done_must_count_the_samples_and_end_the_stream)
{
    reader r;
    reader_init(&r);
    header(&r, 24000);
    audio(&r, 0, 100);
    expect_malformed(&r, done(&r, 99), "done says 99 samples, 100 arrived");
    reader_init(&r);
    header(&r, 24000);
    audio(&r, 0, 100);
    done(&r, 100);
    expect_malformed(&r, audio(&r, 100, 1), "audio after done");
    reader_init(&r);
    header(&r, 24000);
    done(&r, 0);
    expect_malformed(&r, done(&r, 0), "done after done");
}

Test(node_answer, an_unfinished_or_undecodable_stream_is_malformed)
{
    reader r;
    reader_init(&r);
    expect_malformed(&r, gw_node_answer_finish(&r.a), "the stream ended without a header");
    reader_init(&r);
    header(&r, 24000);
    audio(&r, 0, 100);
    expect_malformed(&r, gw_node_answer_finish(&r.a), "the stream ended without done");
    reader_init(&r);
    static const uint8_t junk[] = {0x0a, 0x7f, 0x01}; /* field 1, length 127, one byte */
    expect_malformed(&r, gw_node_answer_feed(&r.a, junk, sizeof junk), "an undecodable message (3 bytes)");
}
