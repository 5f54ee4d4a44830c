/* GET /v1/modules/scaispeak/openapi.json: the embedded OpenAPI document
 * (embedded_files.h), public like healthz. The document is the repository's
 * docs/openapi.json byte for byte; tests/integration/test_openapi.py checks
 * that its paths and methods equal the route table and that every JSON
 * answer of the integration suites validates against it. */
#include "gateway/gateway.h"
#include "gateway/embedded_files.h"

void gw_handle_openapi(gw_request *r)
{
    const gw_embedded_file *doc = gw_embedded_file_find("docs/openapi.json");
    if (!doc) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "the OpenAPI document was not embedded in this build", NULL);
        return;
    }
    gw_reply_text(r, 200, "application/json", (const char *)doc->data, doc->len);
}
