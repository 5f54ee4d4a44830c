/* The open message of /stream/speak (see ws_open.h): one small reader per
 * field, in a table; the first refusal is reported, with the field it is
 * about. */
#include "gateway/ws_open.h"

#include "common/synth_limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef int (*field_reader)(const json_t *v, ws_open_params *p, ws_open_problem *pb);

/* Records the refusal of `field`; returns -1. */
static int refuse(ws_open_problem *pb, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(ws_open_problem *pb, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    snprintf(pb->field, sizeof pb->field, "%s", field);
    vsnprintf(pb->message, sizeof pb->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_type(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    (void)v;
    (void)p;
    (void)pb;
    return 0; /* the dispatcher already matched it */
}

static int read_voice(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= sizeof p->voice_id) {
        return refuse(pb, "voice_id", "voice_id must be a voice id");
    }
    snprintf(p->voice_id, sizeof p->voice_id, "%s", s);
    return 0;
}

static int read_language(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z') {
        return refuse(pb, "language_hint", "language_hint must be an ISO 639-1 code such as \"en\"");
    }
    snprintf(p->language_hint, sizeof p->language_hint, "%s", s);
    return 0;
}

static int read_speed(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    char msg[120];
    if (!json_is_number(v) || !ss_speed_ok(json_number_value(v), msg, sizeof msg))
        return refuse(pb, "speed", "speed %s", json_is_number(v) ? msg : "must be a number from 0.5 to 2");
    p->speed = json_number_value(v);
    return 0;
}

static int read_output(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    const char *key;
    json_t *f;
    char field[sizeof pb->field];
    if (!json_is_object(v))
        return refuse(pb, "output", "output must be an object {codec, sample_rate}");
    json_object_foreach((json_t *)v, key, f) {
        if (strcmp(key, "codec") != 0 && strcmp(key, "sample_rate") != 0) {
            snprintf(field, sizeof field, "output.%s", key);
            return refuse(pb, field, "output.%s is not a field (codec, sample_rate)", key);
        }
    }
    const json_t *codec = json_object_get(v, "codec"), *rate = json_object_get(v, "sample_rate");
    const char *c = codec ? json_string_value(codec) : "opus";
    if (!c || (strcmp(c, "opus") != 0 && strcmp(c, "pcm") != 0))
        return refuse(pb, "output.codec", "output.codec must be \"opus\" or \"pcm\"");
    p->opus = !strcmp(c, "opus");
    p->sample_rate = p->opus ? 48000 : 24000;
    if (!rate)
        return 0;
    json_int_t r = json_is_integer(rate) ? json_integer_value(rate) : 0;
    if (r < 0 || r > 1000000)
        r = 0; /* out of int's range: (int)r could wrap onto an allowed rate */
    if (p->opus ? r != 48000 : !ss_audio_rate_allowed(SS_FMT_PCM, (int)r))
        return refuse(pb, "output.sample_rate", "%s",
                      p->opus ? "output.sample_rate must be 48000 for opus (raw Opus packets are 48 kHz)"
                              : "output.sample_rate must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000");
    p->sample_rate = (int)r;
    return 0;
}

static int read_preference(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    const char *s = json_string_value(v);
    if (!s || (strcmp(s, "any") != 0 && strcmp(s, "prefer_self_hosted") != 0 && strcmp(s, "prefer_relay") != 0)) {
        return refuse(pb, "backend_preference", "backend_preference must be any, prefer_self_hosted or prefer_relay");
    }
    snprintf(p->preference, sizeof p->preference, "%s", s);
    return 0;
}

static int read_timestamps(const json_t *v, ws_open_params *p, ws_open_problem *pb)
{
    if (!json_is_boolean(v))
        return refuse(pb, "timestamps", "timestamps must be true or false");
    p->timestamps = json_is_true(v);
    return 0;
}

static const struct {
    const char *name;
    field_reader read;
} FIELDS[] = {
    {"type", read_type},
    {"voice_id", read_voice},
    {"language_hint", read_language},
    {"speed", read_speed},
    {"output", read_output},
    {"backend_preference", read_preference},
    {"timestamps", read_timestamps},
};

int ws_open_parse(const json_t *msg, ws_open_params *out, ws_open_problem *problem)
{
    memset(problem, 0, sizeof *problem);
    memset(out, 0, sizeof *out);
    out->speed = 1.0;
    out->opus = true;
    out->sample_rate = 48000;
    snprintf(out->preference, sizeof out->preference, "any");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)msg, key, v) {
        size_t i = 0;
        while (i < sizeof FIELDS / sizeof FIELDS[0] && strcmp(FIELDS[i].name, key) != 0)
            i++;
        if (i == sizeof FIELDS / sizeof FIELDS[0])
            return refuse(problem, key, "open has no field %s", key);
        if (FIELDS[i].read(v, out, problem) != 0)
            return -1;
    }
    return 0;
}
