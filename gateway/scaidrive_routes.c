/* GET /v1/modules/scaispeak/scaidrive/shares and
 * GET /v1/modules/scaispeak/scaidrive/shares/{id}/folders (API.md §5): the
 * folder picker of save_to. Each request exchanges the caller's JWT at
 * ScaiKey (speak_save_token: 404 SCAIDRIVE_NOT_AVAILABLE when ScaiDrive is
 * not configured, 400 SAVE_TO_REQUIRES_JWT for an API key, 502
 * SAVE_TO_EXCHANGE_FAILED) and lists with the exchanged token; the answer
 * is ScaiDrive's {items, next_cursor} in our envelope. No token cache: one
 * exchange per listing keeps the token's life to the request (a picker
 * makes a few calls; ScaiKey answers in milliseconds). ScaiDrive's
 * refusals and failures are 502 SCAISPEAK_SCAIDRIVE_ERROR with its reason. */
#include "gateway/gateway.h"
#include "gateway/scaidrive_client.h"
#include "gateway/speak_save.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_request *r;
    char share_id[160];       /* "" = list the shares */
} listing;

static void on_listed(void *user, const scaidrive_result *res)
{
    listing *l = user;
    if (res->status != SCAIDRIVE_OK) {
        gw_reply_error(l->r, scaidrive_api_error(res->status), res->message, NULL);
        free(l);
        return;
    }
    json_t *items = json_object_get(res->answer, "items");
    json_t *next = json_object_get(res->answer, "next_cursor");
    if (!json_is_array(items)) {
        gw_reply_error(l->r, SS_ERR_SCAIDRIVE_ERROR, "ScaiDrive's listing has no items", NULL);
        free(l);
        return;
    }
    json_t *data = json_pack("{s:O,s:O}", "items", items, "next_cursor", next ? next : json_null());
    if (!data)
        gw_reply_error(l->r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    else
        gw_reply_ok(l->r, data);
    free(l);
}

static void on_token(void *user, ss_api_error e, const char *message, const char *token)
{
    listing *l = user;
    if (e) {
        gw_reply_error(l->r, e, message, NULL);
        free(l);
        return;
    }
    char err[256];
    if (!scaidrive_list(l->r->gw->scaidrive, token, l->share_id[0] ? l->share_id : NULL, l->r->id,
                        on_listed, l, err, sizeof err)) {
        gw_reply_error(l->r, SS_ERR_INTERNAL_ERROR, err, NULL);
        free(l);
    }
}

static void list(gw_request *r, const char *share_id)
{
    listing *l = calloc(1, sizeof *l);
    if (!l) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    l->r = r;
    if (share_id && strlen(share_id) >= sizeof l->share_id) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the share id is too long",
                       json_pack("[{s:s,s:s}]", "field", "id", "message", "is too long"));
        free(l);
        return;
    }
    snprintf(l->share_id, sizeof l->share_id, "%s", share_id ? share_id : "");
    speak_save_token(r, on_token, l);
}

void gw_handle_scaidrive_shares(gw_request *r)
{
    list(r, NULL);
}

void gw_handle_scaidrive_folders(gw_request *r)
{
    list(r, r->params[0]);
}
