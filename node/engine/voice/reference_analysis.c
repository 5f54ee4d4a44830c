/* Reference clip -> conditioning; see reference_analysis.h. */
#include "node/engine/voice/reference_analysis.h"

#include "common/audio_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(char *reason, size_t reasonlen, char *err, size_t errlen, const char *why,
                  const char *detail)
{
    if (reason)
        snprintf(reason, reasonlen, "%s", why);
    snprintf(err, errlen, "analysis_failed: %s: %s", why, detail);
    return -1;
}

static double clipped_share(const ss_audio *a)
{
    if (a->peak < 0.99f)
        return 0.0;
    size_t near = 0, active = 0;
    float lim = 0.98f * a->peak;
    for (size_t i = 0; i < a->nsamples; i++) {
        float v = fabsf(a->samples[i]);
        if (v > 0.01f)
            active++;
        if (v >= lim)
            near++;
    }
    return active ? (double)near / (double)active : 0.0;
}

int ss_reference_condition(const uint8_t *data, size_t len, const ss_speaker_stats *model,
                           double model_alpha, ss_conditioning *out, ss_reference_report *rep,
                           char *reason, size_t reasonlen, char *err, size_t errlen)
{
    ss_reference_report local;
    if (!rep)
        rep = &local;
    if (ss_reference_analyse(data, len, rep, reason, reasonlen, err, errlen) != 0)
        return -1;
    char msg[384];
    if (ss_conditioning_fit(model, &rep->stats, model_alpha, out, msg, sizeof msg) != 0)
        return failed(reason, reasonlen, err, errlen, "fit_failed", msg);
    return 0;
}

int ss_reference_analyse(const uint8_t *data, size_t len, ss_reference_report *rep, char *reason,
                         size_t reasonlen, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    ss_audio a;
    ss_audio_error code;
    char msg[384];
    if (ss_audio_decode(data, len, &a, &code, msg, sizeof msg) != 0)
        return failed(reason, reasonlen, err, errlen, ss_audio_error_name(code), msg);
    snprintf(rep->format, sizeof rep->format, "%s", a.format);
    int rc = -1;
    ss_preflight_thresholds th;
    ss_preflight_thresholds_default(&th);
    if (ss_preflight_run(a.samples, a.nsamples, a.sample_rate, a.channels, a.peak, &th,
                         &rep->preflight, msg, sizeof msg) != 0) {
        failed(reason, reasonlen, err, errlen, "empty", msg);
        goto out;
    }
    rep->have_preflight = 1;
    const ss_preflight_result *p = &rep->preflight;
    rep->clipped_ratio = clipped_share(&a);
    if (p->duration_s < 2.0) {
        snprintf(msg, sizeof msg, "%.2f s of audio, need at least 2 s", p->duration_s);
        failed(reason, reasonlen, err, errlen, "too_short", msg);
        goto out;
    }
    if (p->peak_dbfs < -60.0) {
        snprintf(msg, sizeof msg, "peak %.1f dBFS", p->peak_dbfs);
        failed(reason, reasonlen, err, errlen, "silent", msg);
        goto out;
    }
    if (p->voice_activity_ratio < 0.1 || p->snr_db < 5.0) {
        snprintf(msg, sizeof msg, "voice activity %.2f, SNR %.1f dB", p->voice_activity_ratio, p->snr_db);
        failed(reason, reasonlen, err, errlen, "noise_only", msg);
        goto out;
    }
    if (rep->clipped_ratio >= 0.01) {
        snprintf(msg, sizeof msg, "%.1f %% of the speech samples at full scale", 100 * rep->clipped_ratio);
        failed(reason, reasonlen, err, errlen, "clipped", msg);
        goto out;
    }
    if (ss_speaker_stats_compute(a.samples, a.nsamples, a.sample_rate, &rep->stats, msg, sizeof msg) != 0) {
        failed(reason, reasonlen, err, errlen,
               strstr(msg, "voiced") ? "too_little_voiced_speech" : "analysis_error", msg);
        goto out;
    }
    rc = 0;
out:
    ss_audio_free(&a);
    return rc;
}
