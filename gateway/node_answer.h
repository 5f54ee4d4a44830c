/* A node's answer to Synthesize, read message by message and held to
 * NODE.md's stream contract: exactly one `header` first (a rate of
 * 8000..48000 Hz), then `audio` (s16le, whole samples, each chunk starting
 * at `start_sample` = the samples received so far: no gap, no overlap) and
 * `alignment` chunks (UTF-8 text, start <= end, words and phonemes each in
 * non-decreasing start order), then one `done` whose `samples` equals what
 * arrived, and nothing after it. A message with no kind set (a kind this
 * gateway does not know) is skipped, protobuf's rule for new fields.
 *
 * Why a file of its own: these are bytes from another process (a node
 * that is buggy, older or newer, or not ours), so their reading is a parser
 * like any other, with a libFuzzer target (tests/fuzz/fuzz_node_answer.c);
 * node_call.c owns the gRPC call and feeds this reader. Audio is handed on
 * as it arrives (on_header, on_audio) and the alignment collected as JSON
 * for the answer's timestamps. The first broken rule makes the reader stop
 * (nothing more is handed on) and keeps why; the caller cancels the call.
 * Not thread-safe: one reader per call, on the call's loop. */
#ifndef SS_GATEWAY_NODE_ANSWER_H
#define SS_GATEWAY_NODE_ANSWER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    void (*on_header)(void *user, uint32_t sample_rate);
    /* samples valid during the call only; never with 0 samples */
    void (*on_audio)(void *user, const int16_t *pcm, size_t samples);
} gw_node_answer_events;

typedef enum {
    GW_NODE_ANSWER_OK = 0,
    GW_NODE_ANSWER_MALFORMED, /* the node broke the contract; why() says how */
    GW_NODE_ANSWER_NO_MEMORY, /* the gateway could not keep the alignment */
} gw_node_answer_status;

typedef struct {
    gw_node_answer_events ev;
    void *user;
    uint32_t sample_rate;  /* 0 until the header */
    uint64_t samples;      /* audio received */
    bool done;
    uint32_t word_start, phoneme_start; /* the last start_ms of each */
    json_t *words;         /* [{text,start_ms,end_ms}] */
    json_t *phonemes;      /* [{symbol,start_ms,end_ms}] */
    gw_node_answer_status status;
    char why[192];
} gw_node_answer;

/* 0, or -1 when out of memory (then release is still safe). */
int gw_node_answer_init(gw_node_answer *a, const gw_node_answer_events *ev, void *user);
void gw_node_answer_release(gw_node_answer *a);

/* One message of the stream (the gRPC message's bytes). Returns the
 * reader's status after it: once not OK it stays so and later messages
 * are ignored. */
gw_node_answer_status gw_node_answer_feed(gw_node_answer *a, const uint8_t *msg, size_t len);

/* The call ended OK: the answer must be complete (a header and a done). */
gw_node_answer_status gw_node_answer_finish(gw_node_answer *a);

/* Why the reader stopped ("" while OK). */
const char *gw_node_answer_why(const gw_node_answer *a);

#endif
