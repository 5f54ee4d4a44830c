/* EvictVoice over the libevent gRPC bridge or the HTTP/2 client (see
 * evict_call.h): one request packing and one answer reading for both. */
#include "common/evict_call.h"

#include "proto/tts_node.pb-c.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    ss_grpc_channel *channel; /* the bridge's; NULL over HTTP/2 */
    ss_evict_done_fn done;
    void *user;
    bool answered, was_cached;
} evict_call;

static void on_message(void *user, const uint8_t *msg, size_t len)
{
    evict_call *c = user;
    Scaiinfer__Tts__V1__EvictVoiceResponse *r = scaiinfer__tts__v1__evict_voice_response__unpack(NULL, len, msg);
    if (!r)
        return; /* on_status follows; no answer counts as a failure */
    c->answered = true;
    c->was_cached = r->was_cached;
    scaiinfer__tts__v1__evict_voice_response__free_unpacked(r, NULL);
}

static void on_status(void *user, grpc_status_code code, const char *msg)
{
    evict_call *c = user;
    bool ok = code == GRPC_STATUS_OK && c->answered;
    c->done(c->user, ok, c->was_cached, (int)code,
            ok ? "" : code == GRPC_STATUS_OK ? "the node's answer could not be read" : (msg ? msg : ""));
    ss_grpc_channel_free(c->channel);
    free(c);
}

#define REQUEST_MAX 512 /* a packed EvictVoiceRequest: the voice id and a few bytes */

/* The packed request into buf (cap bytes): its length, or 0 + err. */
static size_t pack_request(const char *voice_id, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
    Scaiinfer__Tts__V1__EvictVoiceRequest m = SCAIINFER__TTS__V1__EVICT_VOICE_REQUEST__INIT;
    m.voice_id = (char *)voice_id;
    size_t len = scaiinfer__tts__v1__evict_voice_request__get_packed_size(&m);
    if (len > cap) {
        snprintf(err, errlen, "voice id too long");
        return 0;
    }
    scaiinfer__tts__v1__evict_voice_request__pack(&m, buf);
    return len;
}

/* A call record with its packed request in buf (REQUEST_MAX bytes): NULL + err
 * when the voice id does not fit or memory runs out. */
static evict_call *evict_call_new(const char *voice_id, ss_evict_done_fn done, void *user, uint8_t *buf,
                                  size_t *len, char *err, size_t errlen)
{
    *len = pack_request(voice_id, buf, REQUEST_MAX, err, errlen);
    if (!*len)
        return NULL;
    evict_call *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->done = done;
    c->user = user;
    return c;
}

int ss_evict_call_start_h2(ss_h2_client *client, const char *address, const char *authorization,
                           const char *request_id, const char *voice_id, int timeout_ms, ss_evict_done_fn done,
                           void *user, char *err, size_t errlen)
{
    uint8_t buf[REQUEST_MAX];
    size_t len;
    evict_call *c = evict_call_new(voice_id, done, user, buf, &len, err, errlen);
    if (!c)
        return -1;
    ss_grpc_metadata md = {.authorization = authorization, .request_id = request_id};
    if (!ss_h2_call_start(client, address, SS_EVICT_METHOD, &md, timeout_ms, buf, len, false, on_message, on_status,
                          c, err, errlen)) {
        free(c);
        return -1;
    }
    return 0;
}

int ss_evict_call_start(ss_grpc_evclient *client, const char *address, const char *authorization,
                        const char *request_id, const char *voice_id, int timeout_ms, ss_evict_done_fn done,
                        void *user, char *err, size_t errlen)
{
    uint8_t buf[REQUEST_MAX];
    size_t len;
    evict_call *c = evict_call_new(voice_id, done, user, buf, &len, err, errlen);
    if (!c)
        return -1;
    c->channel = ss_grpc_channel_new(address, err, errlen);
    if (!c->channel) {
        free(c);
        return -1;
    }
    ss_grpc_metadata md = {.authorization = authorization, .request_id = request_id};
    if (!ss_grpc_evcall_start(client, c->channel, SS_EVICT_METHOD, &md, timeout_ms, buf, len, false, on_message,
                              on_status, c, err, errlen)) {
        ss_grpc_channel_free(c->channel);
        free(c);
        return -1;
    }
    return 0;
}
