/* libFuzzer target: a node's Synthesize answer as the gateway reads it
 * (gateway/node_answer.c). The input is a sequence of messages, each a
 * 2-byte little-endian length and that many bytes (cut at the input's
 * end); after the last the call is taken as ended OK (finish). Checked
 * against the contract the reader promises its caller: the header handed
 * on at most once, with a rate of 8000..48000 Hz, before any audio; audio
 * never empty and its sample count equal to the reader's; nothing handed
 * on once a message was refused; a refusal always says why; a finished
 * answer had a header and a done; the kept alignment is objects with
 * start <= end in non-decreasing start order. Seeds: streams as a node
 * sends them (header, audio, alignment, done) for the HTS and clustergen
 * rates, with and without timestamps. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/node_answer.h"

typedef struct {
    int headers;
    uint64_t samples;
    bool stopped; /* a message was refused: nothing may be handed on */
} seen;

static void on_header(void *user, uint32_t rate)
{
    seen *s = user;
    if (s->stopped || s->headers++ || s->samples || rate < 8000 || rate > 48000)
        __builtin_trap();
}

static void on_audio(void *user, const int16_t *pcm, size_t n)
{
    seen *s = user;
    if (s->stopped || !s->headers || n == 0)
        __builtin_trap();
    volatile int16_t sink = pcm[0] ^ pcm[n - 1]; /* ASan: the samples are readable */
    (void)sink;
    s->samples += n;
}

static void check_timings(const json_t *list, const char *key)
{
    json_int_t last = 0;
    size_t i;
    const json_t *o;
    json_array_foreach(list, i, o) {
        json_int_t start = json_integer_value(json_object_get(o, "start_ms"));
        json_int_t end = json_integer_value(json_object_get(o, "end_ms"));
        if (!json_is_string(json_object_get(o, key)) || end < start || start < last)
            __builtin_trap();
        last = start;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gw_node_answer_events ev = {on_header, on_audio};
    seen s = {0};
    gw_node_answer a;
    if (gw_node_answer_init(&a, &ev, &s) != 0) {
        gw_node_answer_release(&a);
        return 0;
    }
    size_t at = 0;
    while (at + 2 <= size) {
        size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
        at += 2;
        if (len > size - at)
            len = size - at;
        if (gw_node_answer_feed(&a, data + at, len) != GW_NODE_ANSWER_OK)
            s.stopped = true;
        at += len;
    }
    gw_node_answer_status st = gw_node_answer_finish(&a);
    if ((st == GW_NODE_ANSWER_OK) != (gw_node_answer_why(&a)[0] == 0))
        __builtin_trap(); /* a refusal says why, and only a refusal */
    if (st == GW_NODE_ANSWER_OK && (s.headers != 1 || !a.done))
        __builtin_trap();
    if (s.samples != a.samples)
        __builtin_trap();
    check_timings(a.words, "text");
    check_timings(a.phonemes, "symbol");
    gw_node_answer_release(&a);
    return 0;
}
