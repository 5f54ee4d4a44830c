/* Timings in the form a caller hands on: milliseconds from the start of the
 * utterance, and each word's byte range in the text the caller gave. Shared
 * by the engines that produce them (the clustergen orchestration,
 * clustergen/cg_speak.h; the node's HTS adapter) and by the node, which
 * sends them as AlignmentChunk messages (node/node_engine.h). */
#ifndef SS_ENGINE_WORD_TIMING_H
#define SS_ENGINE_WORD_TIMING_H

#include <stdint.h>

typedef struct {
    const char *text;
    uint32_t start_ms, end_ms;
    uint32_t char_start, char_end; /* byte offsets into the request text */
} ss_word_timing;

typedef struct {
    const char *symbol;
    uint32_t start_ms, end_ms;
} ss_phoneme_timing;

#endif
