/* Form bodies into JSON fields; see form_fields.h.
 *
 * urlencoded: libevent's query parser (the last of a repeated name wins,
 * as before). multipart: common/multipart.h over the body's bytes, one
 * part at a time into a bounded buffer; the problems of every part are
 * collected and answered together, framing errors first. No global state. */
#include "gateway/form_fields.h"

#include "common/multipart.h"
#include "common/utf8.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FORM_MAX_PARTS 16

static json_t *urlencoded_fields(gw_request *r)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    char *body = malloc(len + 1);
    json_t *out = json_object();
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (!body || !out) {
        free(body);
        json_decref(out);
        return NULL;
    }
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    if (evhttp_parse_query_str(body, &q) == 0) {
        struct evkeyval *kv;
        TAILQ_FOREACH(kv, &q, next) {
            json_object_set_new(out, kv->key, json_string(kv->value));
        }
    }
    evhttp_clear_headers(&q);
    free(body);
    return out;
}

typedef struct {
    json_t *fields, *details;
    char name[128];
    char *value;       /* the part being read (max_field + 1 bytes) */
    size_t len, max;
    bool skip;         /* this part is a problem already: its bytes are ignored */
    bool oom;
} form_reader;

static int problem(form_reader *f, const char *field, const char *message)
{
    if (json_array_append_new(f->details, ss_detail(field, message)) != 0)
        f->oom = true;
    return f->oom ? -1 : 0;
}

static int on_begin(void *ctx, const ss_multipart_part *p)
{
    form_reader *f = ctx;
    snprintf(f->name, sizeof f->name, "%s", p->name);
    f->len = 0;
    f->skip = false;
    if (p->filename) {
        f->skip = true;
        return problem(f, f->name, "a file part is not accepted here (send the field as text)");
    }
    if (json_object_get(f->fields, f->name)) {
        f->skip = true;
        return problem(f, f->name, "is given twice");
    }
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t len)
{
    form_reader *f = ctx;
    if (f->skip)
        return 0;
    if (len > f->max - f->len) {
        f->skip = true;
        return problem(f, f->name, "is too long");
    }
    memcpy(f->value + f->len, data, len);
    f->len += len;
    return 0;
}

static int on_end(void *ctx)
{
    form_reader *f = ctx;
    if (f->skip)
        return 0;
    if (!ss_utf8_valid(f->value, f->len) || memchr(f->value, '\0', f->len))
        return problem(f, f->name, "must be UTF-8 text");
    json_t *v = json_stringn(f->value, f->len);
    if (!v || json_object_set_new(f->fields, f->name, v) != 0)
        f->oom = true;
    return f->oom ? -1 : 0;
}

/* Feeds the body's chains to p; the parser's verdict. */
static ss_multipart_error feed_body(gw_request *r, ss_multipart *p)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    struct evbuffer_ptr pos;
    evbuffer_ptr_set(in, &pos, 0, EVBUFFER_PTR_SET);
    struct evbuffer_iovec v;
    ss_multipart_error e = SS_MULTIPART_OK;
    while (e == SS_MULTIPART_OK && evbuffer_peek(in, -1, &pos, &v, 1) > 0 && v.iov_len > 0) {
        e = ss_multipart_feed(p, v.iov_base, v.iov_len);
        if (evbuffer_ptr_set(in, &pos, v.iov_len, EVBUFFER_PTR_ADD) != 0)
            break;
    }
    return e == SS_MULTIPART_OK ? ss_multipart_finish(p) : e;
}

/* 1 with *out, or -1 after answering. */
static int multipart_fields(gw_request *r, const char *type, size_t max_field, json_t **out)
{
    form_reader f = {.fields = json_object(), .details = json_array(), .max = max_field,
                     .value = malloc(max_field + 1)};
    const ss_multipart_callbacks cb = {on_begin, on_data, on_end};
    const ss_multipart_limits lim = {.max_parts = FORM_MAX_PARTS};
    char err[256] = "";
    ss_multipart_error code = SS_MULTIPART_OK;
    ss_multipart *p = f.fields && f.details && f.value ? ss_multipart_new(type, &lim, &cb, &f, &code, err, sizeof err)
                                                       : NULL;
    if (p)
        code = feed_body(r, p);
    int rc = -1;
    if (f.oom || code == SS_MULTIPART_NO_MEMORY || !f.fields || !f.details || !f.value || (!p && !err[0]))
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
    else if (code != SS_MULTIPART_OK && code != SS_MULTIPART_ABORTED)
        gw_reply_error(r, SS_ERR_MALFORMED_REQUEST, p ? ss_multipart_message(p) : err, NULL);
    else if (json_array_size(f.details) > 0)
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the form has invalid fields", json_incref(f.details));
    else {
        *out = json_incref(f.fields);
        rc = 1;
    }
    ss_multipart_free(p);
    free(f.value);
    json_decref(f.fields);
    json_decref(f.details);
    return rc;
}

int gw_form_fields(gw_request *r, size_t max_field, json_t **out)
{
    *out = NULL;
    const char *type = gw_header(r, "Content-Type");
    if (type && !strncasecmp(type, "application/x-www-form-urlencoded", 33)) {
        if (!(*out = urlencoded_fields(r))) {
            gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
            return -1;
        }
        return 1;
    }
    if (type && !strncasecmp(type, "multipart/form-data", 19))
        return multipart_fields(r, type, max_field, out);
    return 0;
}
