/* A short form body read into a JSON object of its text fields, on the
 * loop: for routes whose whole body is a few short fields (the voice
 * preview, API.md §4: "form or JSON"). Both kinds of HTML form body are
 * read: application/x-www-form-urlencoded and multipart/form-data (what
 * curl -F and FormData send). Uploads with files go through voice_form.c
 * on an audio thread instead; this reader refuses file parts. */
#ifndef SS_GATEWAY_FORM_FIELDS_H
#define SS_GATEWAY_FORM_FIELDS_H

#include "gateway/gateway.h"

#include <jansson.h>

/* 1 with *out (the fields as strings) when the request's Content-Type is a
 * form; 0 when it is not one (the caller reads the body as JSON); -1 after
 * answering: a multipart body that breaks framing is 400
 * MALFORMED_REQUEST; a file part, a field given twice, over max_field
 * bytes or not UTF-8 is 422 VALIDATION_ERROR naming it (all at once); out
 * of memory 500. */
int gw_form_fields(gw_request *r, size_t max_field, json_t **out);

#endif
