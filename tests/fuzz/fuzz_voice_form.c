/* libFuzzer target: the clone form of POST /voices (gateway/voice_form.c)
 * on arbitrary bodies, as the intake reads them: an evbuffer of several
 * chains fed to the streaming multipart parser and drained as parsed. An
 * input that starts with "CT:" gives its Content-Type on that first line
 * (up to '\n'); others use a fixed boundary. Each body is read twice — as
 * one chain and as chains cut at offsets the input derives — and must give
 * the same result (code, fields, problems, files) both ways. Checked too:
 * the body is drained; a malformed body says why; fields are known text
 * fields of at most VOICE_FORM_TEXT_MAX bytes; every problem is a
 * {field, message} of strings. */
#include <event2/buffer.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/voice_form.h"

typedef struct {
    int rc;
    voice_form form;
} reading;

/* Reads body[0..n) as chains cut every `step` bytes (0: one chain). */
static void read_form(const uint8_t *body, size_t n, size_t step, const char *ct, reading *out)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        __builtin_trap();
    if (step == 0) {
        evbuffer_add(b, body, n);
    } else {
        for (size_t at = 0; at < n; at += step) /* a reference is a chain of its own */
            evbuffer_add_reference(b, body + at, n - at < step ? n - at : step, NULL, NULL);
    }
    memset(&out->form, 0, sizeof out->form);
    out->rc = voice_form_read(b, ct, &out->form);
    if (evbuffer_get_length(b) != 0 && !out->form.out_of_memory)
        __builtin_trap(); /* the body is drained */
    evbuffer_free(b);
}

static void check_one(const reading *r)
{
    const voice_form *f = &r->form;
    if (r->rc != 0 && !f->malformed && !f->out_of_memory)
        __builtin_trap();
    if (f->malformed && !f->error[0])
        __builtin_trap(); /* malformed without a reason */
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)f->fields, name, v) {
        if (!json_is_string(v) || json_string_length(v) > VOICE_FORM_TEXT_MAX)
            __builtin_trap();
    }
    size_t i;
    json_array_foreach(f->details, i, v) {
        if (!json_is_string(json_object_get(v, "field")) || !json_is_string(json_object_get(v, "message")))
            __builtin_trap();
    }
}

static bool same_file(const voice_form_file *a, const voice_form_file *b)
{
    return a->present == b->present && a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[256] = "multipart/form-data; boundary=b0undary";
    const uint8_t *nl = size > 3 && memcmp(data, "CT:", 3) == 0 ? memchr(data, '\n', size) : NULL;
    if (nl) {
        size_t n = (size_t)(nl - data) - 3;
        if (n >= sizeof ct)
            n = sizeof ct - 1;
        memcpy(ct, data + 3, n);
        ct[n] = 0;
        size -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    reading one, cut;
    read_form(data, size, 0, ct, &one);
    read_form(data, size, 1 + (size ? data[size / 2] % 97 : 0), ct, &cut);
    check_one(&one);
    check_one(&cut);
    if (!one.form.out_of_memory && !cut.form.out_of_memory &&
        (one.rc != cut.rc || one.form.malformed != cut.form.malformed ||
         !json_equal(one.form.fields, cut.form.fields) || !json_equal(one.form.details, cut.form.details) ||
         !same_file(&one.form.reference, &cut.form.reference) || !same_file(&one.form.consent, &cut.form.consent)))
        __builtin_trap(); /* the chains' cuts changed the reading */
    voice_form_free(&one.form);
    voice_form_free(&cut.form);
    return 0;
}
