/* ScaiDrive and ScaiKey's token exchange (see scaidrive_client.h).
 *
 * One curl multi handle (common/curl_loop.h) carries every call. A call is
 * one easy handle; its answer body is kept (at most ANSWER_MAX bytes) and
 * parsed with jansson when the transfer ends. An upload first opens its
 * object on the pool (stat + first chunk), then starts the transfer with a
 * mime part of the object's size whose read callback hands out the chunk
 * read ahead and, when it runs dry, answers CURL_READFUNC_PAUSE; the pool's
 * next chunk resumes it (curl_easy_pause from the loop). A call with a pool
 * job in flight is not freed when cancelled: the job's done frees it.
 *
 * Re-entrancy as relay_client.c: a cancel from inside curl only marks the
 * call; the curl loop's `after` frees it. */
#include "gateway/scaidrive_client.h"

#include "common/curl_loop.h"
#include "common/log.h"
#include "common/loop_pool.h"
#include "common/node_credentials.h"
#include "common/object_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ANSWER_MAX = 1 << 20, CHUNK = 64 * 1024 };

#define GRANT_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define TOKEN_TYPE_JWT "urn:ietf:params:oauth:token-type:jwt"
#define EXCHANGE_AUDIENCE "scaidrive"
#define EXCHANGE_SCOPE "files:write files:read"

typedef enum { CALL_EXCHANGE, CALL_UPLOAD, CALL_LIST } call_kind;

struct scaidrive_client {
    ss_curl_loop *loop;
    struct ss_loop_pool *pool;
    struct ss_object_store *objects;
    char *drive_url;          /* without trailing slashes; "" = not configured */
    char *token_url;
    char *client_id, *client_secret;
    long exchange_timeout_ms, drive_timeout_ms;
    scaidrive_call *calls;
};

/* The upload's source: two chunk buffers (one handed to curl, one read ahead). */
typedef struct {
    char key[SS_OBJECT_KEY_MAX + 1];
    ss_object_reader *reader;
    uint64_t size;
    uint8_t *cur, *next;
    size_t cur_len, cur_off, next_len;
    bool next_ready, eof, job_in_flight, paused;
    ss_object_status st;      /* of the pool job */
    char err[256];
} upload_source;

struct scaidrive_call {
    scaidrive_client *c;
    call_kind kind;
    CURL *easy;
    struct curl_slist *headers;
    curl_mime *mime;
    char *post_body;
    char *answer;
    size_t answer_len;
    bool answer_truncated;
    upload_source *src;
    char *url;
    scaidrive_upload_req up;  /* copies (strings owned: up_strings) */
    char *up_strings[7];
    scaidrive_on_done on_done;
    void *user;
    char request_id[72];
    char curl_err[CURL_ERROR_SIZE];
    bool cancelled, finishing, started;
    scaidrive_call *prev, *next;
};

/* ---- calls: bookkeeping ---- */

static void source_free(upload_source *s)
{
    if (!s)
        return;
    ss_object_close(s->reader);
    free(s->cur);
    free(s->next);
    free(s);
}

static void call_free(scaidrive_call *call)
{
    scaidrive_client *c = call->c;
    if (call->prev)
        call->prev->next = call->next;
    else if (c->calls == call)
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    if (call->easy) {
        if (call->started)
            ss_curl_loop_remove(c->loop, call->easy);
        curl_easy_cleanup(call->easy);
    }
    curl_mime_free(call->mime);
    curl_slist_free_all(call->headers);
    free(call->post_body);
    free(call->answer);
    free(call->url);
    source_free(call->src);
    for (size_t i = 0; i < sizeof call->up_strings / sizeof call->up_strings[0]; i++)
        free(call->up_strings[i]);
    free(call);
}

static scaidrive_call *call_new(scaidrive_client *c, call_kind kind, const char *request_id,
                                scaidrive_on_done on_done, void *user)
{
    scaidrive_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->c = c;
    call->kind = kind;
    call->on_done = on_done;
    call->user = user;
    snprintf(call->request_id, sizeof call->request_id, "%s", request_id ? request_id : "");
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    return call;
}

static const char *rid(const scaidrive_call *call)
{
    return call->request_id[0] ? call->request_id : NULL;
}

/* Frees an ended call, or leaves that to the read-ahead job still on the
 * pool (a server that answers before the whole upload was sent, e.g. 401):
 * its done (chunk_read) frees a call marked cancelled. */
static void call_release(scaidrive_call *call)
{
    if (call->src && call->src->job_in_flight) {
        call->cancelled = true;
        return;
    }
    call_free(call);
}

/* Ends a call with a result made here (not from a transfer). */
static void deliver(scaidrive_call *call, scaidrive_result *res)
{
    call->finishing = true;
    call->on_done(call->user, res);
    call_release(call);
}

static void deliver_error(scaidrive_call *call, scaidrive_status st, const char *message)
{
    scaidrive_result res = {.status = st, .message = message};
    deliver(call, &res);
}

/* ---- answers ---- */

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
    scaidrive_call *call = arg;
    size_t len = size * n;
    if (call->cancelled)
        return 0;
    size_t room = ANSWER_MAX - call->answer_len;
    size_t take = len < room ? len : room;
    if (take < len)
        call->answer_truncated = true;
    if (take) {
        char *g = realloc(call->answer, call->answer_len + take + 1);
        if (!g)
            return 0; /* aborts: reported as a transfer failure */
        call->answer = g;
        memcpy(call->answer + call->answer_len, buf, take);
        call->answer_len += take;
        call->answer[call->answer_len] = '\0';
    }
    return len;
}

/* The peer's reason: OAuth's {error, error_description}, ScaiDrive's
 * {"error":{"code","message"}}, or the body's first line. */
static void peer_reason(const scaidrive_call *call, json_t *j, char *out, size_t cap)
{
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(e);
    const char *desc = json_string_value(json_object_get(j, "error_description"));
    if (json_is_object(e)) {
        code = json_string_value(json_object_get(e, "code"));
        desc = json_string_value(json_object_get(e, "message"));
    }
    if (code && desc)
        snprintf(out, cap, "%s: %s", code, desc);
    else if (code || desc)
        snprintf(out, cap, "%s", code ? code : desc);
    else if (call->answer_len) {
        size_t k = strcspn(call->answer, "\r\n");
        snprintf(out, cap, "%.*s", (int)(k < 200 ? k : 200), call->answer);
    } else
        snprintf(out, cap, "no explanation given");
}

static scaidrive_status status_of_refusal(call_kind kind, long http)
{
    if (kind == CALL_EXCHANGE)
        return SCAIDRIVE_ERR_EXCHANGE;
    if (http == 409 && kind == CALL_UPLOAD)
        return SCAIDRIVE_ERR_CONFLICT;
    if (http == 404)
        return SCAIDRIVE_ERR_NOT_FOUND;
    return SCAIDRIVE_ERR_UPSTREAM;
}

static const char *peer_name(call_kind kind)
{
    return kind == CALL_EXCHANGE ? "ScaiKey" : "ScaiDrive";
}

static void finish_transfer(scaidrive_call *call, CURLcode rc)
{
    long http = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &http);
    char msg[600];
    scaidrive_result res = {.http_status = (int)http, .message = msg};
    json_t *j = call->answer_len && !call->answer_truncated
                    ? json_loadb(call->answer, call->answer_len, 0, NULL) : NULL;
    if (call->src && call->src->st != SS_OBJECT_OK) {
        res.status = SCAIDRIVE_ERR_INTERNAL;
        snprintf(msg, sizeof msg, "reading the audio to upload failed: %s", call->src->err);
    } else if (rc != CURLE_OK && http == 0) {
        res.status = call->kind == CALL_EXCHANGE ? SCAIDRIVE_ERR_EXCHANGE : SCAIDRIVE_ERR_UPSTREAM;
        snprintf(msg, sizeof msg, "%s could not be reached: %s%s%s", peer_name(call->kind),
                 curl_easy_strerror(rc), call->curl_err[0] ? ": " : "", call->curl_err);
    } else if (http < 200 || http >= 300) {
        char why[400];
        peer_reason(call, j, why, sizeof why);
        res.status = status_of_refusal(call->kind, http);
        snprintf(msg, sizeof msg, "%s refused (HTTP %ld): %s", peer_name(call->kind), http, why);
    } else if (rc != CURLE_OK || !json_is_object(j)) {
        res.status = call->kind == CALL_EXCHANGE ? SCAIDRIVE_ERR_EXCHANGE : SCAIDRIVE_ERR_UPSTREAM;
        snprintf(msg, sizeof msg, "%s's answer is not a JSON object%s%s", peer_name(call->kind),
                 rc != CURLE_OK ? ": " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "");
    } else {
        res.status = SCAIDRIVE_OK;
        res.answer = j;
        msg[0] = '\0';
        if (call->kind == CALL_EXCHANGE) {
            res.access_token = json_string_value(json_object_get(j, "access_token"));
            res.expires_in = (long)json_integer_value(json_object_get(j, "expires_in"));
            if (!res.access_token || !*res.access_token) {
                res.status = SCAIDRIVE_ERR_EXCHANGE;
                res.answer = NULL;
                snprintf(msg, sizeof msg, "ScaiKey's answer has no access_token");
            }
        }
    }
    if (res.status == SCAIDRIVE_OK && call->kind == CALL_EXCHANGE)
        ss_info(rid(call), "token exchanged for ScaiDrive, expires in %ld s", res.expires_in);
    else if (res.status != SCAIDRIVE_OK)
        ss_warn(rid(call), "%s", msg);
    call->finishing = true;
    call->on_done(call->user, &res);
    json_decref(j);
    call_release(call);
}

static void on_transfer_done(void *owner, CURL *easy, CURLcode rc)
{
    (void)owner;
    scaidrive_call *call = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
    if (call->cancelled) {
        if (!(call->src && call->src->job_in_flight))
            call_free(call);
        return;
    }
    finish_transfer(call, rc);
}

static void sweep_cancelled(void *owner)
{
    scaidrive_client *c = owner;
    scaidrive_call *call = c->calls;
    while (call) {
        scaidrive_call *next = call->next;
        if (call->cancelled && !(call->src && call->src->job_in_flight))
            call_free(call);
        call = next;
    }
}

/* ---- transfers ---- */

static int header_add(scaidrive_call *call, const char *fmt, const char *value)
{
    char line[8300];
    if (snprintf(line, sizeof line, fmt, value) >= (int)sizeof line)
        return -1;
    struct curl_slist *h = curl_slist_append(call->headers, line);
    if (!h)
        return -1;
    call->headers = h;
    return 0;
}

/* The easy handle of a call with its URL, timeout and common headers. */
static int transfer_setup(scaidrive_call *call, const char *url, long timeout_ms, const char *bearer)
{
    call->url = strdup(url);
    call->easy = curl_easy_init();
    if (!call->url || !call->easy)
        return -1;
    if (header_add(call, "%s", "Expect:") != 0 || header_add(call, "%s", "Accept: application/json") != 0)
        return -1;
    if (call->request_id[0] && header_add(call, "X-Request-Id: %s", call->request_id) != 0)
        return -1;
    if (bearer && header_add(call, "Authorization: Bearer %s", bearer) != 0)
        return -1;
    CURL *e = call->easy;
    curl_easy_setopt(e, CURLOPT_URL, call->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    return 0;
}

static int transfer_start(scaidrive_call *call, char *err, size_t errlen)
{
    curl_easy_setopt(call->easy, CURLOPT_HTTPHEADER, call->headers);
    if (ss_curl_loop_add(call->c->loop, call->easy, err, errlen) != 0)
        return -1;
    call->started = true;
    return 0;
}

/* ---- the token exchange ---- */

static int form_add(CURL *e, char **body, size_t *len, const char *name, const char *value)
{
    char *v = curl_easy_escape(e, value, 0);
    if (!v)
        return -1;
    size_t add = strlen(name) + strlen(v) + 2;
    char *g = realloc(*body, *len + add + 1);
    if (!g) {
        curl_free(v);
        return -1;
    }
    *body = g;
    *len += (size_t)snprintf(*body + *len, add + 1, "%s%s=%s", *len ? "&" : "", name, v);
    curl_free(v);
    return 0;
}

scaidrive_call *scaidrive_exchange(scaidrive_client *c, const char *subject_token,
                                   const char *request_id, scaidrive_on_done on_done, void *user,
                                   char *err, size_t errlen)
{
    if (!scaidrive_client_configured(c)) {
        snprintf(err, errlen, "ScaiDrive is not configured (scaidrive_url is empty)");
        return NULL;
    }
    if (!subject_token || !*subject_token || !on_done) {
        snprintf(err, errlen, "the token exchange needs a subject token and on_done");
        return NULL;
    }
    scaidrive_call *call = call_new(c, CALL_EXCHANGE, request_id, on_done, user);
    if (!call) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t len = 0;
    char *id = NULL, *secret = NULL;
    if (transfer_setup(call, c->token_url, c->exchange_timeout_ms, NULL) != 0 ||
        header_add(call, "%s", "Content-Type: application/x-www-form-urlencoded") != 0 ||
        form_add(call->easy, &call->post_body, &len, "grant_type", GRANT_TOKEN_EXCHANGE) != 0 ||
        form_add(call->easy, &call->post_body, &len, "subject_token", subject_token) != 0 ||
        form_add(call->easy, &call->post_body, &len, "subject_token_type", TOKEN_TYPE_JWT) != 0 ||
        form_add(call->easy, &call->post_body, &len, "audience", EXCHANGE_AUDIENCE) != 0 ||
        form_add(call->easy, &call->post_body, &len, "scope", EXCHANGE_SCOPE) != 0 ||
        !(id = curl_easy_escape(call->easy, c->client_id, 0)) ||
        !(secret = curl_easy_escape(call->easy, c->client_secret, 0))) {
        curl_free(id);
        snprintf(err, errlen, "out of memory");
        call_free(call);
        return NULL;
    }
    curl_easy_setopt(call->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(call->easy, CURLOPT_USERNAME, id);
    curl_easy_setopt(call->easy, CURLOPT_PASSWORD, secret); /* curl copies both */
    curl_free(id);
    curl_free(secret);
    curl_easy_setopt(call->easy, CURLOPT_POSTFIELDS, call->post_body);
    curl_easy_setopt(call->easy, CURLOPT_POSTFIELDSIZE, (long)len);
    if (transfer_start(call, err, errlen) != 0) {
        call_free(call);
        return NULL;
    }
    return call;
}

/* ---- listings ---- */

scaidrive_call *scaidrive_list(scaidrive_client *c, const char *access_token, const char *share_id,
                               const char *request_id, scaidrive_on_done on_done, void *user,
                               char *err, size_t errlen)
{
    if (!scaidrive_client_configured(c) || !access_token || !on_done) {
        snprintf(err, errlen, "ScaiDrive is not configured, or no token");
        return NULL;
    }
    scaidrive_call *call = call_new(c, CALL_LIST, request_id, on_done, user);
    char *id = NULL, *url = NULL;
    size_t cap = strlen(c->drive_url) + 64;
    if (call && share_id) {
        id = curl_easy_escape(NULL, share_id, 0);
        cap += id ? strlen(id) : 0;
    }
    url = call && (!share_id || id) ? malloc(cap) : NULL;
    if (url) {
        if (share_id)
            snprintf(url, cap, "%s/api/v1/shares/%s/folders", c->drive_url, id);
        else
            snprintf(url, cap, "%s/api/v1/shares", c->drive_url);
    }
    curl_free(id);
    if (!url || transfer_setup(call, url, c->drive_timeout_ms, access_token) != 0 ||
        transfer_start(call, err, errlen) != 0) {
        if (!url || !call)
            snprintf(err, errlen, "out of memory");
        free(url);
        if (call)
            call_free(call);
        return NULL;
    }
    free(url);
    return call;
}

/* ---- the upload ---- */

/* Pool thread: opens the object (first job) and reads the next chunk into
 * s->next; touches only the job's fields (reader, size, next, next_len, st,
 * err) while job_in_flight. A chunk of 0 bytes is the end. */
static void read_chunk(void *arg)
{
    scaidrive_call *call = arg;
    upload_source *s = call->src;
    if (!s->reader) {
        s->st = ss_object_open(call->c->objects, s->key, &s->reader, &s->size, s->err, sizeof s->err);
        if (s->st != SS_OBJECT_OK)
            return;
    }
    size_t got = 0;
    s->st = ss_object_read(s->reader, s->next, CHUNK, &got, s->err, sizeof s->err);
    s->next_len = got;
}

static void chunk_read(void *arg) /* loop */
{
    scaidrive_call *call = arg;
    upload_source *s = call->src;
    s->job_in_flight = false;
    if (call->cancelled) {
        call_free(call); /* a pool done never runs inside curl */
        return;
    }
    s->next_ready = true;
    if (s->paused) {
        s->paused = false;
        curl_easy_pause(call->easy, CURLPAUSE_CONT);
    }
}

static void read_ahead(scaidrive_call *call)
{
    upload_source *s = call->src;
    if (s->job_in_flight || s->next_ready || s->eof)
        return;
    s->job_in_flight = true;
    if (ss_loop_pool_submit(call->c->pool, read_chunk, chunk_read, call) != 0) {
        s->job_in_flight = false;
        s->st = SS_OBJECT_NO_MEMORY;
        snprintf(s->err, sizeof s->err, "out of memory");
        s->next_ready = true;
    }
}

/* curl wants file bytes (inside curl). */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    scaidrive_call *call = arg;
    upload_source *s = call->src;
    size_t cap = size * n;
    if (call->cancelled)
        return CURL_READFUNC_ABORT;
    if (s->cur_off == s->cur_len) {
        if (s->eof)
            return 0;
        if (!s->next_ready) {
            read_ahead(call);
            s->paused = true;
            return CURL_READFUNC_PAUSE;
        }
        if (s->st != SS_OBJECT_OK)
            return CURL_READFUNC_ABORT; /* finish_transfer reports s->err */
        if (s->next_len == 0) {
            s->eof = true;
            return 0;
        }
        uint8_t *t = s->cur;
        s->cur = s->next;
        s->next = t;
        s->cur_len = s->next_len;
        s->cur_off = 0;
        s->next_ready = false;
    }
    size_t take = s->cur_len - s->cur_off < cap ? s->cur_len - s->cur_off : cap;
    memcpy(buf, s->cur + s->cur_off, take);
    s->cur_off += take;
    read_ahead(call);
    return take;
}

static int mime_text(curl_mime *m, const char *name, const char *value)
{
    curl_mimepart *p = curl_mime_addpart(m);
    return p && curl_mime_name(p, name) == CURLE_OK &&
                   curl_mime_data(p, value, CURL_ZERO_TERMINATED) == CURLE_OK
               ? 0 : -1;
}

/* The object is open and its first chunk read: build the form and go. */
static void upload_opened(void *arg) /* loop */
{
    scaidrive_call *call = arg;
    upload_source *s = call->src;
    s->job_in_flight = false;
    if (call->cancelled) {
        call_free(call);
        return;
    }
    if (s->st != SS_OBJECT_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "reading the audio to upload failed: %s", s->err);
        ss_warn(rid(call), "%s", msg);
        deliver_error(call, SCAIDRIVE_ERR_INTERNAL, msg);
        return;
    }
    s->next_ready = true; /* the first chunk */
    const scaidrive_upload_req *u = &call->up;
    char url[1200], err[256];
    snprintf(url, sizeof url, "%s/api/v1/files", call->c->drive_url);
    curl_mimepart *file = NULL;
    int bad = transfer_setup(call, url, call->c->drive_timeout_ms, u->access_token) != 0 ||
              !(call->mime = curl_mime_init(call->easy)) ||
              mime_text(call->mime, "share_id", u->share_id) != 0 ||
              (u->folder_id && *u->folder_id && mime_text(call->mime, "folder_id", u->folder_id) != 0) ||
              mime_text(call->mime, "name", u->name) != 0 ||
              mime_text(call->mime, "overwrite", u->overwrite ? "true" : "false") != 0 ||
              !(file = curl_mime_addpart(call->mime)) || curl_mime_name(file, "file") != CURLE_OK ||
              curl_mime_filename(file, u->name) != CURLE_OK ||
              curl_mime_type(file, u->content_type) != CURLE_OK ||
              curl_mime_data_cb(file, (curl_off_t)s->size, on_read, NULL, NULL, call) != CURLE_OK;
    if (bad) {
        deliver_error(call, SCAIDRIVE_ERR_INTERNAL, "out of memory");
        return;
    }
    curl_easy_setopt(call->easy, CURLOPT_MIMEPOST, call->mime);
    if (transfer_start(call, err, sizeof err) != 0) {
        deliver_error(call, SCAIDRIVE_ERR_INTERNAL, err);
        return;
    }
    ss_info(rid(call), "uploading %llu bytes to ScaiDrive share %s as \"%s\"",
            (unsigned long long)s->size, u->share_id, u->name);
}

static int copy_field(scaidrive_call *call, int i, const char *v, const char **dst)
{
    if (!v) {
        *dst = NULL;
        return 0;
    }
    call->up_strings[i] = strdup(v);
    *dst = call->up_strings[i];
    return *dst ? 0 : -1;
}

scaidrive_call *scaidrive_upload(scaidrive_client *c, const scaidrive_upload_req *req,
                                 scaidrive_on_done on_done, void *user, char *err, size_t errlen)
{
    if (!scaidrive_client_configured(c)) {
        snprintf(err, errlen, "ScaiDrive is not configured (scaidrive_url is empty)");
        return NULL;
    }
    if (!req || !on_done || !req->access_token || !req->object_key || !req->share_id || !req->name ||
        strlen(req->object_key) > SS_OBJECT_KEY_MAX) {
        snprintf(err, errlen, "an upload needs a token, an object key, a share id, a name and on_done");
        return NULL;
    }
    scaidrive_call *call = call_new(c, CALL_UPLOAD, req->request_id, on_done, user);
    upload_source *s = call ? calloc(1, sizeof *s) : NULL;
    if (call)
        call->src = s;
    scaidrive_upload_req *u = call ? &call->up : NULL;
    if (!s || (s->cur = malloc(CHUNK)) == NULL || (s->next = malloc(CHUNK)) == NULL ||
        copy_field(call, 0, req->access_token, &u->access_token) != 0 ||
        copy_field(call, 1, req->object_key, &u->object_key) != 0 ||
        copy_field(call, 2, req->share_id, &u->share_id) != 0 ||
        copy_field(call, 3, req->folder_id, &u->folder_id) != 0 ||
        copy_field(call, 4, req->name, &u->name) != 0 ||
        copy_field(call, 5, req->content_type ? req->content_type : "application/octet-stream",
                   &u->content_type) != 0) {
        snprintf(err, errlen, "out of memory");
        if (call)
            call_free(call);
        return NULL;
    }
    u->overwrite = req->overwrite;
    snprintf(s->key, sizeof s->key, "%s", req->object_key);
    s->job_in_flight = true;
    if (ss_loop_pool_submit(c->pool, read_chunk, upload_opened, call) != 0) {
        snprintf(err, errlen, "out of memory");
        call_free(call);
        return NULL;
    }
    return call;
}

json_t *scaidrive_saved_to(const json_t *a)
{
    json_t *file_id = json_object_get(a, "file_id");
    if (!json_is_string(file_id))
        return NULL;
    json_t *folder = json_object_get(a, "folder_id");
    json_t *out = json_pack("{s:O,s:O,s:O,s:O,s:O}", "file_id", file_id, "share_id",
                            json_object_get(a, "share_id") ? json_object_get(a, "share_id") : json_null(),
                            "folder_id", folder ? folder : json_null(), "name",
                            json_object_get(a, "name") ? json_object_get(a, "name") : json_null(),
                            "size", json_object_get(a, "size") ? json_object_get(a, "size") : json_null());
    if (out && json_object_get(a, "version"))
        json_object_set(out, "version", json_object_get(a, "version"));
    return out;
}

ss_api_error scaidrive_api_error(scaidrive_status st)
{
    switch (st) {
    case SCAIDRIVE_ERR_EXCHANGE: return SS_ERR_SAVE_TO_EXCHANGE_FAILED;
    case SCAIDRIVE_ERR_CONFLICT: return SS_ERR_SCAIDRIVE_CONFLICT;
    case SCAIDRIVE_ERR_NOT_FOUND:
    case SCAIDRIVE_ERR_UPSTREAM: return SS_ERR_SCAIDRIVE_ERROR;
    case SCAIDRIVE_OK:
    case SCAIDRIVE_ERR_INTERNAL: break;
    }
    return SS_ERR_INTERNAL_ERROR;
}

/* ---- cancel, client ---- */

void scaidrive_cancel(scaidrive_call *call)
{
    if (!call || call->finishing || call->cancelled)
        return;
    call->cancelled = true;
    if (call->src && call->src->job_in_flight)
        return; /* the pool job's done frees it */
    if (!call->started || !ss_curl_loop_in_curl(call->c->loop))
        call_free(call);
}

bool scaidrive_client_configured(const scaidrive_client *c)
{
    return c && c->drive_url[0];
}

static char *trimmed_copy(const char *url)
{
    char *s = strdup(url);
    if (s) {
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '/')
            s[--n] = '\0';
    }
    return s;
}

scaidrive_client *scaidrive_client_new(struct event_base *base, const ss_settings *settings,
                                       struct ss_loop_pool *pool, struct ss_object_store *objects,
                                       char *err, size_t errlen)
{
    const char *secret = settings->scaidrive_client_secret;
    if (*settings->scaidrive_url) {
        if (!*settings->scaikey_token_url) {
            snprintf(err, errlen, "scaidrive_url is set but scaikey_token_url is empty (the token "
                     "exchange needs it)");
            return NULL;
        }
        secret = ss_credential_resolve(settings, "scaidrive_client_secret", secret,
                                       SS_DEV_SCAIDRIVE_CLIENT_SECRET, err, errlen);
        if (!secret)
            return NULL;
    }
    scaidrive_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->pool = pool;
    c->objects = objects;
    c->exchange_timeout_ms = settings->scaikey_timeout_ms;
    c->drive_timeout_ms = settings->scaidrive_timeout_ms;
    c->drive_url = trimmed_copy(settings->scaidrive_url);
    c->token_url = strdup(settings->scaikey_token_url);
    c->client_id = strdup(settings->scaidrive_client_id);
    c->client_secret = strdup(secret);
    if (!c->drive_url || !c->token_url || !c->client_id || !c->client_secret) {
        snprintf(err, errlen, "out of memory");
        scaidrive_client_free(c);
        return NULL;
    }
    c->loop = ss_curl_loop_new(base, on_transfer_done, sweep_cancelled, c, err, errlen);
    if (!c->loop) {
        scaidrive_client_free(c);
        return NULL;
    }
    return c;
}

void scaidrive_client_free(scaidrive_client *c)
{
    if (!c)
        return;
    while (c->calls)
        call_free(c->calls); /* no pool job in flight: the pool was freed first */
    ss_curl_loop_free(c->loop);
    free(c->drive_url);
    free(c->token_url);
    free(c->client_id);
    free(c->client_secret);
    free(c);
}
