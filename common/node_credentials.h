/* Credentials between the gateway and its nodes (docs/SECURITY.md, "Node and
 * gateway credentials").
 *
 * Two secrets, one per direction:
 *   - node -> gateway (heartbeats): each node has its own secret,
 *     HMAC-SHA256(node_auth_key, node_id) in lower-case hex. The gateway
 *     holds only node_auth_key and recomputes the secret of the id a
 *     heartbeat claims, so a credential is good for exactly one node id.
 *   - gateway -> node (Synthesize, EvictVoice, ListEngines): the shared
 *     node_call_token, presented as `authorization: Bearer <token>`.
 *
 * Outside dev_mode an empty credential, or one equal to the development
 * defaults below, is a start-up error: no secret shipped with the source
 * works in production. This file owns no state. */
#ifndef SS_COMMON_NODE_CREDENTIALS_H
#define SS_COMMON_NODE_CREDENTIALS_H

#include "common/settings.h"

#include <stdbool.h>
#include <stddef.h>

/* The development defaults, accepted only with dev_mode = 1. */
#define SS_DEV_NODE_AUTH_KEY "dev-node-auth-key"
#define SS_DEV_NODE_CALL_TOKEN "dev-node-call-token"
/* scaidrive_client_secret in dev_mode (gateway/scaidrive_client.c) */
#define SS_DEV_SCAIDRIVE_CLIENT_SECRET "dev-scaidrive-client-secret"

/* Hex HMAC-SHA256 plus NUL. */
#define SS_NODE_SECRET_LEN 65

/* HMAC-SHA256(key, node_id) as lower-case hex into out. 0, or -1 + err. */
int ss_node_secret_derive(const char *key, const char *node_id, char out[SS_NODE_SECRET_LEN],
                          char *err, size_t errlen);

/* True when `authorization` is "Bearer <expected>" (scheme case-insensitive);
 * compares digests in constant time. NULL or empty expected never matches. */
bool ss_bearer_matches(const char *authorization, const char *expected);

/* The effective value of a secret setting: `configured` when set and not the
 * development default; the development default when empty and dev_mode;
 * otherwise NULL + err naming the setting. */
const char *ss_credential_resolve(const ss_settings *s, const char *name, const char *configured,
                                  const char *dev_default, char *err, size_t errlen);

/* This node's heartbeat secret: node_secret, or in dev_mode with node_secret
 * empty the one derived from the development key. NULL + err otherwise. */
const char *ss_node_secret_resolve(const ss_settings *s, const char *node_id,
                                   char buf[SS_NODE_SECRET_LEN], char *err, size_t errlen);

#endif
