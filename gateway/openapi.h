/* The OpenAPI document (docs/openapi.json) as the gateway serves it.
 *
 * The bytes are embedded at build time: the Makefile turns docs/openapi.json
 * into $(B)/gen/openapi_doc.c (never committed), so the binary always serves
 * the document it was built with and there is no file to go missing at run
 * time nor any disk read on the event loop. */
#ifndef SS_GATEWAY_OPENAPI_H
#define SS_GATEWAY_OPENAPI_H

#include <stddef.h>

/* Generated: the document's bytes (not NUL-terminated) and their count. */
extern const unsigned char gw_openapi_json[];
extern const size_t gw_openapi_json_len;

#endif
