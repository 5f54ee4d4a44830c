/* ScaiDrive for save_to (API.md §5): the RFC 8693 token exchange at ScaiKey
 * and the ScaiDrive calls made with the token it gives (upload a file from
 * the object store, list the caller's shares and a share's folders).
 *
 * Needs only an event_base, the settings, a loop pool and the object store,
 * so both the gateway (synchronous /speak, the /scaidrive proxy) and the
 * worker (a job's finished audio) use it; nothing here knows gw_request.
 *
 * Token exchange: POST {scaikey_token_url}, form-encoded
 *   grant_type=urn:ietf:params:oauth:grant-type:token-exchange
 *   subject_token=<caller's JWT>
 *   subject_token_type=urn:ietf:params:oauth:token-type:jwt
 *   audience=scaidrive  scope=files:write files:read
 * with HTTP Basic client authentication (scaidrive_client_id,
 * scaidrive_client_secret, each form-url-encoded as RFC 6749 §2.3.1 says).
 * 200 {access_token, issued_token_type, token_type, expires_in, scope} ->
 * SCAIDRIVE_OK; an OAuth error body {error, error_description} (or any other
 * failure: ScaiKey unreachable, a garbled answer) -> SCAIDRIVE_ERR_EXCHANGE
 * whose message carries ScaiKey's reason ("invalid_target: ...").
 *
 * ScaiDrive's protocol (tests/integration/fake_scaidrive.py plays it):
 *   POST {scaidrive_url}/api/v1/files, multipart/form-data with the fields
 *     share_id, folder_id (omitted: the share's root), name,
 *     overwrite ("true"/"false": a clash with false is 409; true adds a
 *     version to the existing file) and file (the bytes, with a filename
 *     and Content-Type) -> 201 (new file) or 200 (new version)
 *     {file_id, share_id, folder_id, name, size, version, ...};
 *   GET {scaidrive_url}/api/v1/shares -> {items:[{share_id, name, ...}], next_cursor};
 *   GET {scaidrive_url}/api/v1/shares/{id}/folders -> {items:[{folder_id, name,
 *     parent_id}], next_cursor};
 *   errors: {"error":{"code","message"}} with 401 (bad/expired token), 403
 *   (scope or share not allowed), 404, 409 (name conflict).
 * Every call sends Authorization: Bearer <exchanged token> and X-Request-Id.
 *
 * The upload streams: the object is opened and read in 64 KiB chunks on the
 * pool (the store blocks), one chunk read ahead; when curl wants bytes that
 * are not read yet the transfer pauses and resumes when the chunk arrives.
 * So memory is two chunks whatever the file's size, and the loop never
 * touches the disk.
 *
 * Contract of a call (as relay_client.h): NULL with err filled when it
 * cannot start (on_done NOT called); otherwise on_done runs exactly once,
 * later, on the loop thread, unless scaidrive_cancel() was called first.
 * The result and its strings/JSON are valid only during on_done (copy or
 * json_incref what you keep). No retries inside the client. The exchanged
 * token is a credential: never logged here (the log says "token exchanged,
 * expires in N s"), and callers must not log it either. Loop thread only.
 * scaidrive_client_free() cancels calls in flight (no on_done); free the
 * loop pool first (ss_loop_pool_free runs every outstanding job), since an
 * upload may have a read job on it. */
#ifndef SS_GATEWAY_SCAIDRIVE_CLIENT_H
#define SS_GATEWAY_SCAIDRIVE_CLIENT_H

#include "common/api_error.h"
#include "common/settings.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct ss_loop_pool;
struct ss_object_store;
typedef struct scaidrive_client scaidrive_client;
typedef struct scaidrive_call scaidrive_call;

typedef enum {
    SCAIDRIVE_OK = 0,
    SCAIDRIVE_ERR_EXCHANGE,  /* ScaiKey refused or failed the exchange -> 502 SAVE_TO_EXCHANGE_FAILED */
    SCAIDRIVE_ERR_CONFLICT,  /* upload: the name exists and overwrite was false -> 409 */
    SCAIDRIVE_ERR_NOT_FOUND, /* ScaiDrive 404 (unknown share or folder) */
    SCAIDRIVE_ERR_UPSTREAM,  /* ScaiDrive refused (401/403/4xx), failed, timed out or was unreachable -> 502 */
    SCAIDRIVE_ERR_INTERNAL,  /* ours: out of memory, the object could not be read -> 500 */
} scaidrive_status;

typedef struct {
    scaidrive_status status;
    int http_status;         /* the peer's HTTP status; 0 when none came */
    const char *message;     /* "" on success; the peer's reason otherwise */
    /* The peer's 2xx JSON answer (borrowed): the exchange's
     * {access_token, expires_in, ...}; the upload's file; a listing's
     * {items, next_cursor}. NULL on failure. */
    json_t *answer;
    /* exchange only, on success: the token (borrowed) and its lifetime */
    const char *access_token;
    long expires_in;         /* seconds; 0 when ScaiKey gave none */
} scaidrive_result;

typedef void (*scaidrive_on_done)(void *user, const scaidrive_result *res);

/* Copies what it needs from settings (scaidrive_url, scaikey_token_url,
 * scaidrive_client_id/_secret, the timeouts). A client without
 * scaidrive_url is valid and not configured: its calls fail to start. With
 * scaidrive_url set, scaikey_token_url must be set and the client secret
 * resolve (ss_credential_resolve: required unless dev_mode), else NULL with
 * err (a start-up error). pool and objects are borrowed (used by uploads). */
scaidrive_client *scaidrive_client_new(struct event_base *base, const ss_settings *settings,
                                       struct ss_loop_pool *pool, struct ss_object_store *objects,
                                       char *err, size_t errlen);
void scaidrive_client_free(scaidrive_client *c); /* NULL is fine */
/* scaidrive_url is set. */
bool scaidrive_client_configured(const scaidrive_client *c);

/* RFC 8693: the caller's JWT -> a token for ScaiDrive (scopes files:write
 * files:read). */
scaidrive_call *scaidrive_exchange(scaidrive_client *c, const char *subject_token,
                                   const char *request_id, scaidrive_on_done on_done, void *user,
                                   char *err, size_t errlen);

typedef struct {
    const char *access_token;  /* from scaidrive_exchange, required */
    const char *object_key;    /* the object to send (common/object_store.h), required */
    const char *share_id;      /* required */
    const char *folder_id;     /* NULL or "": the share's root */
    const char *name;          /* the file name in ScaiDrive, required */
    const char *content_type;  /* NULL: application/octet-stream */
    bool overwrite;
    const char *request_id;    /* X-Request-Id and logs; may be NULL */
} scaidrive_upload_req;

/* Uploads the object; on success res->answer is ScaiDrive's file and
 * scaidrive_saved_to() makes the saved_to block of it. */
scaidrive_call *scaidrive_upload(scaidrive_client *c, const scaidrive_upload_req *req,
                                 scaidrive_on_done on_done, void *user, char *err, size_t errlen);

/* GET /api/v1/shares (share_id NULL) or /api/v1/shares/{share_id}/folders. */
scaidrive_call *scaidrive_list(scaidrive_client *c, const char *access_token, const char *share_id,
                               const char *request_id, scaidrive_on_done on_done, void *user,
                               char *err, size_t errlen);

/* Stops a call in flight; its on_done is not called. NULL is ignored; from
 * inside the call's own on_done it does nothing. */
void scaidrive_cancel(scaidrive_call *call);

/* saved_to{file_id, share_id, folder_id, name, size, version?} of an
 * upload's answer (new reference), or NULL when the answer lacks file_id
 * or when out of memory. */
json_t *scaidrive_saved_to(const json_t *answer);

/* The API error a failed call becomes (API.md §5): EXCHANGE ->
 * SAVE_TO_EXCHANGE_FAILED (502), CONFLICT -> SCAIDRIVE_CONFLICT (409),
 * NOT_FOUND and UPSTREAM -> SCAIDRIVE_ERROR (502), INTERNAL ->
 * INTERNAL_ERROR (500). */
ss_api_error scaidrive_api_error(scaidrive_status st);

#endif
