/* See cli_voice.h. */
#include "cli/cli_voice.h"

#include "common/audio_input.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/reference_analysis.h"
#include "node/engine/voice/voice_design.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *d = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            if (cap > SS_AUDIO_MAX_BYTES)
                break; /* the decoder reports the size */
            size_t nc = cap ? cap * 2 : 65536;
            uint8_t *nd = realloc(d, nc);
            if (!nd) {
                free(d);
                fclose(f);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            d = nd;
            cap = nc;
        }
        size_t got = fread(d + *len, 1, cap - *len, f);
        *len += got;
        if (!got)
            break;
    }
    fclose(f);
    return d;
}

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
    uint8_t *data = NULL; /* read before the (slower) model profile */
    if (voice_ref && !(data = read_file(voice_ref, &len, err, errlen)))
        return -1;
    ss_speaker_stats model;
    if (ss_model_profile_compute(base, fe, NULL, &model, err, errlen) != 0) {
        free(data);
        return -1;
    }
    double alpha = ss_voice_mcp_alpha(base);
    int rc = design ? ss_voice_design_parse(design, model.lf0_mean, alpha, cond, NULL, err, errlen)
                    : ss_reference_condition(data, len, &model, alpha, cond, NULL, NULL, 0, err, errlen);
    free(data);
    if (rc != 0)
        return -1;
    *out = ss_conditioned_voice_new(base, cond, NULL, err, errlen);
    return *out ? 0 : -1;
}
