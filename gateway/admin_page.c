/* GET /v1/modules/scaispeak/admin/ and its two assets: the admin page
 * (gateway/admin/index.html, app.js, style.css), public and static.
 *
 * The files are embedded at build time (embedded_files.h), so no request
 * reads the disk. The page holds no secret: it asks the user for an API key
 * or JWT, keeps it in sessionStorage and sends it as `Authorization: Bearer`
 * on its own calls to the API. Every answer carries a strict
 * Content-Security-Policy (same-origin scripts, styles, fetches and
 * WebSockets only; audio from blob: URLs; no framing), nosniff and
 * no-referrer, and is not cached, so a new build's page is what loads. */
#include "gateway/gateway.h"
#include "gateway/embedded_files.h"

#include <event2/http.h>
#include <string.h>

#define ADMIN "/v1/modules/scaispeak/admin"

/* connect-src 'self' covers ws:/wss: to the same host and port in current
 * browsers (CSP Level 3). */
#define ADMIN_CSP                                                                               \
    "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; "    \
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " \
    "frame-ancestors 'none'"

typedef struct {
    const char *route; /* the route pattern of http_router.c */
    const char *file;  /* its embedded file */
    const char *content_type;
} admin_asset;

static const admin_asset ASSETS[] = {
    {ADMIN "/", "gateway/admin/index.html", "text/html; charset=utf-8"},
    {ADMIN "/app.js", "gateway/admin/app.js", "application/javascript; charset=utf-8"},
    {ADMIN "/style.css", "gateway/admin/style.css", "text/css; charset=utf-8"},
};

static const admin_asset *asset_of_route(const char *route)
{
    for (size_t i = 0; i < sizeof ASSETS / sizeof ASSETS[0]; i++)
        if (strcmp(ASSETS[i].route, route) == 0)
            return &ASSETS[i];
    return NULL;
}

void gw_handle_admin_asset(gw_request *r)
{
    const admin_asset *a = asset_of_route(r->route);
    const gw_embedded_file *f = a ? gw_embedded_file_find(a->file) : NULL;
    if (!f) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "the admin page was not embedded in this build", NULL);
        return;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
    if (evhttp_add_header(out, "Content-Security-Policy", ADMIN_CSP) != 0 ||
        evhttp_add_header(out, "X-Content-Type-Options", "nosniff") != 0 ||
        evhttp_add_header(out, "Referrer-Policy", "no-referrer") != 0 ||
        evhttp_add_header(out, "Cache-Control", "no-cache") != 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_reply_text(r, 200, a->content_type, (const char *)f->data, f->len);
}
