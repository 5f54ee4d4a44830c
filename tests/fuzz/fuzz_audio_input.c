/* libFuzzer target: reference audio decoding (common/audio_input.c and
 * audio_input_vorbis.c: WAV, FLAC, MP3, Ogg Opus through libsndfile, Ogg
 * Vorbis through libvorbisfile) followed by the preflight analysis
 * (common/preflight.c) on whatever decoded. Under LeakSanitizer this is the
 * proof that malformed Ogg Vorbis no longer leaks (issue 15, finding 2).
 *
 * Then the same bytes go the way POST /voices takes them
 * (gateway/voice_clips.c): as a reference (decode + preflight against
 * thresholds + the API's preflight block) and as a consent clip (seconds of
 * speech); whatever the input, the outcome must be one of the documented
 * ones: unreadable with a reason, or figures whose fail_reasons are the
 * spec's names and whose block is complete. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/audio_input.h"
#include "common/preflight.h"
#include "gateway/voice_clips.h"

static void gateway_path(const uint8_t *data, size_t size, const ss_preflight_thresholds *t)
{
    ss_preflight_result r;
    char format[32], err[256] = "";
    voice_clip_status st = voice_reference_judge(data, size, t, &r, format, err, sizeof err);
    if (st == VOICE_CLIP_UNREADABLE && !err[0])
        __builtin_trap(); /* unreadable always says why */
    if (st == VOICE_CLIP_OK) {
        json_t *block = voice_preflight_json(&r);
        if (block) {
            json_t *reasons = json_object_get(block, "fail_reasons");
            if (!json_is_array(reasons) || json_array_size(reasons) > SS_PREFLIGHT_NREASONS ||
                json_is_true(json_object_get(block, "passed")) != (json_array_size(reasons) == 0) ||
                !json_object_get(block, "thresholds"))
                __builtin_trap();
            json_decref(block);
        }
    }
    double speech = -1;
    err[0] = '\0';
    st = voice_consent_judge(data, size, &speech, format, err, sizeof err);
    if (st == VOICE_CLIP_OK && (!(speech >= 0) || !isfinite(speech)))
        __builtin_trap(); /* seconds of speech are a number >= 0 */
    if (st == VOICE_CLIP_UNREADABLE && !err[0])
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_audio a;
    ss_audio_error code;
    char err[256];
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t);
    if (ss_audio_decode(data, size, &a, &code, err, sizeof err) != 0) {
        if (a.samples || !err[0])
            __builtin_trap(); /* a failure leaves nothing and says why */
    } else {
        ss_preflight_result r;
        ss_preflight_run(a.samples, a.nsamples, a.sample_rate, a.channels, a.peak, &t, &r, err,
                         sizeof err);
        ss_audio_free(&a);
    }
    gateway_path(data, size, &t);
    return 0;
}
