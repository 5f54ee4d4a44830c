/* libFuzzer target: reference audio decoding (common/audio_input.c and
 * audio_input_vorbis.c: WAV, FLAC, MP3, Ogg Opus through libsndfile, Ogg
 * Vorbis through libvorbisfile) followed by the preflight analysis
 * (common/preflight.c) on whatever decoded. Under LeakSanitizer this is the
 * proof that malformed Ogg Vorbis no longer leaks (issue 15, finding 2). */
#include <stddef.h>
#include <stdint.h>

#include "common/audio_input.h"
#include "common/preflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_audio a;
    ss_audio_error code;
    char err[256];
    if (ss_audio_decode(data, size, &a, &code, err, sizeof err) != 0) {
        if (a.samples || !err[0])
            __builtin_trap(); /* a failure leaves nothing and says why */
        return 0;
    }
    ss_preflight_thresholds t;
    ss_preflight_thresholds_default(&t);
    ss_preflight_result r;
    ss_preflight_run(a.samples, a.nsamples, a.sample_rate, a.channels, a.peak, &t, &r, err,
                     sizeof err);
    ss_audio_free(&a);
    return 0;
}
