/* libFuzzer target: OpenAI's `instructions` text read into speed and pitch
 * (gateway/openai_instructions.c), alone and through the alias's body parser
 * (gateway/speak_request.c, gw_speak_params_parse_openai) that clamps it.
 * The input bytes are the instructions. What openai_instructions.h promises
 * is checked: the speed factor is a product of positive cue factors (finite,
 * above zero), the pitch a finite sum, and with nothing understood they are
 * 1 and 0; the report is a NUL-terminated string. Through the alias, an
 * accepted request ends within the route's ranges (speed 0.25..4, pitch
 * -12..12) and carries the same report. */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/synth_limits.h"
#include "gateway/openai_instructions.h"
#include "gateway/speak_request.h"

static void check_read(const gw_openai_instructions *in)
{
    if (!isfinite(in->speed_factor) || !(in->speed_factor > 0) || !isfinite(in->pitch_semitones))
        __builtin_trap();
    if (memchr(in->understood, '\0', sizeof in->understood) == NULL)
        __builtin_trap();
    if (in->understood[0] == '\0' && (in->speed_factor != 1 || in->pitch_semitones != 0))
        __builtin_trap(); /* a change nobody is told about */
}

/* The same text as the alias's instructions, next to a given speed. */
static void check_through_alias(const char *text, size_t len, const gw_openai_instructions *alone)
{
    json_t *body = json_pack("{s:s, s:s, s:s%, s:f}", "input", "Hello.", "voice", "alloy", "instructions", text,
                             len, "speed", 2.0);
    if (!body)
        return; /* not UTF-8: jansson refuses it, as json_loadb would */
    gw_speak_params p;
    json_t *details = NULL;
    if (gw_speak_params_parse_openai(body, &p, &details) == 0) {
        if (!(p.speed >= SS_OPENAI_SPEED_MIN && p.speed <= SS_OPENAI_SPEED_MAX))
            __builtin_trap();
        if (!(p.pitch >= SS_PITCH_MIN && p.pitch <= SS_PITCH_MAX))
            __builtin_trap();
        if (!p.instructions_given || strcmp(p.instructions_understood, alone->understood) != 0)
            __builtin_trap();
    }
    json_decref(details);
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_openai_instructions in;
    gw_openai_instructions_read((const char *)data, size, &in);
    check_read(&in);
    check_through_alias((const char *)data, size, &in);
    return 0;
}
