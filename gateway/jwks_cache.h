/* The gateway's copy of ScaiKey's signing keys (JWKS).
 *
 * Source: a file (jwks_path) or a URL (jwks_url); neither means JWTs are
 * refused. Loaded once at start (a failure then is logged and retried on the
 * first JWT). A token with an unknown kid asks for a refresh, at most once per
 * jwks_refresh_min_s: a file is re-read on the spot; a URL is fetched by a
 * short-lived thread (libcurl, 3 s timeout) and the requests waiting for it
 * resume on the loop when it is done. Loop thread only, except the fetch. */
#ifndef SS_GATEWAY_JWKS_CACHE_H
#define SS_GATEWAY_JWKS_CACHE_H

#include "common/jwt.h"
#include "common/settings.h"

#include <stdbool.h>

struct event_base;
typedef struct jwks_cache jwks_cache;

jwks_cache *jwks_cache_new(struct event_base *base, const ss_settings *settings);
void jwks_cache_free(jwks_cache *c);
bool jwks_cache_configured(const jwks_cache *c);
const ss_jwks *jwks_cache_keys(const jwks_cache *c); /* may be NULL */

/* Asks for fresh keys; done(user) runs on the loop when they are in (maybe
 * before this returns). Returns -1 (done not called) when a refresh ran
 * within jwks_refresh_min_s or nothing is configured. */
int jwks_cache_refresh(jwks_cache *c, void (*done)(void *user), void *user);

#endif
