/* Model profile: speak a fixed paragraph, measure it; see model_profile.h. */
#include "node/engine/voice/model_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ss_model_profile_text =
    "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow. "
    "The rainbow is a division of white light into many beautiful colors. "
    "These take the shape of a long round arch, with its path high above, and its two ends "
    "apparently beyond the horizon. "
    "There is, according to legend, a boiling pot of gold at one end. "
    "People look, but no one ever finds it. "
    "When a man looks for something beyond his reach, his friends say he is looking for the pot "
    "of gold at the end of the rainbow. "
    "Throughout the centuries people have explained the rainbow in various ways. "
    "Some have accepted it as a miracle without physical explanation.";

int ss_model_speak(const ss_voice *v, ss_frontend *fe, const char *text, double speed, float **pcm,
                   size_t *n, char *err, size_t errlen)
{
    *pcm = NULL;
    *n = 0;
    ss_utterance *u = NULL;
    if (ss_frontend_analyze(fe, text, strlen(text), NULL, &u, err, errlen) != 0)
        return -1;
    ss_synth_options o;
    ss_synth_options_init(&o);
    o.speed = speed;
    o.sample_rate = ss_voice_native_rate(v);
    float *all = NULL;
    size_t total = 0;
    int rc = 0;
    for (size_t s = 0; s < u->n_sentences && rc == 0; s++) {
        const ss_sentence *se = &u->sentences[s];
        if (se->n_phones == 0)
            continue;
        ss_synth_result r;
        if (ss_synthesize(v, (const char *const *)se->labels, se->n_phones, &o, NULL, NULL, &r, err,
                          errlen) != 0) {
            rc = -1;
        } else {
            float *na = realloc(all, (total + r.nsamples + 1) * sizeof *na);
            if (!na) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            } else {
                all = na;
                memcpy(all + total, r.samples, r.nsamples * sizeof *all);
                total += r.nsamples;
            }
        }
        ss_synth_result_free(&r);
    }
    ss_utterance_free(u);
    if (rc != 0 || total == 0) {
        free(all);
        if (rc == 0)
            snprintf(err, errlen, "the text produced no audio");
        return -1;
    }
    *pcm = all;
    *n = total;
    return 0;
}

int ss_model_profile_compute(const ss_voice *v, ss_frontend *fe, const char *text,
                             ss_speaker_stats *out, char *err, size_t errlen)
{
    float *pcm;
    size_t n;
    if (ss_model_speak(v, fe, text ? text : ss_model_profile_text, 1.0, &pcm, &n, err, errlen) != 0)
        return -1;
    int rc = ss_speaker_stats_compute(pcm, n, ss_voice_native_rate(v), out, err, errlen);
    free(pcm);
    return rc;
}
