/* Unit tests for node/engine/clustergen: each flite clustergen voice (rms,
 * awb, slt) loads from its Debian library and speaks through our pipeline;
 * phone times are monotonic and cover the audio; speed and pitch act; a
 * voice that does not exist is refused with a message. */
#include "node/engine/clustergen/cg_synth.h"
#include "node/engine/voice/pitch_tracker.h"
#include "tests/unit/cg_test_voice.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>


static void speak(ss_cg_voice *v, double duration_scale, double f0_scale, ss_cg_audio *a)
{
    char err[256];
    ss_cg_options opt = {.duration_scale = duration_scale, .f0_scale = f0_scale};
    cr_assert_eq(ss_cg_synthesize(v, sentence, &opt, a, err, sizeof err), 0, "%s", err);
}

/* Median voiced F0 (Hz) of the audio, by our pitch tracker. */
static double median_f0(const ss_cg_audio *a)
{
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    ss_pitch_track t;
    char err[128];
    cr_assert_eq(ss_pitch_track_compute(a->samples, a->nsamples, a->rate, &o, &t, err, sizeof err), 0);
    float v[t.nframes ? t.nframes : 1];
    size_t n = 0;
    for (size_t i = 0; i < t.nframes; i++)
        if (t.f0[i] > 0)
            v[n++] = t.f0[i];
    ss_pitch_track_free(&t);
    cr_assert_gt(n, 20);
    for (size_t i = 1; i < n; i++) /* insertion sort: a few hundred frames */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            float x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[n / 2];
}

static void check_voice(const char *name, double f0_lo, double f0_hi)
{
    ss_cg_voice *v = load(name);
    ss_cg_audio a, fast, high;
    speak(v, 1.0, 1.0, &a);
    cr_assert_eq(a.rate, 16000);
    double secs = (double)a.nsamples / a.rate;
    cr_assert(secs > 1.5 && secs < 5.0, "%s: %.2f s", name, secs);
    double peak = 0;
    for (size_t i = 0; i < a.nsamples; i++)
        peak = fmax(peak, fabs(a.samples[i]));
    cr_assert(peak > 0.05 && peak < 1.0, "%s: peak %.3f", name, peak);

    cr_assert_gt(a.nphones, 20);
    cr_assert_eq(a.phones[0].start, 0.0);
    for (size_t i = 0; i < a.nphones; i++) {
        cr_assert_leq(a.phones[i].start, a.phones[i].end, "%s phone %zu", name, i);
        if (i)
            cr_assert_eq(a.phones[i].start, a.phones[i - 1].end);
    }
    cr_assert(fabs(a.phones[a.nphones - 1].end - secs) <= 0.011, "%s: phones end %.3f, audio %.3f",
              name, a.phones[a.nphones - 1].end, secs);

    double f0 = median_f0(&a);
    cr_assert(f0 > f0_lo && f0 < f0_hi, "%s: median F0 %.1f", name, f0);

    speak(v, 0.5, 1.0, &fast);
    double ratio = (double)fast.nsamples / a.nsamples;
    cr_assert(ratio > 0.45 && ratio < 0.65, "%s: speed 2 gives %.2f of the length", name, ratio);

    speak(v, 1.0, 1.26, &high); /* +4 semitones */
    double up = 12.0 * log2(median_f0(&high) / f0);
    cr_assert(up > 2.0 && up < 6.0, "%s: pitch x1.26 moved F0 by %.1f semitones", name, up);

    ss_cg_audio_free(&a);
    ss_cg_audio_free(&fast);
    ss_cg_audio_free(&high);
    ss_cg_voice_free(v);
}

Test(cg_voices, rms_speaks) { check_voice("rms", 70, 160); }
Test(cg_voices, awb_speaks) { check_voice("awb", 80, 200); }
Test(cg_voices, slt_speaks) { check_voice("slt", 130, 260); }

Test(cg_voices, unknown_voice_refused)
{
    char err[256] = "";
    cr_assert_null(ss_cg_voice_load("nosuch", err, sizeof err));
    cr_assert(strstr(err, "nosuch"), "%s", err);
    cr_assert_null(ss_cg_voice_load("../x", err, sizeof err));
}
