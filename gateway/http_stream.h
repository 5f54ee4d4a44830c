/* A streamed HTTP answer: status and headers first, then the body in chunks
 * as it is made (Transfer-Encoding: chunked for HTTP/1.1 clients; HTTP/1.0
 * clients get the body delimited by the connection's close).
 *
 * Back-pressure: gw_http_stream_queued() says how many bytes wait in the
 * connection's output buffer; a writer that stops producing when it is high
 * gets on_drained once the client has taken everything. A client that goes
 * away (the connection fails or closes) gets on_gone; the stream then only
 * waits for the owner's end or abort. The owner ends a stream exactly once:
 *   gw_http_stream_end    the last chunk, with an optional trailer field
 *                         (announced with the Trailer header at start;
 *                         neither for an HTTP/1.0 client);
 *   gw_http_stream_abort  the connection is closed without the last chunk,
 *                         so every HTTP/1.1 client sees a truncated body
 *                         (curl exits 18, browsers' fetch rejects, Python's
 *                         http.client raises IncompleteRead): the signal for
 *                         a failure after the first byte.
 * Both free the stream and the gw_request, account the answer (metrics and
 * the access log line, with the request id) and keep the gateway's in-flight
 * count right until the last byte is written. */
#ifndef SS_GATEWAY_HTTP_STREAM_H
#define SS_GATEWAY_HTTP_STREAM_H

#include "gateway/gateway.h"

#include <stddef.h>

typedef struct gw_http_stream gw_http_stream;

typedef struct {
    void (*on_drained)(void *user); /* after a write left bytes queued: all taken */
    void (*on_gone)(void *user);    /* the client left */
} gw_http_stream_events;

/* Sends status and headers now (the caller added its own to r's output
 * headers first); `trailer` names the trailer field end will send, or NULL.
 * Takes r on success; NULL when out of memory (r untouched). */
gw_http_stream *gw_http_stream_start(gw_request *r, int status, const char *content_type,
                                     const char *trailer, const gw_http_stream_events *ev,
                                     void *user);
/* Queues one chunk. 0, or -1 when out of memory. A gone client's bytes are
 * dropped (0). */
int gw_http_stream_write(gw_http_stream *s, const void *data, size_t len);
/* Bytes waiting in the connection's output buffer (0 once the client left). */
size_t gw_http_stream_queued(const gw_http_stream *s);
/* Body bytes written so far. */
size_t gw_http_stream_sent(const gw_http_stream *s);
/* Whether the client is still there. */
bool gw_http_stream_connected(const gw_http_stream *s);
/* The request id (for the owner's logs after start). */
const char *gw_http_stream_request_id(const gw_http_stream *s);
/* Ends the body (with `trailer_value` for the trailer named at start, when
 * not NULL) and frees the stream. */
void gw_http_stream_end(gw_http_stream *s, const char *trailer_value);
/* Closes the connection without the last chunk and frees the stream; `why`
 * is logged with the request id. */
void gw_http_stream_abort(gw_http_stream *s, const char *why);

#endif
