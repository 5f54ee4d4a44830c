/* /speak body validation (see speak_request.h). */
#include "gateway/speak_request.h"

#include "common/audio_encode.h"
#include "common/synth_limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void bad(json_t *d, const char *field, const char *msg)
{
    json_array_append_new(d, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void text_field(const json_t *v, const char *name, gw_speak_params *out, json_t *d)
{
    if (!json_is_string(v)) {
        bad(d, name, v ? "must be a string" : "is required");
        return;
    }
    out->text = json_string_value(v);
    out->text_bytes = json_string_length(v);
    out->characters = utf8_chars(out->text, out->text_bytes);
    size_t i = 0;
    while (i < out->text_bytes && strchr(" \t\r\n", out->text[i]))
        i++;
    if (i == out->text_bytes)
        bad(d, name, "must contain at least one non-blank character");
    else if (out->characters > SS_TEXT_MAX_CHARS)
        bad(d, name, "must be at most 100000 characters");
}

static void format_field(const json_t *v, gw_speak_params *out, json_t *d, const char *field)
{
    static const char *formats[] = {"wav", "mp3", "opus", "flac", "pcm"};
    if (!v)
        return;
    const char *s = json_string_value(v);
    for (size_t i = 0; s && i < 5; i++)
        if (!strcmp(s, formats[i])) {
            snprintf(out->format, sizeof out->format, "%s", s);
            return;
        }
    bad(d, field, "must be one of wav, mp3, opus, flac, pcm");
}

/* speed and pitch: the shared limits (common/synth_limits.h) and their words. */
static void number_field(const json_t *v, const char *name, bool (*ok)(double, char *, size_t), double *dst,
                         json_t *d)
{
    if (!v)
        return;
    char msg[80];
    if (!json_is_number(v)) {
        ok(NAN, msg, sizeof msg); /* the same words as an out-of-range number */
        bad(d, name, msg);
        return;
    }
    double x = json_number_value(v);
    if (!ok(x, msg, sizeof msg)) {
        bad(d, name, msg);
        return;
    }
    *dst = x;
}

static void defaults(gw_speak_params *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->format, sizeof out->format, "wav");
    snprintf(out->preference, sizeof out->preference, "any");
    out->speed = 1.0;
}

static int finish(gw_speak_params *out, json_t *d, json_t **details)
{
    ss_audio_format fmt;
    if (out->sample_rate && ss_audio_format_parse(out->format, &fmt) == 0 &&
        !ss_audio_rate_allowed(fmt, out->sample_rate))
        bad(d, "sample_rate",
            strcmp(out->format, "opus") ? "must be 8000, 16000, 22050, 24000, 32000, 44100 or 48000"
                                        : "opus allows 8000, 12000, 16000, 24000 or 48000");
    if (json_array_size(d) == 0) {
        json_decref(d);
        *details = NULL;
        return 0;
    }
    *details = d;
    return -1;
}

int gw_speak_params_parse(const json_t *body, gw_speak_params *out, json_t **details)
{
    defaults(out);
    json_t *d = json_array();
    if (!json_is_object(body)) {
        bad(d, "body", "must be a JSON object");
        *details = d;
        return -1;
    }
    static const char *known[] = {"text", "voice_id", "response_format", "sample_rate", "speed", "pitch",
                                  "language_hint", "backend_preference", "timestamps", "force_async",
                                  "save_to"};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || !strcmp(key, known[i]);
        if (!ok)
            bad(d, key, "unknown field");
    }
    text_field(json_object_get(body, "text"), "text", out, d);
    if ((v = json_object_get(body, "voice_id"))) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof out->voice_id)
            bad(d, "voice_id", "must be a voice id string");
        else
            snprintf(out->voice_id, sizeof out->voice_id, "%s", json_string_value(v));
    }
    format_field(json_object_get(body, "response_format"), out, d, "response_format");
    if ((v = json_object_get(body, "sample_rate"))) {
        if (!json_is_integer(v))
            bad(d, "sample_rate", "must be an integer");
        else
            out->sample_rate = json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000
                                   ? (int)json_integer_value(v)
                                   : -1; /* out of range: refused by finish() like any bad rate */
    }
    number_field(json_object_get(body, "speed"), "speed", ss_speed_ok, &out->speed, d);
    number_field(json_object_get(body, "pitch"), "pitch", ss_pitch_ok, &out->pitch, d);
    if ((v = json_object_get(body, "language_hint"))) {
        const char *s = json_string_value(v);
        if (!s || strlen(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
            bad(d, "language_hint", "must be an ISO 639-1 code such as \"en\"");
        else
            snprintf(out->language_hint, sizeof out->language_hint, "%s", s);
    }
    if ((v = json_object_get(body, "backend_preference"))) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "any") && strcmp(s, "prefer_self_hosted") && strcmp(s, "prefer_relay")))
            bad(d, "backend_preference", "must be any, prefer_self_hosted or prefer_relay");
        else
            snprintf(out->preference, sizeof out->preference, "%s", s);
    }
    if ((v = json_object_get(body, "timestamps"))) {
        if (!json_is_boolean(v))
            bad(d, "timestamps", "must be a boolean");
        else
            out->timestamps = json_is_true(v);
    }
    if ((v = json_object_get(body, "force_async"))) {
        if (!json_is_boolean(v))
            bad(d, "force_async", "must be a boolean");
        else if (json_is_true(v))
            bad(d, "force_async", "asynchronous jobs are not available on this gateway yet");
    }
    if (json_object_get(body, "save_to"))
        bad(d, "save_to", "saving to ScaiDrive is not available on this gateway yet");
    return finish(out, d, details);
}

int gw_speak_params_parse_openai(const json_t *body, gw_speak_params *out, json_t **details)
{
    defaults(out);
    snprintf(out->format, sizeof out->format, "mp3"); /* OpenAI's default */
    json_t *d = json_array();
    if (!json_is_object(body)) {
        bad(d, "body", "must be a JSON object");
        *details = d;
        return -1;
    }
    json_t *v;
    if ((v = json_object_get(body, "model")) && !json_is_string(v))
        bad(d, "model", "must be a string");
    text_field(json_object_get(body, "input"), "input", out, d);
    v = json_object_get(body, "voice");
    if (v && (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof out->voice_name))
        bad(d, "voice", "must be a voice id or name");
    else if (v)
        snprintf(out->voice_name, sizeof out->voice_name, "%s", json_string_value(v));
    format_field(json_object_get(body, "response_format"), out, d, "response_format");
    number_field(json_object_get(body, "speed"), "speed", ss_speed_ok, &out->speed, d);
    return finish(out, d, details);
}
