/* /speak and /v1/audio/speech body validation (see speak_request.h).
 *
 * Each route is a table of its fields, one small reader per field; a reader
 * checks its value and either fills the parameters or adds one detail. What
 * depends on several fields (the rate a format gets, instructions applied
 * over speed) is settled after the table, in the route's finish step. */
#include "gateway/speak_request.h"

#include "gateway/openai_instructions.h"
#include "gateway/openai_models.h"
#include "gateway/openai_voices.h"

#include "common/api_error.h"
#include "common/audio_encode.h"
#include "common/synth_limits.h"
#include "common/utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    gw_speak_params *out;
    json_t *d;                 /* the details */
    const json_t *instructions; /* the alias's instructions, read last */
} body_reader;

typedef void (*field_fn)(body_reader *b, const json_t *v, const char *name);

typedef struct {
    const char *name;
    field_fn read;
    bool required;             /* read with v = NULL when absent */
} field_rule;

static void bad(json_t *d, const char *field, const char *msg)
{
    json_array_append_new(d, ss_detail(field, msg));
}

/* --- readers shared by both routes */

static void read_text(body_reader *b, const json_t *v, const char *name)
{
    gw_speak_params *out = b->out;
    if (!json_is_string(v)) {
        bad(b->d, name, v ? "must be a string" : "is required");
        return;
    }
    out->text = json_string_value(v);
    out->text_bytes = json_string_length(v);
    out->characters = ss_utf8_chars_n(out->text, out->text_bytes);
    size_t i = 0;
    while (i < out->text_bytes && strchr(" \t\r\n", out->text[i]))
        i++;
    if (i == out->text_bytes)
        bad(b->d, name, "must contain at least one non-blank character");
    else if (out->characters > SS_TEXT_MAX_CHARS)
        bad(b->d, name, "must be at most 100000 characters");
}

/* The formats a route offers, in this order; a name is offered only when
 * common/audio_encode.h can encode it (aac arrives with its encoder). */
static const char *const SPEAK_FORMATS[] = {"wav", "mp3", "opus", "flac", "pcm", NULL};
static const char *const OPENAI_FORMATS[] = {"wav", "mp3", "opus", "flac", "pcm", "aac", NULL};

static bool encodable(const char *name)
{
    ss_audio_format f;
    return ss_audio_format_parse(name, &f) == 0;
}

static void read_format_from(body_reader *b, const json_t *v, const char *name, const char *const *formats)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && formats[i]; i++)
        if (!strcmp(s, formats[i]) && encodable(s)) {
            snprintf(b->out->format, sizeof b->out->format, "%s", s);
            return;
        }
    char msg[160] = "must be one of ";
    size_t used = strlen(msg);
    for (size_t i = 0, n = 0; formats[i] && used < sizeof msg; i++)
        if (encodable(formats[i]))
            used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%s", n++ ? ", " : "", formats[i]);
    if (s && used < sizeof msg)
        for (size_t i = 0; formats[i]; i++)
            if (!strcmp(s, formats[i])) /* offered by the API, not encodable by this build */
                snprintf(msg + used, sizeof msg - used, " (%s: no encoder in this build yet)", s);
    bad(b->d, name, msg);
}

/* speed and pitch: the shared limits (common/synth_limits.h) and their words. */
static void read_number(body_reader *b, const json_t *v, const char *name, bool (*ok)(double, char *, size_t),
                        double *dst)
{
    char msg[80];
    if (!json_is_number(v)) {
        ok(NAN, msg, sizeof msg); /* the same words as an out-of-range number */
        bad(b->d, name, msg);
        return;
    }
    double x = json_number_value(v);
    if (!ok(x, msg, sizeof msg)) {
        bad(b->d, name, msg);
        return;
    }
    *dst = x;
}

/* --- /speak's fields */

static void read_voice_id(body_reader *b, const json_t *v, const char *name)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof b->out->voice_id)
        bad(b->d, name, "must be a voice id string");
    else
        snprintf(b->out->voice_id, sizeof b->out->voice_id, "%s", json_string_value(v));
}

static void read_speak_format(body_reader *b, const json_t *v, const char *name)
{
    read_format_from(b, v, name, SPEAK_FORMATS);
}

static void read_sample_rate(body_reader *b, const json_t *v, const char *name)
{
    if (!json_is_integer(v))
        bad(b->d, name, "must be an integer");
    else
        b->out->sample_rate = json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000
                                  ? (int)json_integer_value(v)
                                  : -1; /* out of range: refused by check_rate() like any bad rate */
}

static void read_speak_speed(body_reader *b, const json_t *v, const char *name)
{
    read_number(b, v, name, ss_speed_ok, &b->out->speed);
}

static void read_pitch(body_reader *b, const json_t *v, const char *name)
{
    read_number(b, v, name, ss_pitch_ok, &b->out->pitch);
}

static void read_language_hint(body_reader *b, const json_t *v, const char *name)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
        bad(b->d, name, "must be an ISO 639-1 code such as \"en\"");
    else
        snprintf(b->out->language_hint, sizeof b->out->language_hint, "%s", s);
}

static void read_preference(body_reader *b, const json_t *v, const char *name)
{
    const char *s = json_string_value(v);
    if (!s || (strcmp(s, "any") && strcmp(s, "prefer_self_hosted") && strcmp(s, "prefer_relay")))
        bad(b->d, name, "must be any, prefer_self_hosted or prefer_relay");
    else
        snprintf(b->out->preference, sizeof b->out->preference, "%s", s);
}

static void read_timestamps(body_reader *b, const json_t *v, const char *name)
{
    if (!json_is_boolean(v))
        bad(b->d, name, "must be a boolean");
    else
        b->out->timestamps = json_is_true(v);
}

static void read_force_async(body_reader *b, const json_t *v, const char *name)
{
    if (!json_is_boolean(v))
        bad(b->d, name, "must be a boolean");
    else
        b->out->force_async = json_is_true(v);
}

static void read_save_to(body_reader *b, const json_t *v, const char *name)
{
    (void)name; /* its details name save_to.<field> */
    gw_save_target_read(v, &b->out->save_to, b->d);
}

static const field_rule SPEAK_FIELDS[] = {
    {"text", read_text, true},
    {"voice_id", read_voice_id, false},
    {"response_format", read_speak_format, false},
    {"sample_rate", read_sample_rate, false},
    {"speed", read_speak_speed, false},
    {"pitch", read_pitch, false},
    {"language_hint", read_language_hint, false},
    {"backend_preference", read_preference, false},
    {"timestamps", read_timestamps, false},
    {"force_async", read_force_async, false},
    {"save_to", read_save_to, false},
    {NULL, NULL, false},
};

/* --- the OpenAI alias's fields */

static void read_model(body_reader *b, const json_t *v, const char *name)
{
    if (json_is_string(v) && gw_openai_model_known(json_string_value(v)))
        return;
    char names[160], msg[200];
    snprintf(msg, sizeof msg, "must be one of %s", gw_openai_model_names(names, sizeof names));
    bad(b->d, name, msg);
}

/* "voice": a name or id string, or {"id": voice id}. */
static void read_openai_voice(body_reader *b, const json_t *v, const char *name)
{
    gw_speak_params *out = b->out;
    bool object = json_is_object(v);
    const json_t *s = object ? json_object_get(v, "id") : v;
    size_t cap = object ? sizeof out->voice_id : sizeof out->voice_name;
    if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) >= cap ||
        (object && json_object_size(v) != 1)) {
        bad(b->d, name,
            object ? "must be {\"id\": a voice id}" : "must be a voice id or name, or {\"id\": a voice id}");
        return;
    }
    if (gw_openai_voice_name(json_string_value(s))) {
        /* the voice openai_voices gives it, applied by the handler */
        snprintf(out->openai_voice, sizeof out->openai_voice, "%s", json_string_value(s));
        return;
    }
    if (object)
        snprintf(out->voice_id, sizeof out->voice_id, "%s", json_string_value(s));
    else
        snprintf(out->voice_name, sizeof out->voice_name, "%s", json_string_value(s));
}

static void read_openai_format(body_reader *b, const json_t *v, const char *name)
{
    read_format_from(b, v, name, OPENAI_FORMATS);
}

static void read_openai_speed(body_reader *b, const json_t *v, const char *name)
{
    read_number(b, v, name, ss_openai_speed_ok, &b->out->speed);
}

static void read_instructions(body_reader *b, const json_t *v, const char *name)
{
    if (!json_is_string(v))
        bad(b->d, name, "must be a string");
    else if (ss_utf8_chars_n(json_string_value(v), json_string_length(v)) > GW_OPENAI_INSTRUCTIONS_MAX_CHARS)
        bad(b->d, name, "must be at most 4096 characters");
    else
        b->instructions = v; /* applied over speed in finish_openai() */
}

static void read_stream_format(body_reader *b, const json_t *v, const char *name)
{
    const char *s = json_string_value(v);
    if (!s || (strcmp(s, "audio") && strcmp(s, "sse")))
        bad(b->d, name, "must be audio or sse");
    else
        b->out->sse = !strcmp(s, "sse");
}

static const field_rule OPENAI_FIELDS[] = {
    {"model", read_model, false},
    {"input", read_text, true},
    {"voice", read_openai_voice, false},
    {"response_format", read_openai_format, false},
    {"speed", read_openai_speed, false},
    {"instructions", read_instructions, false},
    {"stream_format", read_stream_format, false},
    {NULL, NULL, false},
};

/* --- the walk */

static void defaults(gw_speak_params *out, const char *format)
{
    memset(out, 0, sizeof *out);
    snprintf(out->format, sizeof out->format, "%s", format);
    snprintf(out->preference, sizeof out->preference, "any");
    out->speed = 1.0;
}

static const field_rule *find_rule(const field_rule *rules, const char *name)
{
    for (; rules->name; rules++)
        if (!strcmp(rules->name, name))
            return rules;
    return NULL;
}

/* Reads every rule's field; unknown fields are refused when refuse_unknown. */
static void read_fields(body_reader *b, const json_t *body, const field_rule *rules, bool refuse_unknown)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (refuse_unknown && !find_rule(rules, key))
            bad(b->d, key, "unknown field");
    }
    for (const field_rule *f = rules; f->name; f++)
        if ((v = json_object_get(body, f->name)) || f->required)
            f->read(b, v, f->name);
}

static void check_rate(body_reader *b)
{
    ss_audio_format fmt;
    gw_speak_params *out = b->out;
    if (out->sample_rate && ss_audio_format_parse(out->format, &fmt) == 0 &&
        !ss_audio_rate_allowed(fmt, out->sample_rate))
        bad(b->d, "sample_rate",
            strcmp(out->format, "opus") ? "must be 8000, 16000, 22050, 24000, 32000, 44100 or 48000"
                                        : "opus allows 8000, 12000, 16000, 24000 or 48000");
}

static int done(body_reader *b, json_t **details)
{
    if (json_array_size(b->d) == 0) {
        json_decref(b->d);
        *details = NULL;
        return 0;
    }
    *details = b->d;
    return -1;
}

static int not_an_object(json_t *d, json_t **details)
{
    bad(d, "body", "must be a JSON object");
    *details = d;
    return -1;
}

int gw_speak_params_parse(const json_t *body, gw_speak_params *out, json_t **details)
{
    defaults(out, "wav");
    body_reader b = {out, json_array(), NULL};
    if (!json_is_object(body))
        return not_an_object(b.d, details);
    read_fields(&b, body, SPEAK_FIELDS, true);
    if (!out->sample_rate && !strcmp(out->format, "opus"))
        out->sample_rate = GW_OPUS_DEFAULT_RATE; /* the engine's rate is no Opus rate */
    check_rate(&b);
    return done(&b, details);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

int gw_speak_params_parse_openai(const json_t *body, gw_speak_params *out, json_t **details)
{
    defaults(out, "mp3"); /* OpenAI's default */
    body_reader b = {out, json_array(), NULL};
    if (!json_is_object(body))
        return not_an_object(b.d, details);
    read_fields(&b, body, OPENAI_FIELDS, false);
    if (b.instructions) {
        gw_openai_instructions in;
        gw_openai_instructions_read(json_string_value(b.instructions), json_string_length(b.instructions), &in);
        out->instructions_given = true;
        snprintf(out->instructions_understood, sizeof out->instructions_understood, "%s", in.understood);
        out->speed = clamp(out->speed * in.speed_factor, SS_OPENAI_SPEED_MIN, SS_OPENAI_SPEED_MAX);
        out->pitch = clamp(out->pitch + in.pitch_semitones, SS_PITCH_MIN, SS_PITCH_MAX);
    }
    out->sample_rate = !strcmp(out->format, "opus") ? GW_OPUS_DEFAULT_RATE : GW_OPENAI_RATE;
    check_rate(&b);
    return done(&b, details);
}

const char *gw_speak_details_message(const json_t *details, char *buf, size_t cap)
{
    size_t used = 0, i;
    const json_t *d;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    json_array_foreach(details, i, d)
    {
        const char *field = json_string_value(json_object_get(d, "field"));
        const char *msg = json_string_value(json_object_get(d, "message"));
        int n = snprintf(buf + used, cap - used, "%s%s: %s", i ? "; " : "", field ? field : "?", msg ? msg : "?");
        if (n < 0 || (size_t)n >= cap - used) {
            if (cap > 4)
                snprintf(buf + cap - 4, 4, "...");
            break;
        }
        used += (size_t)n;
    }
    return buf;
}
