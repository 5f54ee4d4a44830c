/* The gateway process's shared context and request plumbing.
 *
 * One libevent loop owns HTTP, the async Redis connection and every request's
 * state; the HeartbeatService gRPC server runs on its own threads and writes to
 * Redis through its own synchronous connection (see heartbeat_service.c).
 *
 * A request's life: http_server.c makes a gw_request (request id, route match,
 * body checks) and walks it through the phases (request_phases.h: authenticate,
 * authorize, rate-limit, the route's handler); exactly one of them answers,
 * once, through gw_reply_json()/gw_reply_error() — synchronously or later from
 * a Redis callback. Answering frees the gw_request. */
#ifndef SS_GATEWAY_GATEWAY_H
#define SS_GATEWAY_GATEWAY_H

#include "common/api_error.h"
#include "common/config.h"
#include "common/ids.h"
#include "common/redis_async.h"
#include "gateway/openai_voices.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>

typedef struct gw_server gw_server;
typedef struct gw_request gw_request;
typedef struct gw_phase gw_phase; /* request_phases.h */

struct gw_server {
    struct event_base *base;
    const ss_settings *settings; /* filled at start, read-only after (common/settings.h) */
    ss_redis *redis;
    ss_redis_target redis_target; /* from the settings: one address or Sentinel */
    struct evhttp *http;
    struct evhttp_bound_socket *http_socket;
    struct event *accept_retry;  /* re-enables the listener after an accept() error */
    struct gw_connections *connections; /* read deadlines and the cap (http_connections.h) */
    struct jwks_cache *jwks;
    struct identity_cache *identity_cache; /* recent API-key callers (identity_cache.h); NULL = none */
    struct relay_client *relay;        /* backend B client (relay_client.h) */
    struct relay_probe *relay_probe;   /* backend B readiness (relay_probe.h) */
    struct scaidrive_client *scaidrive; /* save_to and the /scaidrive proxy (scaidrive_client.h) */
    struct node_calls *node_calls;
    struct ss_loop_pool *audio_pool;   /* encoding off the loop (common/loop_pool.h) */
    struct ss_object_store *objects;   /* references and consent clips (common/object_store.h);
                                        * blocking: used on the audio threads only */
    char operator_token[256];
    gw_openai_voices openai_voices; /* the openai_voices setting, parsed at start */
    long body_limit;
    int in_flight;          /* requests accepted whose answer is not yet fully written */
    bool draining;          /* SIGTERM seen: finishing in-flight work */
    int access_log;         /* ss_access_log_mode (access_log.h), from settings at start */
};

#define GW_MAX_PARAMS 4

/* Who is calling, once authentication ran (auth.c). */
typedef enum { CALLER_NONE = 0, CALLER_API_KEY, CALLER_JWT, CALLER_OPERATOR_TOKEN } gw_caller_kind;
typedef struct {
    gw_caller_kind kind;
    char tenant_id[64];
    char tenant_name[128];
    char user_id[64];
    char user_name[128];
    char key_id[64];
    int role;               /* ss_role */
    unsigned permissions;   /* PERM_* mask */
} gw_caller;

typedef void (*gw_handler_fn)(gw_request *r);

/* What a route requires before its handler runs (http_router.c). */
enum {
    NEED_NOTHING = 0,           /* public */
    NEED_CALLER = 1u << 8,      /* any authenticated user (key or JWT) */
    NEED_OPERATOR = 1u << 9,    /* super_admin, tenant_admin or the operator token */
    /* or any PERM_* bits (permissions.h): all of them are required */
};

struct gw_request {
    gw_server *gw;
    struct evhttp_request *req;
    char id[SS_REQUEST_ID_MAX + 1];
    const char *route;      /* route pattern, for metrics and logs */
    const char *method;     /* "GET", "POST", ... */
    char *params[GW_MAX_PARAMS]; /* decoded {placeholders} of the path */
    int nparams;
    struct evkeyvalq query;
    double started;         /* monotonic seconds */
    gw_caller caller;
    /* the phase walk (request_phases.h) */
    unsigned need;          /* NEED_* or PERM_* bits of the route */
    unsigned route_flags;   /* GW_ROUTE_* bits of the route */
    gw_handler_fn handler;  /* the route's handler, the last phase */
    const gw_phase *phases;
    size_t nphases, next_phase;
    /* Set by a handler that answers some other way than an HTTP reply (a
     * WebSocket session after its 101: ws_session.c): gw_reply_json and
     * gw_reply_text hand it the status and the envelope (NULL for a
     * non-JSON answer) instead of writing them; the hook owns body and r
     * from then on and ends with gw_request_finish(r, status). */
    void (*answer_hook)(gw_request *r, int status, json_t *body);
    void *answer_hook_user;
    /* The identity cache (identity_cache.h), for API-key callers: */
    char key_hash[65];      /* the key's SHA-256 hex ("" for other callers) */
    char identity_fp[65];   /* non-empty: r->caller came from the cache, and the route's
                             * first script must check this fingerprint (auth.c) */
    bool identity_uncached; /* authenticate reads the identity, cache or not (a re-run) */
};

/* Route flags. */
enum {
    GW_ROUTE_RATE_LIMITS_ITSELF = 1u << 0, /* the handler counts the request in its first script */
    GW_ROUTE_UPLOAD = 1u << 1,             /* bodies up to voice_upload_limit_bytes (not body_limit_bytes) */
    GW_ROUTE_VERIFIES_IDENTITY = 1u << 2,  /* an API-key caller may come from the identity cache: the
                                            * handler's first script verifies it (auth.c) */
};

/* Answers. Each takes ownership of `body`/`data` and frees r. */
void gw_reply_json(gw_request *r, int status, json_t *body);
void gw_reply_ok(gw_request *r, json_t *data);
void gw_reply_error(gw_request *r, ss_api_error e, const char *message, json_t *details);
void gw_reply_text(gw_request *r, int status, const char *content_type, const char *text,
                   size_t len);

/* For answers not sent by gw_reply_text (gateway/http_stream.c): count and
 * log the answer (status, time so far) and free r; the evhttp request is
 * untouched. */
void gw_request_finish(gw_request *r, int status);
/* Keeps gw_server.in_flight right for an answer handed to evhttp: decremented
 * when its last byte is written or its connection closes first. */
void gw_track_answer(gw_server *gw, struct evhttp_request *req);
/* Body as JSON: returns 0 with *out set (NULL for an empty body) or -1 after
 * answering 400 MALFORMED_REQUEST (with line and column). */
int gw_request_json(gw_request *r, json_t **out);
/* After a field check that counted `problems` into details (-1: out of
 * memory): false when there were none (details freed), else answers 422
 * VALIDATION_ERROR with details (or 500 out of memory) and returns true. */
bool gw_reply_field_problems(gw_request *r, int problems, json_t *details);
/* Query-string value or NULL. */
const char *gw_query(gw_request *r, const char *key);
/* A request header or NULL. */
const char *gw_header(gw_request *r, const char *name);

/* Phases (request_phases.h), in auth.c: authenticate finds who is calling
 * (fills r->caller; 401, or 503 when the key lookup cannot reach Redis);
 * authorize checks the caller against r->need (403). Each calls
 * gw_phase_next(r) when satisfied. */
void gw_authenticate(gw_request *r);
void gw_authorize(gw_request *r);
/* A caller taken from the identity cache turned out stale (`why`: its
 * fingerprint changed) or is about to be refused: forgets the entry and
 * runs r again from the authenticate phase with the cache bypassed, so the
 * answer is the one an uncached request gets. The handler's state must be
 * freed first and nothing answered. */
void gw_authenticate_again(gw_request *r, const char *why);

/* Setup, in http_server.c. */
int gw_http_start(gw_server *gw, char *err, size_t errlen);
void gw_http_stop_accepting(gw_server *gw);
/* Frees evhttp and the connection tracker (after the loop ended). */
void gw_http_free(gw_server *gw);

/* Handlers. */
void gw_handle_healthz(gw_request *r);
void gw_handle_readyz(gw_request *r);
void gw_handle_metrics(gw_request *r);
void gw_handle_openapi(gw_request *r); /* openapi.c: the embedded docs/openapi.json */
void gw_handle_admin_asset(gw_request *r); /* admin_page.c: the admin page's embedded files */
void gw_handle_nodes_list(gw_request *r);
void gw_handle_node_get(gw_request *r);
void gw_handle_node_drain(gw_request *r);
void gw_handle_node_undrain(gw_request *r);
void gw_handle_me(gw_request *r);
void gw_handle_policy_get(gw_request *r);
void gw_handle_speak(gw_request *r);
void gw_handle_blocklist_list(gw_request *r);
void gw_handle_blocklist_add(gw_request *r);
void gw_handle_blocklist_delete(gw_request *r);
void gw_handle_openai_speech(gw_request *r);
void gw_handle_ws_speak(gw_request *r); /* ws_upgrade.c */
void gw_handle_policy_put(gw_request *r);
void gw_handle_api_keys_create(gw_request *r);
void gw_handle_api_keys_list(gw_request *r);
void gw_handle_api_keys_revoke(gw_request *r);
/* the voice library (voice_routes.c) */
void gw_handle_voices_list(gw_request *r);
void gw_handle_voices_create(gw_request *r);
void gw_handle_voices_clone(gw_request *r); /* POST /voices, multipart (voice_intake.c) */
/* POST /voices in design mode from its fields as JSON (body owned): what a
 * JSON body and a multipart design form both end in (voice_routes.c);
 * form_problems (owned, may be NULL): problems the form already showed,
 * listed in the same 422 as the fields' own */
void gw_voice_create_designed(gw_request *r, json_t *body, json_t *form_problems);
void gw_handle_voice_get(gw_request *r);
void gw_handle_voice_patch(gw_request *r);
void gw_handle_voice_share(gw_request *r);
/* erasure (voice_erasure.c, erasure_audit.c) and the warm registry (warm_registry.c) */
void gw_handle_voice_delete(gw_request *r);
void gw_handle_voice_evict(gw_request *r);
void gw_handle_erasure_audit(gw_request *r);
void gw_handle_voice_warm_get(gw_request *r);
void gw_handle_voice_warm_post(gw_request *r);
void gw_handle_voice_preview(gw_request *r); /* voice_preview.c: a /speak in JSON form */
void gw_handle_voice_repromote(gw_request *r); /* voice_repromote.c */
void gw_handle_global_voice_create(gw_request *r); /* global_voices.c (super_admin) */
void gw_handle_global_voice_delete(gw_request *r);
/* the save_to folder picker (scaidrive_routes.c) */
void gw_handle_scaidrive_shares(gw_request *r);
void gw_handle_scaidrive_folders(gw_request *r);

#endif
