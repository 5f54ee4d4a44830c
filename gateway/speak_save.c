/* save_to's sink, upload and clean-up (see speak_save.h).
 *
 * State machine, loop side: bytes queue in `queue`; at most one pool job
 * runs (write, commit or clean-up) and owns the writer and `job_bytes` while
 * it runs. After finish: the queue drains, commit, upload, delete, done.
 * A free while a job or the upload runs marks the save abandoned; the job's
 * hand-back (or the cancelled upload) then runs the clean-up job, whose
 * hand-back frees the struct. No global state. */
#include "gateway/speak_save.h"

#include "gateway/scaidrive_client.h"

#include "common/log.h"
#include "common/loop_pool.h"
#include "common/object_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct speak_save {
    gw_server *gw;
    char request_id[SS_REQUEST_ID_MAX + 1];
    gw_save_target t;
    char *token;
    char content_type[64];
    char key[64];
    speak_save_drained_fn drained;
    speak_save_done_fn done;
    void *user;
    uint8_t *queue;
    size_t qlen, qcap;
    uint8_t *job_bytes;       /* the write job's bytes */
    size_t job_len, job_cap;
    ss_object_writer *w;      /* pool jobs only */
    bool job, finishing, committed, abandoned, failed;
    ss_object_status st;      /* of the last job */
    char err[256];
    uint64_t size;
    scaidrive_call *upload;
    json_t *saved_to;
    ss_api_error error;
    char message[600];
};

static void kick(speak_save *s);

speak_save *speak_save_new(gw_server *gw, const char *request_id, const gw_save_target *t,
                           const char *token, const char *content_type, speak_save_drained_fn drained,
                           void *user)
{
    speak_save *s = calloc(1, sizeof *s);
    char rnd[17];
    if (!s || !(s->token = strdup(token)) || ss_random_base62(rnd, 16) != 0) {
        if (s)
            free(s->token);
        free(s);
        return NULL;
    }
    rnd[16] = '\0';
    s->gw = gw;
    snprintf(s->request_id, sizeof s->request_id, "%s", request_id);
    s->t = *t;
    snprintf(s->content_type, sizeof s->content_type, "%s", content_type);
    snprintf(s->key, sizeof s->key, "tmp/save/%s", rnd);
    s->drained = drained;
    s->user = user;
    return s;
}

size_t speak_save_queued(const speak_save *s)
{
    return s->qlen + (s->job ? s->job_len : 0);
}

int speak_save_write(speak_save *s, const uint8_t *data, size_t len)
{
    if (s->qlen + len > s->qcap) {
        size_t cap = s->qcap ? s->qcap : 65536;
        while (cap < s->qlen + len)
            cap *= 2;
        uint8_t *g = realloc(s->queue, cap);
        if (!g)
            return -1;
        s->queue = g;
        s->qcap = cap;
    }
    memcpy(s->queue + s->qlen, data, len);
    s->qlen += len;
    kick(s);
    return 0;
}

/* ---- the clean-up: abort an uncommitted writer, delete a committed object */

static void job_cleanup(void *arg) /* pool */
{
    speak_save *s = arg;
    ss_object_put_abort(s->w);
    s->w = NULL;
    if (s->committed) {
        char err[256];
        ss_object_status st = ss_object_delete(s->gw->objects, s->key, err, sizeof err);
        if (st != SS_OBJECT_OK && st != SS_OBJECT_NOT_FOUND)
            ss_warn(s->request_id, "the temporary object of save_to could not be deleted: %s", err);
    }
}

static void save_destroy(speak_save *s)
{
    json_decref(s->saved_to);
    if (s->token) {
        memset(s->token, 0, strlen(s->token)); /* a credential: gone from memory with the request */
        free(s->token);
    }
    free(s->queue);
    free(s->job_bytes);
    free(s);
}

static void cleaned_up(void *arg) /* loop */
{
    speak_save *s = arg;
    s->job = false;
    if (s->abandoned) {
        save_destroy(s);
        return;
    }
    speak_save_result res = {.ok = !s->failed, .error = s->error, .message = s->message,
                             .saved_to = s->saved_to, .bytes = s->size};
    s->abandoned = true; /* done may free it: destroy below once done returned */
    s->done(s->user, &res);
}

static void clean_up(speak_save *s)
{
    s->job = true;
    if (ss_loop_pool_submit(s->gw->audio_pool, job_cleanup, cleaned_up, s) != 0) {
        /* out of memory: the clean-up runs here, on the loop (rare and short) */
        job_cleanup(s);
        cleaned_up(s);
    }
}

/* Ends the save with an error (after the clean-up). */
static void fail_save(speak_save *s, ss_api_error e, const char *msg)
{
    s->failed = true;
    s->error = e;
    snprintf(s->message, sizeof s->message, "%s", msg);
    clean_up(s);
}

/* ---- the upload */

static void on_uploaded(void *user, const scaidrive_result *res)
{
    speak_save *s = user;
    s->upload = NULL;
    if (res->status != SCAIDRIVE_OK) {
        fail_save(s, scaidrive_api_error(res->status), res->message);
        return;
    }
    s->saved_to = scaidrive_saved_to(res->answer);
    if (!s->saved_to) {
        fail_save(s, SS_ERR_SCAIDRIVE_ERROR, "ScaiDrive's answer to the upload has no file_id");
        return;
    }
    ss_info(s->request_id, "saved to ScaiDrive: file %s (%llu bytes)",
            json_string_value(json_object_get(s->saved_to, "file_id")), (unsigned long long)s->size);
    clean_up(s);
}

static void start_upload(speak_save *s)
{
    scaidrive_upload_req req = {
        .access_token = s->token,
        .object_key = s->key,
        .share_id = s->t.share_id,
        .folder_id = s->t.folder_id,
        .name = s->t.filename,
        .content_type = s->content_type,
        .overwrite = s->t.overwrite,
        .request_id = s->request_id,
    };
    char err[256];
    s->upload = scaidrive_upload(s->gw->scaidrive, &req, on_uploaded, s, err, sizeof err);
    if (!s->upload)
        fail_save(s, SS_ERR_INTERNAL_ERROR, err);
}

/* ---- writing and committing */

static void job_write(void *arg) /* pool */
{
    speak_save *s = arg;
    s->st = SS_OBJECT_OK;
    if (!s->w)
        s->st = ss_object_put_begin(s->gw->objects, s->key, &s->w, s->err, sizeof s->err);
    if (s->st == SS_OBJECT_OK)
        s->st = ss_object_put_write(s->w, s->job_bytes, s->job_len, s->err, sizeof s->err);
}

static void job_commit(void *arg) /* pool */
{
    speak_save *s = arg;
    s->st = SS_OBJECT_OK;
    if (!s->w) /* no byte at all */
        s->st = ss_object_put_begin(s->gw->objects, s->key, &s->w, s->err, sizeof s->err);
    if (s->st != SS_OBJECT_OK)
        return;
    ss_object_info info;
    s->st = ss_object_put_commit(s->w, &info, s->err, sizeof s->err);
    s->w = NULL; /* freed by commit whatever the result */
    if (s->st == SS_OBJECT_OK) {
        s->committed = true;
        s->size = info.size;
    }
}

static void job_done(void *arg) /* loop */
{
    speak_save *s = arg;
    s->job = false;
    s->job_len = 0;
    if (s->abandoned) {
        clean_up(s);
        return;
    }
    if (s->st != SS_OBJECT_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "the audio could not be stored for the upload: %s", s->err);
        ss_warn(s->request_id, "%s", msg);
        s->failed = true; /* further bytes are dropped; finish reports it */
        if (s->finishing)
            fail_save(s, SS_ERR_INTERNAL_ERROR, msg);
        else
            snprintf(s->message, sizeof s->message, "%s", msg);
        return;
    }
    if (s->committed) {
        start_upload(s);
        return;
    }
    if (s->drained)
        s->drained(s->user);
    kick(s);
}

static void kick(speak_save *s)
{
    if (s->job || s->failed || s->abandoned)
        return;
    if (s->qlen) { /* the queue becomes the job's bytes; the job's old buffer the queue */
        uint8_t *t = s->job_bytes;
        size_t tcap = s->job_cap;
        s->job_bytes = s->queue;
        s->job_cap = s->qcap;
        s->job_len = s->qlen;
        s->queue = t;
        s->qcap = tcap;
        s->qlen = 0;
    } else if (!s->finishing || s->committed) {
        return;
    }
    s->job = true;
    if (ss_loop_pool_submit(s->gw->audio_pool, s->job_len ? job_write : job_commit, job_done, s) != 0) {
        s->job = false;
        s->failed = true;
        snprintf(s->message, sizeof s->message, "out of memory");
        if (s->finishing)
            fail_save(s, SS_ERR_INTERNAL_ERROR, "out of memory");
    }
}

void speak_save_finish(speak_save *s, speak_save_done_fn done)
{
    s->done = done;
    s->finishing = true;
    if (s->failed) {
        if (!s->job)
            fail_save(s, SS_ERR_INTERNAL_ERROR, s->message[0] ? s->message : "out of memory");
        return;
    }
    kick(s);
}

void speak_save_free(speak_save *s)
{
    if (!s)
        return;
    if (s->abandoned && !s->job) { /* done was called: its clean-up is over */
        save_destroy(s);
        return;
    }
    s->abandoned = true;
    if (s->upload) {
        scaidrive_cancel(s->upload);
        s->upload = NULL;
    }
    if (!s->job)
        clean_up(s); /* cleaned_up destroys it */
}

/* ---- the token */

typedef struct {
    speak_save_token_fn on_token;
    void *user;
} token_wait;

static void on_exchanged(void *user, const scaidrive_result *res)
{
    token_wait *w = user;
    if (res->status == SCAIDRIVE_OK)
        w->on_token(w->user, 0, "", res->access_token);
    else
        w->on_token(w->user, scaidrive_api_error(res->status), res->message, NULL);
    free(w);
}

void speak_save_token(gw_request *r, speak_save_token_fn on_token, void *user)
{
    /* The credential first: an API key is refused the same way whether or
     * not this gateway has ScaiDrive (API.md §5). */
    const char *auth = gw_header(r, "Authorization");
    if (r->caller.kind != CALLER_JWT || !auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        on_token(user, SS_ERR_SAVE_TO_REQUIRES_JWT,
                 "saving to ScaiDrive needs a ScaiKey JWT (the gateway exchanges it for a ScaiDrive "
                 "token); an API key cannot be exchanged", NULL);
        return;
    }
    if (!scaidrive_client_configured(r->gw->scaidrive)) {
        on_token(user, SS_ERR_SCAIDRIVE_NOT_AVAILABLE, "ScaiDrive is not configured on this gateway", NULL);
        return;
    }
    token_wait *w = malloc(sizeof *w);
    char err[256];
    if (!w) {
        on_token(user, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    w->on_token = on_token;
    w->user = user;
    if (!scaidrive_exchange(r->gw->scaidrive, auth + 7, r->id, on_exchanged, w, err, sizeof err)) {
        free(w);
        on_token(user, SS_ERR_INTERNAL_ERROR, err, NULL);
    }
}
