/* libFuzzer target: heartbeat records. The first byte picks: even = the
 * bytes are a HeartbeatRequest on the wire, unpacked by protobuf-c as the
 * gateway's heartbeat service does (every repeated and map field walked),
 * then checked by gateway/heartbeat_check.c: an accepted one must have
 * every string the record stores as JSON well-formed UTF-8 (jansson takes
 * it) and its numbers in range, and a refused one must say why; odd = the
 * bytes are a stored node record (JSON, as Redis holds it) turned into the
 * API's node object by gateway/node_registry.c, with the rest after the
 * first NUL as the operator's drain record. The service's credential and
 * node id checks need the service (integration tests). */
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_utf8.h"
#include "gateway/heartbeat_check.h"
#include "gateway/node_registry.h"
#include "proto/heartbeat.pb-c.h"

static void utf8_or_trap(const char *s)
{
    if (s && !utf8_valid((const unsigned char *)s, strlen(s)))
        __builtin_trap();
}

/* What an accepted heartbeat promises the record it becomes. */
static void check_accepted(const Scaiinfer__V1__HeartbeatRequest *hb)
{
    utf8_or_trap(hb->address);
    utf8_or_trap(hb->version);
    utf8_or_trap(hb->kernels);
    for (size_t i = 0; i < hb->n_engines; i++) {
        const Scaiinfer__V1__HeartbeatEngine *e = hb->engines[i];
        utf8_or_trap(e->engine_id);
        utf8_or_trap(e->kind);
        utf8_or_trap(e->version);
        utf8_or_trap(e->gender);
        utf8_or_trap(e->accent);
        utf8_or_trap(e->language);
        if (e->sample_rate > 384000)
            __builtin_trap();
    }
    for (size_t i = 0; i < hb->n_voices_cached; i++)
        utf8_or_trap(hb->voices_cached[i]);
    for (size_t i = 0; i < hb->n_labels; i++) {
        utf8_or_trap(hb->labels[i]->key);
        utf8_or_trap(hb->labels[i]->value);
    }
    if (hb->gpu)
        utf8_or_trap(hb->gpu->name);
    if (hb->started_at < 0)
        __builtin_trap();
}

static void unpack_request(const uint8_t *data, size_t size)
{
    Scaiinfer__V1__HeartbeatRequest *hb =
        scaiinfer__v1__heartbeat_request__unpack(NULL, size, data);
    if (!hb)
        return;
    size_t total = strlen(hb->node_id) + strlen(hb->address) + strlen(hb->kernels) +
                   strlen(hb->version);
    for (size_t i = 0; i < hb->n_engines; i++)
        total += hb->engines[i] ? strlen(hb->engines[i]->engine_id) : 0;
    for (size_t i = 0; i < hb->n_voices_cached; i++)
        total += strlen(hb->voices_cached[i]);
    for (size_t i = 0; i < hb->n_labels; i++)
        total += strlen(hb->labels[i]->key) + strlen(hb->labels[i]->value);
    if (total > size * 2 + 64)
        __builtin_trap(); /* unpacked strings cannot outgrow the wire bytes */
    char why[256] = "";
    if (heartbeat_check(hb, 1796000000LL, why, sizeof why))
        check_accepted(hb);
    else if (!why[0])
        __builtin_trap(); /* refused without a reason */
    scaiinfer__v1__heartbeat_request__free_unpacked(hb, NULL);
}

static void stored_record(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t rec_len = nul ? (size_t)(nul - data) : size;
    redisReply rec = {.type = REDIS_REPLY_STRING, .str = (char *)data, .len = rec_len};
    redisReply alive = {.type = REDIS_REPLY_INTEGER, .integer = size & 1};
    redisReply drain = {.type = REDIS_REPLY_STRING, .str = (char *)(nul ? nul + 1 : data),
                        .len = nul ? size - rec_len - 1 : 0};
    redisReply *elems[3] = {&rec, &alive, &drain};
    redisReply triple = {.type = REDIS_REPLY_ARRAY, .elements = nul ? 3 : 2, .element = elems};
    json_t *node = node_object_from_reply(&triple);
    if (node) {
        node_object_usable(node, NULL);
        node_object_usable(node, "hts-en-us");
    }
    json_decref(node);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0)
        unpack_request(data + 1, size - 1);
    else
        stored_record(data + 1, size - 1);
    return 0;
}
