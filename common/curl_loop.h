/* libcurl's multi interface driven by a libevent loop: the glue every HTTP
 * client of the gateway shares (backend B's relay_client.c, ScaiDrive's
 * scaidrive_client.c), so a slow or silent peer never blocks the loop.
 *
 * "Multi socket" style: curl says which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one persistent libevent event per socket, kept
 * in a list so nothing leaks at shutdown) and when to wake it
 * (CURLMOPT_TIMERFUNCTION -> one libevent timer). Every wake-up calls
 * curl_multi_socket_action() and then hands each finished transfer to the
 * owner's `done` (outside curl: done may add and remove transfers), then
 * calls the owner's `after` (may be NULL): the place to free transfers the
 * owner cancelled from inside a curl callback, which curl forbids removing
 * there (ss_curl_loop_in_curl() says whether we are inside curl now).
 *
 * The owner owns its easy handles: it adds them, and removes them (with
 * ss_curl_loop_remove) before cleaning them up; done is called at most once
 * per added handle, and not for one removed before it finished. A paused
 * transfer (a read callback that answered CURL_READFUNC_PAUSE) is resumed
 * with curl_easy_pause(easy, CURLPAUSE_CONT) from the loop, outside curl:
 * curl then asks for an immediate timeout and this file drives it.
 *
 * Loop thread only. State: the multi handle, its timer and the list of
 * watched sockets, all owned by the ss_curl_loop. */
#ifndef SS_COMMON_CURL_LOOP_H
#define SS_COMMON_CURL_LOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
typedef struct ss_curl_loop ss_curl_loop;

/* A transfer finished (rc is curl's result); the owner removes and frees it. */
typedef void (*ss_curl_done_fn)(void *owner, CURL *easy, CURLcode rc);
/* After each drive, outside curl. */
typedef void (*ss_curl_after_fn)(void *owner);

/* NULL with err filled when curl cannot be set up ("out of memory", ...). */
ss_curl_loop *ss_curl_loop_new(struct event_base *base, ss_curl_done_fn done, ss_curl_after_fn after,
                               void *owner, char *err, size_t errlen);
/* Every handle must have been removed first. NULL is fine. */
void ss_curl_loop_free(ss_curl_loop *l);
/* Starts a transfer. 0, or -1 with err. */
int ss_curl_loop_add(ss_curl_loop *l, CURL *easy, char *err, size_t errlen);
/* Stops watching a transfer (not from inside curl's callbacks). */
void ss_curl_loop_remove(ss_curl_loop *l, CURL *easy);
/* Whether curl_multi_socket_action() is running now (we are in a curl callback). */
bool ss_curl_loop_in_curl(const ss_curl_loop *l);

#endif
