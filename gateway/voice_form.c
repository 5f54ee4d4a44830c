/* POST /voices clone-mode form reading (see voice_form.h). */
#include "gateway/voice_form.h"

#include "common/api_error.h"
#include "common/multipart.h"

#include <stdlib.h>
#include <string.h>

typedef enum { PART_TEXT, PART_FILE } part_kind;

typedef struct {
    const char *name;
    part_kind kind;
} part_rule;

static const part_rule PARTS[] = {
    {"reference", PART_FILE},
    {"consent", PART_FILE},
    {"display_name", PART_TEXT},
    {"language_primary", PART_TEXT},
    {"consent_user_full_name", PART_TEXT},
    {"consent_stated_purpose", PART_TEXT},
    {"consent_text", PART_TEXT},
    {"description", PART_TEXT},
    {"gender_hint", PART_TEXT},
    {"age_hint", PART_TEXT},
    {"language_supported_json", PART_TEXT},
    {"style_tags_json", PART_TEXT},
    {"reference_scaidrive_json", PART_TEXT},
    {"consent_scaidrive_json", PART_TEXT},
    {"voice_design_prompt", PART_TEXT},
};

/* The part being read. */
typedef struct {
    voice_form *form;
    const part_rule *rule; /* NULL: skipped (unknown or repeated) */
    char name[64];
    voice_form_file *file; /* a file part's target */
    char text[VOICE_FORM_TEXT_MAX];
    size_t text_len;
    bool text_too_long;
} reader;

static int problem(voice_form *f, const char *field, const char *message)
{
    if (json_array_append_new(f->details, ss_detail(field, message)) != 0) {
        f->out_of_memory = true;
        return -1;
    }
    return 0;
}

static const part_rule *rule_of(const char *name)
{
    for (size_t i = 0; i < sizeof PARTS / sizeof PARTS[0]; i++)
        if (!strcmp(PARTS[i].name, name))
            return &PARTS[i];
    return NULL;
}

static bool seen(const reader *rd, const part_rule *rule)
{
    if (rule->kind == PART_FILE)
        return !strcmp(rule->name, "reference") ? rd->form->reference.present : rd->form->consent.present;
    return json_object_get(rd->form->fields, rule->name) != NULL;
}

static int on_begin(void *ctx, const ss_multipart_part *part)
{
    reader *rd = ctx;
    snprintf(rd->name, sizeof rd->name, "%s", part->name);
    rd->rule = rule_of(part->name);
    rd->file = NULL;
    rd->text_len = 0;
    rd->text_too_long = false;
    if (!rd->rule)
        return problem(rd->form, rd->name, "is not a field of this request");
    if (seen(rd, rd->rule)) {
        rd->rule = NULL;
        return problem(rd->form, part->name, "is given more than once");
    }
    if (rd->rule->kind == PART_FILE) {
        rd->file = !strcmp(rd->rule->name, "reference") ? &rd->form->reference : &rd->form->consent;
        rd->file->present = true;
    }
    return 0;
}

static int file_append(voice_form_file *f, const uint8_t *data, size_t len)
{
    if (f->len + len > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (cap < f->len + len)
            cap *= 2;
        uint8_t *g = realloc(f->data, cap);
        if (!g)
            return -1;
        f->data = g;
        f->cap = cap;
    }
    memcpy(f->data + f->len, data, len);
    f->len += len;
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t len)
{
    reader *rd = ctx;
    if (!rd->rule)
        return 0;
    if (rd->file) {
        if (file_append(rd->file, data, len) != 0) {
            rd->form->out_of_memory = true;
            return -1;
        }
        return 0;
    }
    if (rd->text_len + len > sizeof rd->text) {
        rd->text_too_long = true;
        return 0;
    }
    memcpy(rd->text + rd->text_len, data, len);
    rd->text_len += len;
    return 0;
}

static int on_end(void *ctx)
{
    reader *rd = ctx;
    if (!rd->rule || rd->rule->kind != PART_TEXT)
        return 0;
    if (rd->text_too_long)
        return problem(rd->form, rd->name, "is longer than 8192 bytes");
    json_t *s = json_stringn(rd->text, rd->text_len);
    if (!s)
        return memchr(rd->text, '\0', rd->text_len) || rd->text_len == 0
                   ? problem(rd->form, rd->name, "must be text without NUL bytes")
                   : problem(rd->form, rd->name, "must be UTF-8 text");
    if (json_object_set_new(rd->form->fields, rd->name, s) != 0) {
        rd->form->out_of_memory = true;
        return -1;
    }
    return 0;
}

/* Feeds the body chain by chain, draining what was parsed. */
static ss_multipart_error feed_all(ss_multipart *p, struct evbuffer *body)
{
    struct evbuffer_iovec v;
    while (evbuffer_peek(body, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
        ss_multipart_error e = ss_multipart_feed(p, v.iov_base, v.iov_len);
        evbuffer_drain(body, v.iov_len);
        if (e != SS_MULTIPART_OK)
            return e;
    }
    return ss_multipart_finish(p);
}

int voice_form_read(struct evbuffer *body, const char *content_type, voice_form *form)
{
    memset(form, 0, sizeof *form);
    form->fields = json_object();
    form->details = json_array();
    reader *rd = calloc(1, sizeof *rd);
    if (!form->fields || !form->details || !rd) {
        free(rd);
        form->out_of_memory = true;
        snprintf(form->error, sizeof form->error, "out of memory");
        return -1;
    }
    rd->form = form;
    static const ss_multipart_callbacks cb = {on_begin, on_data, on_end};
    ss_multipart_error code = SS_MULTIPART_OK;
    char err[200] = "";
    ss_multipart *p = ss_multipart_new(content_type, NULL, &cb, rd, &code, err, sizeof err);
    if (p)
        code = feed_all(p, body);
    if (p && code != SS_MULTIPART_OK)
        snprintf(err, sizeof err, "%s", ss_multipart_message(p));
    ss_multipart_free(p);
    free(rd);
    evbuffer_drain(body, evbuffer_get_length(body));
    if (form->out_of_memory || code == SS_MULTIPART_NO_MEMORY) {
        form->out_of_memory = true;
        snprintf(form->error, sizeof form->error, "out of memory");
        return -1;
    }
    if (code != SS_MULTIPART_OK) {
        form->malformed = true;
        snprintf(form->error, sizeof form->error, "the body is not valid multipart/form-data: %s", err);
        return -1;
    }
    return 0;
}

void voice_form_free(voice_form *form)
{
    if (!form)
        return;
    json_decref(form->fields);
    json_decref(form->details);
    free(form->reference.data);
    free(form->consent.data);
    memset(form, 0, sizeof *form);
}
