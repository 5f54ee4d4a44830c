/* OpenAI's built-in voice names on the alias (POST /v1/audio/speech with
 * voice "onyx"): which voice of the library each one means (see
 * openai_voices.c). */
#ifndef SS_GATEWAY_OPENAI_VOICES_H
#define SS_GATEWAY_OPENAI_VOICES_H

#include <stdbool.h>
#include <stddef.h>

#define GW_OPENAI_VOICE_NAMES 13
#define GW_OPENAI_VOICE_ID_MAX 72 /* gw_speak_params.voice_id */

/* The parsed openai_voices setting: id[i] for the i-th built-in name, ""
 * where the setting does not list it (the platform default voice). */
typedef struct {
    char id[GW_OPENAI_VOICE_NAMES][GW_OPENAI_VOICE_ID_MAX];
} gw_openai_voices;

/* Whether name is one of OpenAI's built-in voice names. */
bool gw_openai_voice_name(const char *name);

/* Parses "name=voice_id,name=voice_id,..." (spaces around items allowed;
 * "" lists none): each name one of OpenAI's, at most once; each id 1..71
 * of [A-Za-z0-9_-]. 0, or -1 + err naming the bad item. */
int gw_openai_voices_parse(const char *spec, gw_openai_voices *out, char *err, size_t errlen);

/* The voice id the built-in name means, or NULL: the default voice (also
 * for a name that is not a built-in one). */
const char *gw_openai_voice_id(const gw_openai_voices *v, const char *name);

#endif
