/* libFuzzer target: the `open` message of /stream/speak (gateway/ws_open.c,
 * ws_open_parse) on arbitrary JSON bytes, parsed the way ws_session.c gets a
 * client message (json_loadb, no flags). An accepted open must hold only what
 * ws_open.h promises: speed within /speak's limits, opus at 48000 Hz or pcm
 * at one of the listed rates, a known backend preference, a two-letter
 * language hint or none, NUL-terminated strings; a sample rate or speed the
 * client gave is the one accepted (never a wrapped or rounded other value).
 * A refusal must say why. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/synth_limits.h"
#include "gateway/ws_open.h"

static int pcm_rate_listed(int rate)
{
    static const int RATES[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof RATES / sizeof RATES[0]; i++)
        if (rate == RATES[i])
            return 1;
    return 0;
}

static int preference_known(const char *s)
{
    return !strcmp(s, "any") || !strcmp(s, "prefer_self_hosted") || !strcmp(s, "prefer_relay");
}

static void check_accepted(const ws_open_params *p)
{
    if (!(p->speed >= SS_SPEED_MIN && p->speed <= SS_SPEED_MAX))
        __builtin_trap();
    if (p->opus ? p->sample_rate != 48000 : !pcm_rate_listed(p->sample_rate))
        __builtin_trap();
    if (memchr(p->voice_id, '\0', sizeof p->voice_id) == NULL ||
        memchr(p->language_hint, '\0', sizeof p->language_hint) == NULL ||
        memchr(p->preference, '\0', sizeof p->preference) == NULL)
        __builtin_trap();
    size_t lang = strlen(p->language_hint);
    if (lang != 0 && lang != 2)
        __builtin_trap();
    if (!preference_known(p->preference))
        __builtin_trap();
}

/* What the client sent is what was accepted. */
static void check_as_sent(const json_t *msg, const ws_open_params *p)
{
    const json_t *rate = json_object_get(json_object_get(msg, "output"), "sample_rate");
    if (rate && (!json_is_integer(rate) || json_integer_value(rate) != p->sample_rate))
        __builtin_trap();
    const json_t *speed = json_object_get(msg, "speed");
    if (speed && json_number_value(speed) != p->speed)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *msg = json_loadb((const char *)data, size, 0, NULL);
    if (!msg)
        return 0;
    ws_open_params p;
    ws_open_problem pb;
    if (ws_open_parse(msg, &p, &pb) == 0) {
        check_accepted(&p);
        check_as_sent(msg, &p);
    } else if (pb.message[0] == '\0' || memchr(pb.message, '\0', sizeof pb.message) == NULL ||
               memchr(pb.field, '\0', sizeof pb.field) == NULL)
        __builtin_trap(); /* a refusal always says why, and about which field */
    json_decref(msg);
    return 0;
}
