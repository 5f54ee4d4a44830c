/* libFuzzer target: the opaque list cursors clients send back
 * (`GET /v1/modules/scaispeak/voices?cursor=`, gateway/voice_index.c;
 * `GET /admin/erasure/audit?cursor=`, gateway/erasure_store.c) and the hex
 * text under them (common/hex_codec.c), on arbitrary bytes. A cursor that
 * decodes must be canonical: encoding what it decoded to gives the same
 * text back, so one position has one cursor. Any bytes encode to hex that
 * decodes to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex_codec.h"
#include "gateway/erasure_store.h"
#include "gateway/voice_index.h"

static void check_cursor(const uint8_t *data, size_t size)
{
    char text[512];
    if (size >= sizeof text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    voice_segment seg;
    char member[VOICE_INDEX_MEMBER_MAX];
    if (voice_cursor_decode(text, &seg, member, sizeof member) != 0)
        return;
    if (memchr(member, '\0', sizeof member) == NULL || (int)seg < 0 || seg >= VOICE_SEG_COUNT)
        __builtin_trap();
    char again[512];
    if (voice_cursor_encode(seg, member, again, sizeof again) != 0 || strcmp(again, text) != 0)
        __builtin_trap();
}

static void check_erasure_cursor(const uint8_t *data, size_t size)
{
    char text[512], member[97], again[2 * sizeof member + 1];
    if (size >= sizeof text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    if (erasure_cursor_member(text, member, sizeof member) != 0)
        return;
    if (!strchr(member, ':'))
        __builtin_trap();
    erasure_cursor_of(member, sizeof member - 1, again);
    if (strcmp(again, text) != 0)
        __builtin_trap();
}

static void check_hex(const uint8_t *data, size_t size)
{
    char *text = malloc(2 * size + 1);
    uint8_t *back = malloc(size + 1);
    if (!text || !back)
        __builtin_trap();
    ss_hex_encode(data, size, text);
    if (strlen(text) != 2 * size || ss_hex_decode(text, 2 * size, back, size) != (long)size ||
        memcmp(back, data, size) != 0)
        __builtin_trap();
    /* the input read as hex: a count within bounds, or a refusal */
    long n = ss_hex_decode((const char *)data, size, back, size);
    if (n != -1 && (size % 2 || (size_t)n != size / 2))
        __builtin_trap();
    free(text);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_cursor(data, size);
    check_erasure_cursor(data, size);
    check_hex(data, size);
    return 0;
}
