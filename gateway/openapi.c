/* GET /v1/modules/scaispeak/openapi.json: the embedded OpenAPI document
 * (openapi.h), public like healthz. The document is the repository's
 * docs/openapi.json byte for byte; tests/integration/test_openapi.py checks
 * that its paths and methods equal the route table and that every JSON
 * answer of the integration suites validates against it. */
#include "gateway/gateway.h"
#include "gateway/openapi.h"

void gw_handle_openapi(gw_request *r)
{
    gw_reply_text(r, 200, "application/json", (const char *)gw_openapi_json, gw_openapi_json_len);
}
