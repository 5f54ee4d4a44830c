/* libFuzzer target: the gateway's route matcher (gateway/http_router.c) on
 * method and path bytes as a client sends them: "METHOD PATH" up to the
 * first space (no space: the whole input is a GET path). Percent-decoded
 * placeholders are freed as http_server.c frees them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http_router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *method = "GET", *path = text;
    char *sp = strchr(text, ' ');
    if (sp) {
        *sp = '\0';
        method = text;
        path = sp + 1;
    }
    const gw_route *route = NULL;
    char *params[GW_MAX_PARAMS] = {0};
    int nparams = 0;
    char allow[64];
    gw_route_result r = gw_route_match(method, path, &route, params, &nparams, allow, sizeof allow);
    if (r == GW_ROUTE_FOUND && (!route || nparams < 0 || nparams > GW_MAX_PARAMS))
        __builtin_trap();
    for (int i = 0; i < nparams && i < GW_MAX_PARAMS; i++)
        free(params[i]);
    free(text);
    return 0;
}
