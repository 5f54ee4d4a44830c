/* The multipart/form-data body of POST /voices in clone mode (API.md §4),
 * read into its text fields and its two files.
 *
 * The body arrives as the request's evbuffer, moved (not copied) into one
 * of our own on the loop. voice_form_read runs on an audio thread: it feeds
 * the buffer's chains to the streaming parser (common/multipart.h) and
 * drains each chain once parsed, so the upload's bytes are freed as they
 * are copied into the parts: peak memory is about one copy of the body, not
 * two. File parts grow by doubling (large blocks are mmapped by glibc, so a
 * growth is an mremap, not a copy).
 *
 * Parts are known by name, from one table: `reference` and `consent` are
 * files; the text fields are display_name, language_primary,
 * consent_user_full_name, consent_stated_purpose, consent_text, description,
 * gender_hint, age_hint, language_supported_json, style_tags_json,
 * reference_scaidrive_json, consent_scaidrive_json, voice_design_prompt
 * (with no files: design mode, which the intake hands to the design path). An unknown part, a part
 * given twice, a text field over VOICE_FORM_TEXT_MAX bytes or not UTF-8 is
 * a problem {field, message} in `details` (all are reported at once; the
 * body is still read to its end so framing errors win). A body that breaks
 * multipart framing is `malformed` (400 MALFORMED_REQUEST). Which fields are
 * required, and what they must hold, is the caller's business
 * (voice_intake.c). */
#ifndef SS_GATEWAY_VOICE_FORM_H
#define SS_GATEWAY_VOICE_FORM_H

#include <event2/buffer.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VOICE_FORM_TEXT_MAX 8192

typedef struct {
    bool present;
    uint8_t *data; /* malloc'd; NULL when empty */
    size_t len, cap;
} voice_form_file;

typedef struct {
    json_t *fields;  /* text fields by part name, as JSON strings */
    json_t *details; /* problems [{field, message}] */
    voice_form_file reference, consent;
    bool malformed;  /* framing error: message in error */
    bool out_of_memory;
    char error[256];
} voice_form;

/* Reads body (drained: empty afterwards) with the request's Content-Type.
 * 0: read (form->details may hold problems); -1: malformed (form->error)
 * or out of memory (form->out_of_memory). form is filled either way and
 * must be freed. */
int voice_form_read(struct evbuffer *body, const char *content_type, voice_form *form);
void voice_form_free(voice_form *form);

#endif
