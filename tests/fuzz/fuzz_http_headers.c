/* libFuzzer target: request headers the gateway reads itself (libevent
 * parses the HTTP framing): the comma-separated lists of
 * gateway/http_lists.c and the WebSocket handshake check of
 * gateway/ws_upgrade.c, with the Sec-WebSocket-Accept it then computes.
 * The input is header lines "Name: value" separated by '\n'. Checked: every
 * list element is non-empty, has no comma and no surrounding white space,
 * and the walk always advances; gw_list_has agrees with a walk; a handshake
 * the check accepts has Version 13 and a key whose accept value is 28
 * base64 characters. Seeds: a browser's and Python websockets' handshakes,
 * and lists with empty elements and odd spacing. */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "gateway/http_lists.h"
#include "gateway/ws_upgrade.h"

static void walk_list(const char *value)
{
    const char *cursor = value, *e;
    size_t len, steps = 0;
    while ((e = gw_list_next(&cursor, &len))) {
        if (len == 0 || memchr(e, ',', len) || e[0] == ' ' || e[0] == '\t' || e[len - 1] == ' ' ||
            e[len - 1] == '\t' || e < value || e + len > value + strlen(value))
            __builtin_trap();
        if (++steps > strlen(value))
            __builtin_trap(); /* the walk must advance */
        /* a token equal to this element must be found by gw_list_has */
        char *tok = strndup(e, len);
        if (tok && !gw_list_has(value, tok))
            __builtin_trap();
        free(tok);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct evkeyvalq headers;
    TAILQ_INIT(&headers);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
            continue;
        *colon = 0;
        const char *value = colon + 1;
        while (*value == ' ')
            value++;
        if (evhttp_add_header(&headers, line, value) == 0)
            walk_list(value);
    }
    if (!ws_upgrade_problem(&headers)) {
        const char *version = evhttp_find_header(&headers, "Sec-WebSocket-Version");
        const char *key = evhttp_find_header(&headers, "Sec-WebSocket-Key");
        char accept[WS_ACCEPT_LEN + 1];
        if (!version || strcmp(version, "13") || !key || ws_accept_key(key, accept) != 0 ||
            strlen(accept) != WS_ACCEPT_LEN)
            __builtin_trap();
    }
    evhttp_clear_headers(&headers);
    free(text);
    return 0;
}
