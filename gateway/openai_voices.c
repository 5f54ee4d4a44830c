/* OpenAI's built-in voice names on the OpenAI-compatible alias.
 *
 * Clients written for OpenAI send one of its built-in names (alloy, ash,
 * ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, marin,
 * cedar) and expect that voice's character, male or female. We have no
 * such voices; the openai_voices setting (gateway) maps each name to a
 * voice of the library, by id, and a name it does not list means the
 * platform default voice (vc_platform_slt, female). The default setting
 * sends the names OpenAI describes as male voices to the male engine
 * voices: ash, cedar, echo, onyx and verse to rms (US), ballad and fable
 * (OpenAI's British-accented ones) to awb (Scottish); the female and
 * neutral names stay with the default. An operator whose nodes serve no
 * clustergen voices (node setting cg_voices empty) sets it empty: a listed
 * voice no node serves is answered 502 naming its engine, never replaced.
 *
 * The setting is parsed once at start (main_gateway.c refuses to start on
 * a bad one); the table is read-only afterwards. */
#include "gateway/openai_voices.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const NAMES[GW_OPENAI_VOICE_NAMES] = {
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar",
};

static int name_index(const char *name, size_t len)
{
    for (int i = 0; i < GW_OPENAI_VOICE_NAMES; i++)
        if (strlen(NAMES[i]) == len && !strncmp(NAMES[i], name, len))
            return i;
    return -1;
}

bool gw_openai_voice_name(const char *name)
{
    return name_index(name, strlen(name)) >= 0;
}

static bool id_ok(const char *id, size_t len)
{
    if (len == 0 || len >= GW_OPENAI_VOICE_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

/* One "name=voice_id" item, spaces trimmed, into out. */
static int parse_item(const char *item, size_t len, gw_openai_voices *out, char *err, size_t errlen)
{
    while (len && isspace((unsigned char)*item))
        item++, len--;
    while (len && isspace((unsigned char)item[len - 1]))
        len--;
    const char *eq = memchr(item, '=', len);
    if (!eq) {
        snprintf(err, errlen, "'%.*s' is not name=voice_id", (int)(len > 64 ? 64 : len), item);
        return -1;
    }
    const size_t nlen = (size_t)(eq - item), ilen = len - nlen - 1;
    const int k = name_index(item, nlen);
    if (k < 0) {
        snprintf(err, errlen, "'%.*s' is not one of OpenAI's voice names", (int)(nlen > 32 ? 32 : nlen), item);
        return -1;
    }
    if (out->id[k][0]) {
        snprintf(err, errlen, "%s is listed twice", NAMES[k]);
        return -1;
    }
    if (!id_ok(eq + 1, ilen)) {
        snprintf(err, errlen, "%s: the voice id must be 1 to %d letters, digits, '_' or '-'", NAMES[k],
                 GW_OPENAI_VOICE_ID_MAX - 1);
        return -1;
    }
    memcpy(out->id[k], eq + 1, ilen);
    out->id[k][ilen] = '\0';
    return 0;
}

int gw_openai_voices_parse(const char *spec, gw_openai_voices *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !spec[strspn(spec, " \t")])
        return 0; /* empty: lists none */
    for (const char *p = spec;;) {
        const char *q = strchr(p, ',');
        if (parse_item(p, q ? (size_t)(q - p) : strlen(p), out, err, errlen) != 0)
            return -1;
        if (!q)
            return 0;
        p = q + 1;
    }
}

const char *gw_openai_voice_id(const gw_openai_voices *v, const char *name)
{
    int k = name_index(name, strlen(name));
    return k >= 0 && v->id[k][0] ? v->id[k] : NULL;
}
