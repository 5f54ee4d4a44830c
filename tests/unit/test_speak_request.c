/* Unit tests for gateway/speak_request: validation of the bodies of
 * POST /speak and of its OpenAI alias POST /v1/audio/speech, without a
 * gateway. Each bad field gives one {field, message} detail; every error of
 * a body comes back at once (one 422, not the first error only); unknown
 * fields are refused on /speak; the OpenAI body maps input -> text, voice ->
 * a name or id to look up, and takes OpenAI's defaults (mp3 at 24 kHz),
 * ranges (speed 0.25..4) and instructions. The HTTP answer itself (422
 * VALIDATION_ERROR with these details) is covered by the integration tests
 * (tests/integration/test_speak.py). */
#include "gateway/speak_request.h"

#include <criterion/criterion.h>
#include "common/audio_encode.h"
#include "common/synth_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The numeric limits of the body: the one shared set (common/synth_limits.h),
 * which API.md §2 fixes at speed 0.5..2, pitch -12..12, 100 000 characters. */
#define SPEED_MIN SS_SPEED_MIN
#define SPEED_MAX SS_SPEED_MAX
#define PITCH_MIN SS_PITCH_MIN
#define PITCH_MAX SS_PITCH_MAX
#define TEXT_MAX_CHARS SS_TEXT_MAX_CHARS
_Static_assert(SS_SPEED_MIN == 0.5 && SS_SPEED_MAX == 2.0 && SS_PITCH_MIN == -12.0 && SS_PITCH_MAX == 12.0 &&
                   SS_TEXT_MAX_CHARS == 100000,
               "API.md §2's ranges");

/* A parsed body: the params borrow the text from the body, so both live
 * until parsed_free. */
typedef struct {
    json_t *body;
    gw_speak_params p;
    json_t *details;
    int rc;
} parsed;

static parsed parse_with(int (*fn)(const json_t *, gw_speak_params *, json_t **), const char *body_json)
{
    parsed r = {0};
    json_error_t je;
    r.body = json_loads(body_json, JSON_DECODE_ANY, &je);
    cr_assert_not_null(r.body, "test body does not parse: %s (%s)", body_json, je.text);
    r.rc = fn(r.body, &r.p, &r.details);
    if (r.rc == 0)
        cr_assert_null(r.details, "details on success for %s", body_json);
    else
        cr_assert(json_is_array(r.details) && json_array_size(r.details) > 0, "no details for %s", body_json);
    return r;
}

static parsed speak(const char *body_json)
{
    return parse_with(gw_speak_params_parse, body_json);
}

static parsed openai(const char *body_json)
{
    return parse_with(gw_speak_params_parse_openai, body_json);
}

static void parsed_free(parsed *r)
{
    json_decref(r->details);
    json_decref(r->body);
}

/* The message of the detail naming `field`, or NULL. */
static const char *message_for(const parsed *r, const char *field)
{
    size_t i;
    json_t *d;
    json_array_foreach(r->details, i, d) if (!strcmp(json_string_value(json_object_get(d, "field")), field))
        return json_string_value(json_object_get(d, "message"));
    return NULL;
}

/* Asserts the body is refused with exactly one detail, on `field`, whose
 * message contains `needle`. */
static void refused_once(parsed (*parse)(const char *), const char *body_json, const char *field,
                         const char *needle)
{
    parsed r = parse(body_json);
    cr_assert_eq(r.rc, -1, "accepted: %s", body_json);
    cr_assert_eq(json_array_size(r.details), 1, "%s: %zu details", body_json, json_array_size(r.details));
    const char *msg = message_for(&r, field);
    cr_assert_not_null(msg, "%s: no detail on %s", body_json, field);
    cr_assert(strstr(msg, needle) != NULL, "%s: message '%s' lacks '%s'", body_json, msg, needle);
    parsed_free(&r);
}

Test(speak_request, minimal_body_gets_the_defaults)
{
    parsed r = speak("{\"text\":\"hi\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.text, "hi");
    cr_assert_eq(r.p.text_bytes, 2);
    cr_assert_eq(r.p.characters, 2);
    cr_assert_str_eq(r.p.voice_id, "", "no voice: the tenant or platform default");
    cr_assert_str_eq(r.p.voice_name, "");
    cr_assert_str_eq(r.p.format, "wav");
    cr_assert_eq(r.p.sample_rate, 0, "0: the engine's rate");
    cr_assert_float_eq(r.p.speed, 1.0, 0);
    cr_assert_float_eq(r.p.pitch, 0.0, 0);
    cr_assert_str_eq(r.p.language_hint, "");
    cr_assert_str_eq(r.p.preference, "any");
    cr_assert_not(r.p.timestamps);
    parsed_free(&r);
}

Test(speak_request, every_field_is_taken)
{
    parsed r = speak("{\"text\":\"Hello there.\",\"voice_id\":\"vc_abc\",\"response_format\":\"opus\","
                     "\"sample_rate\":24000,\"speed\":1.25,\"pitch\":-3.5,\"language_hint\":\"en\","
                     "\"backend_preference\":\"prefer_relay\",\"timestamps\":true,\"force_async\":false}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.text, "Hello there.");
    cr_assert_str_eq(r.p.voice_id, "vc_abc");
    cr_assert_str_eq(r.p.format, "opus");
    cr_assert_eq(r.p.sample_rate, 24000);
    cr_assert_float_eq(r.p.speed, 1.25, 0);
    cr_assert_float_eq(r.p.pitch, -3.5, 0);
    cr_assert_str_eq(r.p.language_hint, "en");
    cr_assert_str_eq(r.p.preference, "prefer_relay");
    cr_assert(r.p.timestamps);
    parsed_free(&r);
    const char *formats[] = {"wav", "mp3", "opus", "flac", "pcm"};
    char body[96];
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        snprintf(body, sizeof body, "{\"text\":\"hi\",\"response_format\":\"%s\"}", formats[i]);
        r = speak(body);
        cr_assert_eq(r.rc, 0, "%s refused", formats[i]);
        cr_assert_str_eq(r.p.format, formats[i]);
        parsed_free(&r);
    }
    const char *prefs[] = {"any", "prefer_self_hosted", "prefer_relay"};
    for (size_t i = 0; i < sizeof prefs / sizeof prefs[0]; i++) {
        snprintf(body, sizeof body, "{\"text\":\"hi\",\"backend_preference\":\"%s\"}", prefs[i]);
        r = speak(body);
        cr_assert_eq(r.rc, 0, "%s refused", prefs[i]);
        cr_assert_str_eq(r.p.preference, prefs[i]);
        parsed_free(&r);
    }
}

/* One row per field error: the body, the field the detail names, a piece of
 * its message. */
static const struct {
    const char *body, *field, *needle;
} FIELD_ERRORS[] = {
    {"{}", "text", "is required"},
    {"{\"text\":5}", "text", "must be a string"},
    {"{\"text\":\"\"}", "text", "non-blank"},
    {"{\"text\":\" \\t\\r\\n \"}", "text", "non-blank"},
    {"{\"text\":\"hi\",\"voice_id\":7}", "voice_id", "voice id"},
    {"{\"text\":\"hi\",\"voice_id\":\"\"}", "voice_id", "voice id"},
    {"{\"text\":\"hi\",\"response_format\":\"aac\"}", "response_format", "wav, mp3, opus, flac, pcm"},
    {"{\"text\":\"hi\",\"response_format\":1}", "response_format", "wav, mp3, opus, flac, pcm"},
    {"{\"text\":\"hi\",\"sample_rate\":\"8000\"}", "sample_rate", "integer"},
    {"{\"text\":\"hi\",\"sample_rate\":16000.5}", "sample_rate", "integer"},
    {"{\"text\":\"hi\",\"sample_rate\":12345}", "sample_rate", "8000, 16000, 22050"},
    {"{\"text\":\"hi\",\"response_format\":\"opus\",\"sample_rate\":44100}", "sample_rate", "opus allows"},
    {"{\"text\":\"hi\",\"speed\":\"fast\"}", "speed", "must be a number"},
    {"{\"text\":\"hi\",\"speed\":3}", "speed", "must be a number"},
    {"{\"text\":\"hi\",\"pitch\":-13}", "pitch", "must be a number"},
    {"{\"text\":\"hi\",\"pitch\":true}", "pitch", "must be a number"},
    {"{\"text\":\"hi\",\"language_hint\":\"english\"}", "language_hint", "ISO 639-1"},
    {"{\"text\":\"hi\",\"language_hint\":\"EN\"}", "language_hint", "ISO 639-1"},
    {"{\"text\":\"hi\",\"language_hint\":3}", "language_hint", "ISO 639-1"},
    {"{\"text\":\"hi\",\"backend_preference\":\"fastest\"}", "backend_preference", "prefer_relay"},
    {"{\"text\":\"hi\",\"timestamps\":\"yes\"}", "timestamps", "boolean"},
    {"{\"text\":\"hi\",\"force_async\":1}", "force_async", "boolean"},
    {"{\"text\":\"hi\",\"force_async\":\"yes\"}", "force_async", "boolean"},
    {"{\"text\":\"hi\",\"save_to\":\"drive://x\"}", "save_to", "must be an object"},
    {"{\"text\":\"hi\",\"save_to\":{\"filename\":\"a.wav\"}}", "save_to.share_id", "is required"},
    {"{\"text\":\"hi\",\"sample_rte\":8000}", "sample_rte", "unknown field"},
    {"[\"text\"]", "body", "JSON object"},
    {"\"hi\"", "body", "JSON object"},
};

Test(speak_request, each_field_error_names_its_field)
{
    for (size_t i = 0; i < sizeof FIELD_ERRORS / sizeof FIELD_ERRORS[0]; i++)
        refused_once(speak, FIELD_ERRORS[i].body, FIELD_ERRORS[i].field, FIELD_ERRORS[i].needle);
}

Test(speak_request, voice_id_longer_than_its_buffer_is_refused)
{
    gw_speak_params p;
    char id[sizeof p.voice_id + 1];
    memset(id, 'v', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    char body[sizeof id + 64];
    snprintf(body, sizeof body, "{\"text\":\"hi\",\"voice_id\":\"%s\"}", id);
    refused_once(speak, body, "voice_id", "voice id");
    id[sizeof p.voice_id - 1] = '\0'; /* the longest that fits */
    snprintf(body, sizeof body, "{\"text\":\"hi\",\"voice_id\":\"%s\"}", id);
    parsed r = speak(body);
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.voice_id, id);
    parsed_free(&r);
}

Test(speak_request, speed_and_pitch_limits_are_inclusive)
{
    const struct {
        const char *field;
        double lo, hi;
    } limits[] = {{"speed", SPEED_MIN, SPEED_MAX}, {"pitch", PITCH_MIN, PITCH_MAX}};
    char body[96], want[80];
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        const double ok[] = {limits[i].lo, limits[i].hi, (limits[i].lo + limits[i].hi) / 2};
        for (size_t k = 0; k < 3; k++) {
            snprintf(body, sizeof body, "{\"text\":\"hi\",\"%s\":%.17g}", limits[i].field, ok[k]);
            parsed r = speak(body);
            cr_assert_eq(r.rc, 0, "%s refused", body);
            cr_assert_float_eq(!strcmp(limits[i].field, "speed") ? r.p.speed : r.p.pitch, ok[k], 0);
            parsed_free(&r);
        }
        snprintf(want, sizeof want, "must be a number from %g to %g", limits[i].lo, limits[i].hi);
        const double bad[] = {limits[i].lo - 0.01, limits[i].hi + 0.01, 1e300, -1e300};
        for (size_t k = 0; k < 4; k++) {
            snprintf(body, sizeof body, "{\"text\":\"hi\",\"%s\":%.17g}", limits[i].field, bad[k]);
            refused_once(speak, body, limits[i].field, want);
        }
    }
}

Test(speak_request, sample_rates_follow_the_format)
{
    const int every[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
    const int opus[] = {8000, 12000, 16000, 24000, 48000};
    char body[96];
    for (size_t i = 0; i < sizeof every / sizeof every[0]; i++) {
        snprintf(body, sizeof body, "{\"text\":\"hi\",\"sample_rate\":%d}", every[i]);
        parsed r = speak(body);
        cr_assert_eq(r.rc, 0, "%s refused", body);
        cr_assert_eq(r.p.sample_rate, every[i]);
        parsed_free(&r);
    }
    for (size_t i = 0; i < sizeof opus / sizeof opus[0]; i++) {
        snprintf(body, sizeof body, "{\"text\":\"hi\",\"response_format\":\"opus\",\"sample_rate\":%d}", opus[i]);
        parsed r = speak(body);
        cr_assert_eq(r.rc, 0, "%s refused", body);
        parsed_free(&r);
    }
    refused_once(speak, "{\"text\":\"hi\",\"sample_rate\":12000}", "sample_rate", "8000, 16000, 22050");
}

/* The 422 carries every error of the body at once, in one details list. */
Test(speak_request, every_error_comes_back_at_once)
{
    parsed r = speak("{\"text\":\"   \",\"voice_id\":7,\"response_format\":\"aac\",\"sample_rate\":\"x\","
                     "\"speed\":9,\"pitch\":99,\"language_hint\":\"english\",\"backend_preference\":\"fast\","
                     "\"timestamps\":1,\"force_async\":\"yes\",\"save_to\":\"x\",\"colour\":\"blue\"}");
    cr_assert_eq(r.rc, -1);
    const char *fields[] = {"text",          "voice_id",           "response_format", "sample_rate",
                            "speed",         "pitch",              "language_hint",   "backend_preference",
                            "timestamps",    "force_async",        "save_to",         "colour"};
    size_t n = sizeof fields / sizeof fields[0];
    cr_assert_eq(json_array_size(r.details), n, "%zu details, want %zu", json_array_size(r.details), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_not_null(message_for(&r, fields[i]), "no detail on %s", fields[i]);
    parsed_free(&r);
}

/* text is measured in Unicode code points, not bytes. */
Test(speak_request, text_length_counts_characters_not_bytes)
{
    parsed r = speak("{\"text\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}"); /* é, €, 😀 */
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.p.text_bytes, 15);
    cr_assert_eq(r.p.characters, 9);
    parsed_free(&r);

    /* TEXT_MAX_CHARS two-byte characters: accepted; one more: refused. */
    size_t n = TEXT_MAX_CHARS + 1;
    char *body = malloc(2 * n + 32);
    cr_assert_not_null(body);
    char *o = body + sprintf(body, "{\"text\":\"");
    for (size_t i = 0; i < TEXT_MAX_CHARS; i++)
        o += sprintf(o, "\xc3\xa9");
    strcpy(o, "\"}");
    r = speak(body);
    cr_assert_eq(r.rc, 0, "%d characters refused", TEXT_MAX_CHARS);
    cr_assert_eq(r.p.characters, TEXT_MAX_CHARS);
    cr_assert_eq(r.p.text_bytes, 2 * TEXT_MAX_CHARS);
    parsed_free(&r);
    strcpy(o, "x\"}");
    char want[48];
    snprintf(want, sizeof want, "at most %d characters", TEXT_MAX_CHARS);
    refused_once(speak, body, "text", want);
    free(body);
}

/* Opus has no 32 kHz (the engine's rate): without a rate it is 48 kHz. */
Test(speak_request, opus_without_a_rate_is_48k)
{
    parsed r = speak("{\"text\":\"hi\",\"response_format\":\"opus\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.p.sample_rate, 48000);
    parsed_free(&r);
    r = speak("{\"text\":\"hi\",\"response_format\":\"opus\",\"sample_rate\":24000}");
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.p.sample_rate, 24000, "a given rate is kept");
    parsed_free(&r);
    r = speak("{\"text\":\"hi\",\"response_format\":\"flac\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.p.sample_rate, 0, "other formats keep the engine's rate");
    parsed_free(&r);
}

/* --- the OpenAI alias: {model, input, voice, response_format, speed,
 * instructions, stream_format} */

static bool aac_encodable(void)
{
    ss_audio_format f;
    return ss_audio_format_parse("aac", &f) == 0;
}

Test(speak_request, openai_body_maps_to_speak_params)
{
    parsed r = openai("{\"model\":\"tts-1\",\"input\":\"Hello from an OpenAI client.\",\"voice\":\"alloy\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.text, "Hello from an OpenAI client.");
    cr_assert_str_eq(r.p.voice_name, "", "a built-in OpenAI voice: the default voice");
    cr_assert_str_eq(r.p.voice_id, "");
    cr_assert_str_eq(r.p.format, "mp3", "OpenAI's default format");
    cr_assert_eq(r.p.sample_rate, 24000, "OpenAI's rate");
    cr_assert_float_eq(r.p.speed, 1.0, 0);
    cr_assert_str_eq(r.p.preference, "any");
    cr_assert_not(r.p.sse);
    cr_assert_not(r.p.instructions_given);
    parsed_free(&r);

    r = openai("{\"input\":\"Hi.\",\"voice\":\"SLT (US English)\",\"response_format\":\"wav\",\"speed\":1.5}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.voice_name, "SLT (US English)");
    cr_assert_str_eq(r.p.openai_voice, "");
    cr_assert_str_eq(r.p.format, "wav");
    cr_assert_eq(r.p.sample_rate, 24000);
    cr_assert_float_eq(r.p.speed, 1.5, 0);
    parsed_free(&r);

    r = openai("{\"input\":\"Hi.\"}");
    cr_assert_eq(r.rc, 0, "model and voice are optional");
    cr_assert_str_eq(r.p.voice_name, "");
    parsed_free(&r);

    r = openai("{\"input\":\"Hi.\",\"user\":\"u-1\",\"colour\":\"blue\"}");
    cr_assert_eq(r.rc, 0, "fields the alias does not know are ignored");
    parsed_free(&r);

    const char *models[] = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"};
    char body[160];
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        snprintf(body, sizeof body, "{\"input\":\"Hi.\",\"model\":\"%s\"}", models[i]);
        r = openai(body);
        cr_assert_eq(r.rc, 0, "%s refused", models[i]);
        parsed_free(&r);
    }
}

Test(speak_request, openai_voice_object_is_a_voice_id)
{
    parsed r = openai("{\"input\":\"Hi.\",\"voice\":{\"id\":\"vc_abc\"}}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.voice_id, "vc_abc");
    cr_assert_str_eq(r.p.voice_name, "");
    parsed_free(&r);
    r = openai("{\"input\":\"Hi.\",\"voice\":{\"id\":\"marin\"}}");
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.p.voice_id, "", "a built-in name in an object is one too (openai_voices.h)");
    cr_assert_str_eq(r.p.openai_voice, "marin");
    parsed_free(&r);
    const char *builtins[] = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
                              "nova", "sage", "shimmer", "verse", "marin", "cedar"};
    char body[96];
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        snprintf(body, sizeof body, "{\"input\":\"Hi.\",\"voice\":\"%s\"}", builtins[i]);
        r = openai(body);
        cr_assert_eq(r.rc, 0);
        cr_assert_str_eq(r.p.voice_name, "", "%s is looked up as a display name", builtins[i]);
        cr_assert_str_eq(r.p.openai_voice, builtins[i], "%s is not kept for openai_voices", builtins[i]);
        parsed_free(&r);
    }
}

/* OpenAI's rates: 24 kHz for every format, opus at 48 kHz. */
Test(speak_request, openai_formats_and_rates)
{
    const struct {
        const char *format;
        int rate;
    } want[] = {{"mp3", 24000}, {"wav", 24000}, {"flac", 24000}, {"pcm", 24000}, {"opus", 48000}};
    char body[96];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(body, sizeof body, "{\"input\":\"hi\",\"response_format\":\"%s\"}", want[i].format);
        parsed r = openai(body);
        cr_assert_eq(r.rc, 0, "%s refused", want[i].format);
        cr_assert_str_eq(r.p.format, want[i].format);
        cr_assert_eq(r.p.sample_rate, want[i].rate, "%s at %d", want[i].format, r.p.sample_rate);
        parsed_free(&r);
    }
    if (aac_encodable()) {
        parsed r = openai("{\"input\":\"hi\",\"response_format\":\"aac\"}");
        cr_assert_eq(r.rc, 0);
        cr_assert_eq(r.p.sample_rate, 24000);
        parsed_free(&r);
    } else {
        refused_once(openai, "{\"input\":\"hi\",\"response_format\":\"aac\"}", "response_format",
                     "must be one of wav, mp3, opus, flac, pcm (aac: no encoder in this build yet)");
    }
    refused_once(speak, "{\"text\":\"hi\",\"response_format\":\"aac\"}", "response_format",
                 "must be one of wav, mp3, opus, flac, pcm");
}

Test(speak_request, openai_speed_is_openais_range)
{
    parsed r = openai("{\"input\":\"hi\",\"speed\":0.25}");
    cr_assert_eq(r.rc, 0);
    cr_assert_float_eq(r.p.speed, 0.25, 0);
    parsed_free(&r);
    r = openai("{\"input\":\"hi\",\"speed\":4}");
    cr_assert_eq(r.rc, 0);
    cr_assert_float_eq(r.p.speed, 4.0, 0);
    parsed_free(&r);
    refused_once(openai, "{\"input\":\"hi\",\"speed\":0.24}", "speed", "must be a number from 0.25 to 4");
    refused_once(openai, "{\"input\":\"hi\",\"speed\":4.01}", "speed", "must be a number from 0.25 to 4");
    refused_once(speak, "{\"text\":\"hi\",\"speed\":0.25}", "speed", "must be a number from 0.5 to 2");
}

Test(speak_request, openai_instructions_move_speed_and_pitch)
{
    parsed r = openai("{\"input\":\"hi\",\"instructions\":\"Speak very slowly, in a deep voice. Be nice.\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert(r.p.instructions_given);
    cr_assert_float_eq(r.p.speed, 0.64, 1e-9);
    cr_assert_float_eq(r.p.pitch, -3.0, 1e-9);
    cr_assert_str_eq(r.p.instructions_understood, "very slowly: speed x0.64; deep: pitch -3 st");
    parsed_free(&r);

    r = openai("{\"input\":\"hi\",\"speed\":2,\"instructions\":\"fast\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_float_eq(r.p.speed, 2.5, 1e-9, "instructions multiply the given speed");
    parsed_free(&r);

    r = openai("{\"input\":\"hi\",\"speed\":4,\"instructions\":\"very fast and energetic\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_float_eq(r.p.speed, 4.0, 0, "clamped to OpenAI's range");
    parsed_free(&r);

    r = openai("{\"input\":\"hi\",\"instructions\":\"deep, deeper, low-pitched, bass, baritone, gravelly, "
               "low voice, lower pitch, very sad\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_float_eq(r.p.pitch, -12.0, 0, "clamped to the pitch range");
    parsed_free(&r);

    r = openai("{\"input\":\"hi\",\"instructions\":\"Sound like a pirate.\"}");
    cr_assert_eq(r.rc, 0, "words that are no cue are ignored, not errors");
    cr_assert(r.p.instructions_given);
    cr_assert_str_eq(r.p.instructions_understood, "");
    cr_assert_float_eq(r.p.speed, 1.0, 0);
    cr_assert_float_eq(r.p.pitch, 0.0, 0);
    parsed_free(&r);
}

Test(speak_request, openai_stream_format)
{
    parsed r = openai("{\"input\":\"hi\",\"stream_format\":\"sse\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert(r.p.sse);
    parsed_free(&r);
    r = openai("{\"input\":\"hi\",\"stream_format\":\"audio\"}");
    cr_assert_eq(r.rc, 0);
    cr_assert_not(r.p.sse);
    parsed_free(&r);
    refused_once(openai, "{\"input\":\"hi\",\"stream_format\":\"chunked\"}", "stream_format", "audio or sse");
}

Test(speak_request, openai_errors_name_the_openai_fields)
{
    refused_once(openai, "{\"voice\":\"alloy\"}", "input", "is required");
    refused_once(openai, "{\"input\":\" \"}", "input", "non-blank");
    refused_once(openai, "{\"input\":\"hi\",\"model\":5}", "model", "must be one of tts-1, tts-1-hd");
    refused_once(openai, "{\"input\":\"hi\",\"model\":\"whisper-1\"}", "model", "gpt-4o-mini-tts");
    refused_once(openai, "{\"input\":\"hi\",\"voice\":\"\"}", "voice", "voice id or name");
    refused_once(openai, "{\"input\":\"hi\",\"voice\":3}", "voice", "voice id or name");
    refused_once(openai, "{\"input\":\"hi\",\"voice\":{\"name\":\"x\"}}", "voice", "{\"id\": a voice id}");
    refused_once(openai, "{\"input\":\"hi\",\"voice\":{\"id\":7}}", "voice", "{\"id\": a voice id}");
    refused_once(openai, "{\"input\":\"hi\",\"response_format\":\"ogg\"}", "response_format", "wav, mp3");
    refused_once(openai, "{\"input\":\"hi\",\"instructions\":5}", "instructions", "must be a string");
    refused_once(openai, "[]", "body", "JSON object");

    parsed r = openai("{\"model\":1,\"input\":2,\"voice\":\"\",\"response_format\":\"x\",\"speed\":0,"
                      "\"instructions\":[],\"stream_format\":1}");
    cr_assert_eq(r.rc, -1);
    const char *fields[] = {"model", "input", "voice", "response_format", "speed", "instructions", "stream_format"};
    size_t n = sizeof fields / sizeof fields[0];
    cr_assert_eq(json_array_size(r.details), n, "every error at once");
    for (size_t i = 0; i < n; i++)
        cr_assert_not_null(message_for(&r, fields[i]), "no detail on %s", fields[i]);
    parsed_free(&r);
}

/* The 422's message: its details in one sentence (what the OpenAI SDKs print). */
Test(speak_request, details_message_says_what_is_wrong)
{
    parsed r = openai("{\"speed\":9}");
    char msg[160];
    cr_assert_str_eq(gw_speak_details_message(r.details, msg, sizeof msg),
                     "input: is required; speed: must be a number from 0.25 to 4");
    char small[24];
    gw_speak_details_message(r.details, small, sizeof small);
    cr_assert_str_eq(small, "input: is required; ...");
    parsed_free(&r);
}
