/* Route table and matcher (see http_router.h).
 *
 * The table is small and static; matching is a linear scan comparing segments,
 * which for a few dozen routes costs less than parsing the request line. */
#include "gateway/http_router.h"
#include "gateway/job_routes.h"
#include "gateway/webrtc.h"
#include "gateway/openai_models.h"
#include "gateway/permissions.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "/v1/modules/scaispeak"

static const gw_route ROUTES[] = {
    {"GET", MOD "/healthz", gw_handle_healthz, NEED_NOTHING, 0},
    {"GET", MOD "/readyz", gw_handle_readyz, NEED_NOTHING, 0},
    {"GET", MOD "/openapi.json", gw_handle_openapi, NEED_NOTHING, 0},
    {"GET", MOD "/admin/", gw_handle_admin_asset, NEED_NOTHING, 0}, /* the admin page (admin_page.c) */
    {"GET", MOD "/admin/app.js", gw_handle_admin_asset, NEED_NOTHING, 0},
    {"GET", MOD "/admin/style.css", gw_handle_admin_asset, NEED_NOTHING, 0},
    {"GET", "/metrics", gw_handle_metrics, NEED_NOTHING, 0},
    {"GET", "/v1/infra/nodes", gw_handle_nodes_list, NEED_OPERATOR, 0},
    {"GET", "/v1/infra/nodes/{id}", gw_handle_node_get, NEED_OPERATOR, 0},
    {"POST", "/v1/infra/nodes/{id}/drain", gw_handle_node_drain, NEED_OPERATOR, 0},
    {"POST", "/v1/infra/nodes/{id}/undrain", gw_handle_node_undrain, NEED_OPERATOR, 0},
    {"GET", "/v1/me", gw_handle_me, NEED_CALLER, 0},
    {"POST", MOD "/speak", gw_handle_speak, PERM_SYNTHESIZE,
     GW_ROUTE_RATE_LIMITS_ITSELF | GW_ROUTE_VERIFIES_IDENTITY},
    {"GET", MOD "/speak/jobs/{id}", gw_handle_job_get, PERM_SYNTHESIZE, 0},
    {"GET", MOD "/speak/jobs/{id}/audio", gw_handle_job_audio, PERM_SYNTHESIZE, 0},
    {"DELETE", MOD "/speak/jobs/{id}", gw_handle_job_cancel, PERM_SYNTHESIZE, 0},
    {"POST", MOD "/stream/speak/webrtc/sessions", gw_handle_webrtc_session_create, PERM_SYNTHESIZE,
     GW_ROUTE_RATE_LIMITS_ITSELF},
    {"POST", MOD "/stream/speak/webrtc/sessions/{id}/ice", gw_handle_webrtc_session_ice, PERM_SYNTHESIZE, 0},
    {"DELETE", MOD "/stream/speak/webrtc/sessions/{id}", gw_handle_webrtc_session_delete, PERM_SYNTHESIZE, 0},
    {"POST", "/v1/audio/speech", gw_handle_openai_speech, PERM_SYNTHESIZE,
     GW_ROUTE_RATE_LIMITS_ITSELF | GW_ROUTE_VERIFIES_IDENTITY},
    {"GET", MOD "/stream/speak", gw_handle_ws_speak, NEED_NOTHING, 0}, /* authenticated after the upgrade */
    {"GET", MOD "/stream/speak/webrtc/sessions/{id}/control", gw_handle_webrtc_control, NEED_NOTHING, 0}, /* idem */
    {"GET", "/v1/models", gw_handle_openai_models_list, PERM_SYNTHESIZE, 0},
    {"GET", "/v1/models/{id}", gw_handle_openai_model_get, PERM_SYNTHESIZE, 0},
    {"GET", MOD "/voices", gw_handle_voices_list, PERM_VOICE_READ, 0},
    {"POST", MOD "/voices", gw_handle_voices_create, PERM_VOICE_WRITE, GW_ROUTE_UPLOAD},
    {"GET", MOD "/voices/{id}", gw_handle_voice_get, PERM_VOICE_READ, 0},
    {"PATCH", MOD "/voices/{id}", gw_handle_voice_patch, PERM_VOICE_WRITE, 0},
    {"POST", MOD "/voices/{id}/share", gw_handle_voice_share, PERM_VOICE_SHARE, 0},
    {"DELETE", MOD "/voices/{id}", gw_handle_voice_delete, PERM_VOICE_WRITE, 0},
    {"POST", MOD "/voices/{id}/evict", gw_handle_voice_evict, PERM_VOICE_WRITE, 0},
    {"POST", MOD "/voices/{id}/repromote", gw_handle_voice_repromote, PERM_VOICE_WRITE, 0},
    {"POST", MOD "/voices/{id}/preview", gw_handle_voice_preview, PERM_SYNTHESIZE, GW_ROUTE_RATE_LIMITS_ITSELF},
    {"GET", MOD "/voices/{id}/warm", gw_handle_voice_warm_get, PERM_VOICE_READ, 0},
    {"POST", MOD "/voices/{id}/warm", gw_handle_voice_warm_post, PERM_VOICE_WRITE, 0},
    {"GET", MOD "/admin/erasure/audit", gw_handle_erasure_audit, PERM_ADMIN, 0},
    {"POST", MOD "/admin/voices/global", gw_handle_global_voice_create, NEED_OPERATOR, 0},
    {"DELETE", MOD "/admin/voices/global/{id}", gw_handle_global_voice_delete, NEED_OPERATOR, 0},
    {"GET", MOD "/admin/policy", gw_handle_policy_get, PERM_SYNTHESIZE, 0},
    {"PUT", MOD "/admin/policy", gw_handle_policy_put, PERM_ADMIN, 0},
    {"GET", MOD "/admin/blocklist", gw_handle_blocklist_list, PERM_ADMIN, 0},
    {"POST", MOD "/admin/blocklist", gw_handle_blocklist_add, PERM_ADMIN, 0},
    {"DELETE", MOD "/admin/blocklist/{id}", gw_handle_blocklist_delete, PERM_ADMIN, 0},
    {"GET", MOD "/scaidrive/shares", gw_handle_scaidrive_shares, PERM_SYNTHESIZE, 0},
    {"GET", MOD "/scaidrive/shares/{id}/folders", gw_handle_scaidrive_folders, PERM_SYNTHESIZE, 0},
    {"POST", "/v1/api-keys", gw_handle_api_keys_create, NEED_CALLER, 0},
    {"GET", "/v1/api-keys", gw_handle_api_keys_list, NEED_CALLER, 0},
    {"DELETE", "/v1/api-keys/{id}", gw_handle_api_keys_revoke, NEED_CALLER, 0},
};

const gw_route *gw_routes(size_t *count)
{
    *count = sizeof ROUTES / sizeof ROUTES[0];
    return ROUTES;
}

void gw_routes_print(FILE *out)
{
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        fprintf(out, "%s %s\n", ROUTES[i].method, ROUTES[i].pattern);
}

/* Next segment of *p (skipping one leading '/'); returns its length, or -1 at
 * the end of the path. */
static long next_segment(const char **p, const char **seg)
{
    if (**p == '\0')
        return -1;
    if (**p == '/')
        (*p)++;
    *seg = *p;
    while (**p && **p != '/')
        (*p)++;
    return *p - *seg;
}

static bool match_one(const char *pattern, const char *path, char **params, int *nparams)
{
    const char *pp = pattern, *tp = path;
    int n = 0;
    for (;;) {
        const char *ps = NULL, *ts = NULL;
        long pl = next_segment(&pp, &ps);
        long tl = next_segment(&tp, &ts);
        if (pl < 0 || tl < 0) {
            if (pl < 0 && tl < 0) {
                *nparams = n;
                return true;
            }
            break;
        }
        if (pl > 2 && ps[0] == '{' && ps[pl - 1] == '}') {
            if (tl == 0 || n >= GW_MAX_PARAMS)
                break;
            char *raw = strndup(ts, (size_t)tl);
            char *dec = raw ? evhttp_uridecode(raw, 0, NULL) : NULL;
            free(raw);
            if (!dec)
                break;
            params[n++] = dec;
        } else if (pl != tl || memcmp(ps, ts, (size_t)pl) != 0) {
            break;
        }
    }
    for (int i = 0; i < n; i++) {
        free(params[i]);
        params[i] = NULL;
    }
    return false;
}

gw_route_result gw_route_match(const char *method, const char *path, const gw_route **route,
                               char **params, int *nparams, char *allow, size_t allow_len)
{
    size_t used = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        char *tmp[GW_MAX_PARAMS] = {0};
        int n = 0;
        if (!match_one(ROUTES[i].pattern, path, tmp, &n))
            continue;
        if (strcmp(ROUTES[i].method, method) == 0) {
            memcpy(params, tmp, sizeof tmp);
            *nparams = n;
            *route = &ROUTES[i];
            return GW_ROUTE_FOUND;
        }
        for (int k = 0; k < n; k++)
            free(tmp[k]);
        if (!strstr(allow, ROUTES[i].method) && used + 10 < allow_len)
            used += (size_t)snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "",
                                     ROUTES[i].method);
    }
    return used ? GW_ROUTE_WRONG_METHOD : GW_ROUTE_NONE;
}
