/* POST /voices/{id}/preview (API.md §4): a short sample of a voice, as JSON
 * `{audio_base64, format, duration_ms, ...}`.
 *
 * The body is a form (urlencoded or multipart, form_fields.h) or JSON with `text`
 * (1..300 characters) and optional `response_format` (default mp3, the
 * smallest for a browser to play). The preview *is* a /speak request: the
 * handler rewrites the body into /speak's JSON ({text, voice_id,
 * response_format}), asks for the JSON form (Accept: application/json) and
 * hands the request to the /speak handler, so visibility (404 for voices the
 * caller cannot see), readiness, policy, rate limit, licence and backend
 * rules are exactly those of synthesis. The answer is /speak's JSON form:
 * audio_base64, format, sample_rate, duration_ms, backend_used, voice_id,
 * characters. */
#include "gateway/gateway.h"
#include "gateway/form_fields.h"
#include "common/utf8.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#define PREVIEW_TEXT_MAX 300
#define PREVIEW_FIELD_MAX 4096 /* bytes of a form field: 300 characters fit */

/* The preview's fields from a form or JSON body; answers and returns NULL on
 * a bad body. */
static json_t *preview_fields(gw_request *r)
{
    json_t *f = NULL;
    int form = gw_form_fields(r, PREVIEW_FIELD_MAX, &f);
    if (form != 0)
        return form > 0 ? f : NULL;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return NULL;
    return body ? body : json_object();
}

void gw_handle_voice_preview(gw_request *r)
{
    json_t *f = preview_fields(r);
    if (!f)
        return;
    const char *text = json_string_value(json_object_get(f, "text"));
    json_t *fmt = json_object_get(f, "response_format");
    const char *why = !json_is_object(f)                                     ? "the body must be an object"
                      : !text || !*text                                     ? "text is required"
                      : ss_utf8_chars(text) > PREVIEW_TEXT_MAX                 ? "text must be at most 300 characters"
                      : fmt && !json_is_string(fmt)                         ? "response_format must be a string"
                                                                            : NULL;
    if (why) {
        const char *field = strncmp(why, "response", 8) ? "text" : "response_format";
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, why, json_pack("[{s:s,s:s}]", "field", field, "message", why));
        json_decref(f);
        return;
    }
    json_t *speak = json_pack("{s:s,s:s,s:s}", "text", text, "voice_id", r->params[0], "response_format",
                              fmt ? json_string_value(fmt) : "mp3");
    char *body = speak ? json_dumps(speak, JSON_COMPACT) : NULL;
    json_decref(speak);
    json_decref(f);
    if (!body) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    struct evkeyvalq *headers = evhttp_request_get_input_headers(r->req);
    evbuffer_drain(in, evbuffer_get_length(in));
    int bad = evbuffer_add(in, body, strlen(body));
    free(body);
    evhttp_remove_header(headers, "Accept");
    evhttp_remove_header(headers, "Content-Type");
    bad |= evhttp_add_header(headers, "Accept", "application/json");
    bad |= evhttp_add_header(headers, "Content-Type", "application/json");
    if (bad) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gw_handle_speak(r);
}
