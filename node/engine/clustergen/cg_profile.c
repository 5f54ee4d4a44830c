/* A clustergen voice's own statistics; see cg_profile.h. */
#include "node/engine/clustergen/cg_profile.h"

#include "node/engine/clustergen/cg_synth.h"
#include "node/engine/voice/model_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends the audio of one sentence to *all (*n samples). */
static int append(float **all, size_t *n, const ss_cg_audio *a, char *err, size_t errlen)
{
    float *na = realloc(*all, (*n + a->nsamples + 1) * sizeof *na);
    if (!na) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(na + *n, a->samples, a->nsamples * sizeof *na);
    *all = na;
    *n += a->nsamples;
    return 0;
}

int ss_cg_profile_compute(ss_cg_voice *v, ss_speaker_stats *out, char *err, size_t errlen)
{
    const ss_cg_options opt = {.duration_scale = 1.0, .f0_scale = 1.0};
    const char *t = ss_model_profile_text;
    float *all = NULL;
    size_t n = 0;
    int rc = 0;
    while (rc == 0 && *t) {
        /* sentences end at ". " in the paragraph (it has no abbreviations) */
        const char *dot = strstr(t, ". ");
        size_t len = dot ? (size_t)(dot - t) + 1 : strlen(t);
        char *sentence = strndup(t, len);
        if (!sentence) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        ss_cg_audio a;
        rc = ss_cg_synthesize(v, sentence, &opt, &a, err, errlen);
        free(sentence);
        if (rc == 0) {
            rc = append(&all, &n, &a, err, errlen);
            ss_cg_audio_free(&a);
        }
        t += len;
        while (*t == ' ')
            t++;
    }
    if (rc == 0)
        rc = ss_speaker_stats_compute(all, n, v->db->sample_rate, out, err, errlen);
    free(all);
    return rc;
}
