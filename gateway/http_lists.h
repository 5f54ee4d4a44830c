/* Comma-separated header lists (RFC 9110 section 5.6.1: `#element`), as in
 * Transfer-Encoding, Connection, Upgrade: elements separated by commas with
 * optional white space, empty elements ignored. Read by the framing checks
 * of http_server.c and the WebSocket handshake of ws_upgrade.c. */
#ifndef SS_GATEWAY_HTTP_LISTS_H
#define SS_GATEWAY_HTTP_LISTS_H

#include <stdbool.h>
#include <stddef.h>

/* The next non-empty element at *cursor (NULL or at the end: NULL), its
 * length without surrounding white space in *len; *cursor moves past it. */
const char *gw_list_next(const char **cursor, size_t *len);
/* Whether the list holds `token` (case-insensitive). NULL list: false. */
bool gw_list_has(const char *list, const char *token);

#endif
