/* The body of a relay answer, kept whole until it is decoded: see
 * relay_body.h. No state outside the struct the caller owns. */
#include "gateway/relay_body.h"

#include <stdlib.h>
#include <string.h>

/* Room for `need` bytes: doubling from 64 KiB. 0, or -1 with the state set. */
static int ensure_room(relay_body *b, size_t need)
{
    if (need > RELAY_BODY_MAX) {
        b->state = RELAY_BODY_TOO_LARGE;
        return -1;
    }
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 65536;
    while (cap < need)
        cap *= 2;
    uint8_t *grown = realloc(b->bytes, cap);
    if (!grown) {
        b->state = RELAY_BODY_OUT_OF_MEMORY;
        return -1;
    }
    b->bytes = grown;
    b->cap = cap;
    return 0;
}

void relay_body_append(relay_body *b, const void *data, size_t len)
{
    if (b->state != RELAY_BODY_OK || len == 0 || ensure_room(b, b->len + len) != 0)
        return;
    memcpy(b->bytes + b->len, data, len);
    b->len += len;
}

void relay_body_reset(relay_body *b)
{
    b->len = 0;
    b->state = RELAY_BODY_OK;
}

void relay_body_free(relay_body *b)
{
    free(b->bytes);
    *b = (relay_body){0};
}

const char *relay_body_problem(const relay_body *b)
{
    switch (b->state) {
    case RELAY_BODY_OK:
        return NULL;
    case RELAY_BODY_TOO_LARGE:
        return "the relay's answer is over 64 MiB";
    case RELAY_BODY_OUT_OF_MEMORY:
        return "out of memory (keeping the relay's audio)";
    }
    return "unknown relay body state";
}
