/* libFuzzer target: /speak and OpenAI /v1/audio/speech request validation
 * (gateway/speak_request.c) on arbitrary JSON bytes. The first byte picks
 * the dialect (odd: the OpenAI alias, so its seeds start with "!"; even:
 * /speak, seeds start with " "); the rest is parsed the way the gateway
 * parses a body. An accepted request must carry text and, through the
 * alias, a speed and pitch within the alias's ranges (0.25..4, -12..12 st)
 * whatever its instructions multiplied them by. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/synth_limits.h"
#include "gateway/speak_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    json_t *body = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    if (!body)
        return 0;
    gw_speak_params p;
    json_t *details = NULL;
    int rc = data[0] & 1 ? gw_speak_params_parse_openai(body, &p, &details)
                         : gw_speak_params_parse(body, &p, &details);
    if (rc == 0 && p.text_bytes && !p.text)
        __builtin_trap(); /* accepted text must point somewhere */
    if (rc == 0 && (data[0] & 1) &&
        !(p.speed >= SS_OPENAI_SPEED_MIN && p.speed <= SS_OPENAI_SPEED_MAX && p.pitch >= SS_PITCH_MIN &&
          p.pitch <= SS_PITCH_MAX))
        __builtin_trap();
    json_decref(details);
    json_decref(body);
    return 0;
}
