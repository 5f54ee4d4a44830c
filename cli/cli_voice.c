/* See cli_voice.h. */
#include "cli/cli_voice.h"

#include "cli/cli_files.h"
#include "common/audio_input.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/reference_analysis.h"
#include "node/engine/voice/voice_design.h"

#include <stdio.h>
#include <stdlib.h>

/* The conditioning toward the clip at path (analysed here). */
static int from_clip(const ss_speaker_stats *model, double alpha, const char *path, ss_conditioning *cond,
                     char *err, size_t errlen)
{
    size_t len = 0;
    char *data = ss_cli_read_file(path, SS_AUDIO_MAX_BYTES, &len, err, errlen);
    if (!data)
        return -1;
    int rc = ss_reference_condition((const uint8_t *)data, len, model, alpha, cond, NULL, NULL, 0, err, errlen);
    free(data);
    return rc;
}

int ss_cli_conditioned_voice(const ss_voice *base, const ss_speaker_stats *model, const char *voice_ref,
                             const ss_speaker_stats *ref_stats, const char *design, ss_voice **out,
                             ss_conditioning *cond, char *err, size_t errlen)
{
    *out = NULL;
    if (!voice_ref == !design) {
        snprintf(err, errlen, "give either a reference clip or a design prompt");
        return -1;
    }
    const double alpha = ss_voice_mcp_alpha(base);
    char msg[384];
    int rc;
    if (design)
        rc = ss_voice_design_parse(design, model->lf0_mean, alpha, cond, NULL, err, errlen);
    else if (!ref_stats)
        rc = from_clip(model, alpha, voice_ref, cond, err, errlen);
    else if ((rc = ss_conditioning_fit(model, ref_stats, alpha, cond, msg, sizeof msg)) != 0)
        snprintf(err, errlen, "analysis_failed: fit_failed: %s", msg); /* as ss_reference_condition says it */
    if (rc != 0)
        return -1;
    *out = ss_conditioned_voice_new(base, cond, NULL, err, errlen);
    return *out ? 0 : -1;
}
