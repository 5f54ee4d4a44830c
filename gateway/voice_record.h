/* The voice object of the library (API.md §4): what a caller may write into
 * it, how a new one is built, and what of it a caller sees.
 *
 * Metadata fields are checked by one table (name, whether PATCH may change
 * it, its check); every failure becomes a `details` entry {field, message}
 * for a 422 VALIDATION_ERROR, and all failures are reported at once. The
 * checks:
 *   display_name        string, 1..100 characters, no control characters;
 *   description         string, 0..1000 characters;
 *   language_primary    ISO 639-1 ("en"), optionally with a region ("en-GB");
 *   language_supported  array of up to 20 such codes;
 *   gender_hint         "female", "male" or "neutral";
 *   age_hint            "child", "young", "adult", "middle_aged", "elderly";
 *   style_tags          array of up to 20 strings of 1..40 characters;
 *   voice_design_prompt string, 1..1000 characters (design mode, create only).
 *
 * Stored records may hold fields for the gateway only; their names start
 * with "_" (the index member `_index`), and voice_record_public() leaves them
 * out of every answer. Pure functions: no I/O, no state. */
#ifndef SS_GATEWAY_VOICE_RECORD_H
#define SS_GATEWAY_VOICE_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VOICE_FIELDS_CREATE_DESIGN, /* POST /voices, design mode: display_name, language_primary, prompt required */
    VOICE_FIELDS_CREATE_CLONE,  /* POST /voices, clone mode: display_name, language_primary required */
    VOICE_FIELDS_PATCH,         /* PATCH: only the patchable fields, at least one */
} voice_fields_use;

/* Appends a {field, message} to details for every problem of body's fields
 * for `use`. Returns the number of problems, or -1 when out of memory. */
int voice_fields_check(const json_t *body, voice_fields_use use, json_t *details);

/* Whether a string is an accepted language code ("en", "en-GB"). */
bool voice_language_code_ok(const char *s);

/* A new user-scope voice from a checked body (caller decrefs; NULL when out
 * of memory). `design` (borrowed, may be NULL) is what the prompt parse
 * understood; `created_ms` is wall-clock milliseconds; `index_member` the
 * voice's member in its scope's index (voice_index.h). */
json_t *voice_record_new(const char *voice_id, const char *tenant_id, const char *owner_user_id,
                         const char *intake_mode, const char *engine, const json_t *body, const json_t *design,
                         int64_t created_ms, const char *index_member);

/* Applies a checked PATCH body to a copy of record and stamps updated_at
 * (caller decrefs; NULL when out of memory). */
json_t *voice_record_patched(const json_t *record, const json_t *patch, int64_t now_ms);

/* The record as callers see it: every field but the "_" ones (caller
 * decrefs; NULL when out of memory). */
json_t *voice_record_public(const json_t *record);

/* What the engine's prompt reading (node/engine/voice/voice_design.c, pure
 * text) understood, as the voice's design{}: gender, age, pitch, pace,
 * timbre, energy (null when the prompt says nothing of it), words_used,
 * words_ignored. The words are read the way the node reads them; the
 * numbers depend on the node's model and are not shown. NULL + why when the
 * prompt is refused (empty, too long). */
json_t *voice_design_understood(const char *prompt, char *why, size_t cap);


#endif
