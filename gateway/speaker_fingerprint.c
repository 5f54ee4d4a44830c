/* Speaker fingerprints (see speaker_fingerprint.h). */
#include "gateway/speaker_fingerprint.h"

#include "node/engine/voice/speaker_stats.h"

#include <math.h>
#include <stdio.h>

int speaker_fingerprint_of(const float *x, size_t n, int rate, speaker_fingerprint *out, char *err, size_t errlen)
{
    ss_speaker_stats st;
    if (ss_speaker_stats_compute(x, n, rate, &st, err, errlen) != 0)
        return -1;
    out->lf0_mean = st.lf0_mean;
    out->lf0_std = st.lf0_std;
    for (int k = 0; k < SPEAKER_FP_CEPS; k++)
        out->ceps[k] = st.lta_mcep[k + 1];
    return 0;
}

json_t *speaker_fingerprint_json(const speaker_fingerprint *fp)
{
    json_t *ceps = json_array();
    for (int k = 0; ceps && k < SPEAKER_FP_CEPS; k++)
        if (json_array_append_new(ceps, json_real(fp->ceps[k])) != 0) {
            json_decref(ceps);
            return NULL;
        }
    return ceps ? json_pack("{s:i,s:f,s:f,s:o}", "v", 1, "lf0_mean", fp->lf0_mean, "lf0_std", fp->lf0_std, "ceps",
                            ceps)
                : NULL;
}

int speaker_fingerprint_from_json(const json_t *j, speaker_fingerprint *out)
{
    json_t *ceps = json_object_get(j, "ceps");
    if (json_integer_value(json_object_get(j, "v")) != 1 || !json_is_number(json_object_get(j, "lf0_mean")) ||
        !json_is_number(json_object_get(j, "lf0_std")) || json_array_size(ceps) != SPEAKER_FP_CEPS)
        return -1;
    out->lf0_mean = json_number_value(json_object_get(j, "lf0_mean"));
    out->lf0_std = json_number_value(json_object_get(j, "lf0_std"));
    for (int k = 0; k < SPEAKER_FP_CEPS; k++) {
        json_t *c = json_array_get(ceps, (size_t)k);
        if (!json_is_number(c))
            return -1;
        out->ceps[k] = json_number_value(c);
    }
    return 0;
}

void speaker_fingerprint_distance(const speaker_fingerprint *a, const speaker_fingerprint *b, double *f0_st,
                                  double *mcd_db)
{
    *f0_st = fabs(a->lf0_mean - b->lf0_mean) * 12.0 / log(2.0);
    double sum = 0;
    for (int k = 0; k < SPEAKER_FP_CEPS; k++) {
        double d = a->ceps[k] - b->ceps[k];
        sum += d * d;
    }
    *mcd_db = 10.0 / log(10.0) * sqrt(2.0 * sum);
}

bool speaker_fingerprint_matches(const speaker_fingerprint *a, const speaker_fingerprint *b)
{
    double f0, mcd;
    speaker_fingerprint_distance(a, b, &f0, &mcd);
    return f0 < SPEAKER_F0_MAX_ST && mcd < SPEAKER_MCD_MAX_DB;
}
