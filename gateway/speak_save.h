/* The save_to form of a synthesis answer (API.md §5): the encoded audio
 * goes into a temporary object in the object store instead of to the
 * client, is uploaded to ScaiDrive when complete, and the temporary object
 * is deleted afterwards whatever happens.
 *
 * Bytes arrive on the loop (speak_output.c hands over what the audio lane
 * encoded) and are written to the store on the pool, one write job at a
 * time; speak_save_queued() is what waits, so the output's back-pressure
 * (stream_buffer_bytes) pauses the node as for a slow client: memory stays
 * bounded whatever the audio's length. `drained` tells the owner a write
 * finished (time to look at the pressure again). The object lives under
 * `tmp/save/<random>` and belongs to this request only.
 *
 * speak_save_finish commits the object, uploads it (gateway/scaidrive_client.h)
 * with the exchanged token, deletes it and calls done once with the result.
 * speak_save_free at any point (also mid-upload) cancels what is running and
 * deletes the object on the pool; done is then not called.
 *
 * speak_save_token asks ScaiKey for the ScaiDrive token of the request's
 * caller before any synthesis: 404 SCAIDRIVE_NOT_AVAILABLE when ScaiDrive is
 * not configured, 400 SAVE_TO_REQUIRES_JWT for an API key, 502
 * SAVE_TO_EXCHANGE_FAILED with ScaiKey's reason. The token is a credential:
 * the owner keeps it in memory for this request only and never logs it. */
#ifndef SS_GATEWAY_SPEAK_SAVE_H
#define SS_GATEWAY_SPEAK_SAVE_H

#include "gateway/gateway.h"
#include "gateway/save_target.h"

#include <stdint.h>

typedef struct speak_save speak_save;

typedef struct {
    bool ok;
    ss_api_error error;       /* when !ok */
    const char *message;      /* when !ok */
    json_t *saved_to;         /* when ok (borrowed) */
    uint64_t bytes;           /* the file's size */
} speak_save_result;

typedef void (*speak_save_drained_fn)(void *user);
typedef void (*speak_save_done_fn)(void *user, const speak_save_result *res);

/* t and token are copied. NULL when out of memory. */
speak_save *speak_save_new(gw_server *gw, const char *request_id, const gw_save_target *t,
                           const char *token, const char *content_type, speak_save_drained_fn drained,
                           void *user);
/* Queues bytes for the object. 0, or -1 when out of memory. */
int speak_save_write(speak_save *s, const uint8_t *data, size_t len);
/* Bytes queued and not yet written. */
size_t speak_save_queued(const speak_save *s);
/* No more bytes: commit, upload, delete; then done (on the loop, later). */
void speak_save_finish(speak_save *s, speak_save_done_fn done);
void speak_save_free(speak_save *s); /* NULL is fine */

/* The caller's ScaiDrive token (see above): on_token gets e = 0 and the
 * token, or the error and its message; exactly once, possibly before
 * speak_save_token returns (a refusal needs no round trip). */
typedef void (*speak_save_token_fn)(void *user, ss_api_error e, const char *message, const char *token);
void speak_save_token(gw_request *r, speak_save_token_fn on_token, void *user);

#endif
