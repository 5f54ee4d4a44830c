/* Per-connection read deadlines and the connection cap of the HTTP front
 * (http_connections.c). */
#ifndef GATEWAY_HTTP_CONNECTIONS_H
#define GATEWAY_HTTP_CONNECTIONS_H

#include "common/settings.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

typedef struct gw_connections gw_connections;

/* Starts tracking every connection `http` accepts on `bound` (evhttp's bevcb),
 * enforcing http_header_timeout_s, http_body_timeout_s and
 * http_max_connections; accept() errors of the refusal listener go to
 * on_accept_error like evhttp's. NULL with err filled on failure. */
gw_connections *gw_connections_start(struct event_base *base, struct evhttp *http,
                                     struct evhttp_bound_socket *bound, const ss_settings *s,
                                     evconnlistener_errorcb on_accept_error, char *err,
                                     size_t errlen);
/* The request on this connection reached the gateway's callback (its body is
 * read): no read deadline until its answer is written. */
void gw_connections_request_read(gw_connections *c, struct evhttp_connection *evcon);
/* The answer on this connection was written to its last byte: the next
 * request's head deadline starts with its first byte. */
void gw_connections_answer_written(gw_connections *c, struct evhttp_connection *evcon);
/* The listener paused after an accept() error, or resumes: pausing disables
 * both listeners; resuming enables the one the connection count calls for. */
void gw_connections_pause_accepting(gw_connections *c, int paused);
/* Frees the refusal listener; call before the bound socket is closed. */
void gw_connections_stop_accepting(gw_connections *c);
/* Frees the sweep and every record; call after evhttp_free(). */
void gw_connections_free(gw_connections *c);

#endif
