/* Reference and consent clips judged (see voice_clips.h). */
#include "gateway/voice_clips.h"

#include "common/audio_input.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void voice_preflight_thresholds(const ss_settings *s, ss_preflight_thresholds *t)
{
    t->min_duration_s = s->preflight_min_duration_s;
    t->max_duration_s = s->preflight_max_duration_s;
    t->min_voice_activity_ratio = s->preflight_min_voice_activity_ratio;
    t->max_peak_dbfs = s->preflight_max_peak_dbfs;
    t->min_snr_db = s->preflight_min_snr_db;
}

/* Decodes and runs preflight with t. */
static voice_clip_status analyse(const uint8_t *data, size_t len, const ss_preflight_thresholds *t,
                                 ss_preflight_result *out, char *format, char *err, size_t errlen)
{
    ss_audio a;
    ss_audio_error code;
    if (ss_audio_decode(data, len, &a, &code, err, errlen) != 0)
        return code == SS_AUDIO_NO_MEMORY ? VOICE_CLIP_NO_MEMORY : VOICE_CLIP_UNREADABLE;
    snprintf(format, 32, "%s", a.format[0] ? a.format : "audio");
    int rc = ss_preflight_run(a.samples, a.nsamples, a.sample_rate, a.channels, a.peak, t, out, err, errlen);
    ss_audio_free(&a);
    return rc == 0 ? VOICE_CLIP_OK : VOICE_CLIP_UNREADABLE;
}

voice_clip_status voice_reference_judge(const uint8_t *data, size_t len, const ss_preflight_thresholds *t,
                                        ss_preflight_result *out, char *format, char *err, size_t errlen)
{
    return analyse(data, len, t, out, format, err, errlen);
}

voice_clip_status voice_consent_judge(const uint8_t *data, size_t len, double *speech_s, char *format, char *err,
                                      size_t errlen)
{
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t); /* only the figures are used */
    ss_preflight_result r;
    voice_clip_status st = analyse(data, len, &t, &r, format, err, errlen);
    *speech_s = st == VOICE_CLIP_OK ? r.voice_activity_ratio * r.duration_s : 0;
    return st;
}

void voice_sha256_hex(const void *a, size_t alen, const void *b, size_t blen, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    /* EVP fails only without memory; an empty digest string then never
     * matches anything stored */
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, a, alen) != 1 ||
        EVP_DigestUpdate(ctx, b, blen) != 1 || EVP_DigestFinal_ex(ctx, d, &dlen) != 1 || dlen != 32) {
        EVP_MD_CTX_free(ctx);
        out[0] = '\0';
        return;
    }
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static double r3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

json_t *voice_preflight_json(const ss_preflight_result *r)
{
    const char *names[SS_PREFLIGHT_NREASONS];
    size_t n = ss_preflight_fail_reasons(r, names, SS_PREFLIGHT_NREASONS);
    json_t *reasons = json_array();
    for (size_t i = 0; reasons && i < n; i++)
        if (json_array_append_new(reasons, json_string(names[i])) != 0) {
            json_decref(reasons);
            reasons = NULL;
        }
    if (!reasons)
        return NULL;
    const ss_preflight_thresholds *t = &r->thresholds;
    return json_pack("{s:b,s:f,s:f,s:f,s:f,s:i,s:i,s:o,s:{s:f,s:f,s:f,s:f,s:f}}", "passed", r->passed,
                     "duration_s", r3(r->duration_s), "voice_activity_ratio", r3(r->voice_activity_ratio),
                     "peak_dbfs", r3(r->peak_dbfs), "snr_db", r3(r->snr_db), "sample_rate", r->sample_rate,
                     "channels", r->channels, "fail_reasons", reasons, "thresholds", "min_duration_s",
                     t->min_duration_s, "max_duration_s", t->max_duration_s, "min_voice_activity_ratio",
                     t->min_voice_activity_ratio, "max_peak_dbfs", t->max_peak_dbfs, "min_snr_db",
                     t->min_snr_db);
}
