/* The body of a relay (backend B) answer, kept whole until it is decoded.
 *
 * The relay answers one WAV per call; it cannot be decoded before its header
 * and length are known, so both callers (the gateway's /speak and the
 * worker's jobs) collect the bytes relay_client.h streams to them, then decode
 * them on an audio thread. The buffer grows by doubling up to RELAY_BODY_MAX
 * (64 MiB, over half an hour of 16 kHz audio); past that, or when memory runs
 * out, it stops taking bytes and remembers why, so the caller reports the
 * right error when the call ends instead of decoding a truncated answer. */
#ifndef SS_GATEWAY_RELAY_BODY_H
#define SS_GATEWAY_RELAY_BODY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_BODY_MAX (64u * 1024 * 1024)

typedef enum {
    RELAY_BODY_OK = 0,
    RELAY_BODY_TOO_LARGE,     /* the answer passed RELAY_BODY_MAX */
    RELAY_BODY_OUT_OF_MEMORY, /* growing the buffer failed */
} relay_body_state;

typedef struct {
    uint8_t *bytes;
    size_t len, cap;
    relay_body_state state;
} relay_body;

/* Appends `len` bytes. Once the state is not RELAY_BODY_OK nothing more is
 * taken (the call is still read to its end; the caller fails it then). */
void relay_body_append(relay_body *b, const void *data, size_t len);

/* Empty again for the next call (keeps the allocation). */
void relay_body_reset(relay_body *b);

void relay_body_free(relay_body *b);

/* NULL when the body is whole; otherwise why it is not, for an error message:
 * "the relay's answer is over 64 MiB" or "out of memory". */
const char *relay_body_problem(const relay_body *b);

#endif
