/* The answer of one synthesis request (/speak, /v1/audio/speech): PCM from a
 * backend in, the client's bytes out, as they are made.
 *
 * Three forms, chosen by the request:
 *   audio  the encoded bytes, streamed (http_stream.h): status and headers
 *          when the first encoded bytes exist, then one chunk per batch;
 *          X-Scaispeak-Audio-Ms comes as a trailer, since it is known only
 *          at the end;
 *   sse    (OpenAI stream_format "sse") the same bytes as base64 in
 *          speech.audio.delta events, then speech.audio.done;
 *   json   (Accept: application/json) the envelope with audio_base64, sent
 *          whole at the end, as before;
 *   save   (save_to, speak_output_save_to) the bytes go to a temporary
 *          object (speak_save.h), are uploaded to ScaiDrive at the end and
 *          the answer is the envelope with saved_to; the same back-pressure
 *          bounds what waits for the disk.
 * Encoding runs on the work pool (audio_lane.h). Back-pressure: when the PCM
 * not yet encoded plus the bytes not yet taken by the client exceed
 * stream_buffer_bytes, the owner is asked to pause its source, and to resume
 * once the client has taken half of it; so a slow reader costs at most about
 * that much memory, whatever the answer's length.
 *
 * The owner (speak_handler.c) drives it: begin when a backend's audio starts
 * (its rate known), audio per chunk, end when the backend finished. While
 * nothing has been sent to the client (committed() false) a failed backend
 * may be replaced: reset drops what was encoded and begin starts again.
 * fail answers an error (before the first byte: the JSON error; after it:
 * the stream is cut, see http_stream.h). Whichever way the answer ends, the
 * owner gets `finished` exactly once, last; the output must then be freed.
 * A client that leaves mid-stream gives `gone` (cancel the source; then
 * fail or end). */
#ifndef SS_GATEWAY_SPEAK_OUTPUT_H
#define SS_GATEWAY_SPEAK_OUTPUT_H

#include "gateway/gateway.h"
#include "gateway/speak_request.h"

#include <stdint.h>

typedef struct speak_output speak_output;

typedef struct {
    void (*pause)(void *user);
    void (*resume)(void *user);
    void (*gone)(void *user);
    void (*finished)(void *user);
} speak_output_events;

/* Takes over answering r (the owner must not answer it any more). NULL when
 * out of memory (r untouched). p must outlive the output. */
speak_output *speak_output_new(gw_request *r, const gw_speak_params *p, const char *voice_id,
                               const speak_output_events *ev, void *user);
/* A backend's audio starts: backend 'A' or 'B', PCM at in_rate. 0, or -1
 * after fail() was done (the answer is ending). */
int speak_output_begin(speak_output *o, char backend, uint32_t in_rate);
int speak_output_audio(speak_output *o, const int16_t *pcm, size_t n);
/* The backend finished; words/phonemes (borrowed, may be NULL) go into the
 * JSON form when timestamps were asked. */
void speak_output_end(speak_output *o, json_t *words, json_t *phonemes);
/* Makes the answer the save form (before begin): the audio is saved to
 * ScaiDrive per p->save_to with `token` (copied; the exchanged token). 0, or
 * -1 when out of memory. */
int speak_output_save_to(speak_output *o, const char *token);
/* Whether any byte of the answer left for the client. */
bool speak_output_committed(const speak_output *o);
/* Drops the current backend's audio (only while not committed). */
void speak_output_reset(speak_output *o);
/* Ends with an error (takes details). */
void speak_output_fail(speak_output *o, ss_api_error e, const char *message, json_t *details);
void speak_output_free(speak_output *o);

#endif
