/* See cli_voice.h. */
#include "cli/cli_voice.h"

#include "cli/cli_files.h"
#include "common/audio_input.h"

#include <stdio.h>
#include <stdlib.h>

int ss_cli_conditioned_voice(const ss_voice *base, ss_frontend *fe, const char *voice_ref,
                             const char *design, ss_voice **out, ss_conditioning *cond, char *err,
                             size_t errlen)
{
    *out = NULL;
    if (!voice_ref == !design) {
        snprintf(err, errlen, "give either a reference clip or a design prompt");
        return -1;
    }
    size_t len = 0;
    char *data = NULL; /* read before the (slower) model profile */
    if (voice_ref && !(data = ss_cli_read_file(voice_ref, SS_AUDIO_MAX_BYTES, &len, err, errlen)))
        return -1;
    ss_conditioner *c = ss_conditioner_new(base, fe, err, errlen);
    int rc = -1;
    if (c)
        rc = design ? ss_conditioner_from_prompt(c, design, cond, NULL, err, errlen)
                    : ss_conditioner_from_reference(c, (const uint8_t *)data, len, cond, NULL, NULL, 0, err,
                                                    errlen);
    ss_conditioner_free(c);
    free(data);
    if (rc != 0)
        return -1;
    *out = ss_conditioned_voice_new(base, cond, NULL, err, errlen);
    return *out ? 0 : -1;
}
