/* Unit tests for gateway/ws_upgrade: the RFC 6455 accept key and the
 * handshake header checks. */
#include "gateway/ws_upgrade.h"

#include <criterion/criterion.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

Test(ws_upgrade, accept_key_of_the_rfc_example)
{
    char out[WS_ACCEPT_LEN + 1];
    cr_assert_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
    cr_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char *problem(const char *upgrade, const char *connection, const char *version, const char *key)
{
    static struct evkeyvalq h;
    TAILQ_INIT(&h);
    if (upgrade)
        evhttp_add_header(&h, "Upgrade", upgrade);
    if (connection)
        evhttp_add_header(&h, "Connection", connection);
    if (version)
        evhttp_add_header(&h, "Sec-WebSocket-Version", version);
    if (key)
        evhttp_add_header(&h, "Sec-WebSocket-Key", key);
    const char *p = ws_upgrade_problem(&h);
    evhttp_clear_headers(&h);
    return p;
}

Test(ws_upgrade, headers_checked_as_tokens)
{
    const char *k = "dGhlIHNhbXBsZSBub25jZQ==";
    cr_assert_null(problem("websocket", "Upgrade", "13", k));
    cr_assert_null(problem("WebSocket", "keep-alive, Upgrade", "13", k));
    cr_assert_not_null(problem(NULL, "Upgrade", "13", k));
    cr_assert_not_null(problem("h2c", "Upgrade", "13", k));
    cr_assert_not_null(problem("websocket", "keep-alive", "13", k));
    cr_assert_not_null(problem("websocket", "Upgrade", "8", k));
    cr_assert_not_null(problem("websocket", "Upgrade", "13", "short"));
    cr_assert_not_null(problem("websocket", "Upgrade", "13", "!!!!!!!!!!!!!!!!!!!!!!=="));
}
