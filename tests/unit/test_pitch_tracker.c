/* Unit tests for node/engine/pitch_tracker on synthetic voiced signals of
 * known F0 (80..400 Hz, harmonic-rich, with a glide, in noise): gross errors
 * (> 20 % off, or wrongly unvoiced) below 2 % of voiced frames; silence and
 * noise unvoiced; median error against the model's own LF0 below 3 %. */
#include "node/engine/voice/pitch_tracker.h"

#include "node/engine/engine.h"
#include "node/engine/synth/engine_voice.h"
#include "node/engine/frontend/frontend.h"
#include "node/engine/synth/parameter_generation.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 32000

static unsigned rng = 3;
static double uni(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (rng >> 8) / 16777216.0;
}

/* F0 glides from f_a to f_b over the clip; harmonics up to 4 kHz with 1/k
 * amplitude and a formant-like emphasis near 700 Hz; white noise at -30 dB. */
static float *voiced(double f_a, double f_b, double seconds, size_t *n)
{
    *n = (size_t)(seconds * RATE);
    float *x = malloc(*n * sizeof *x);
    double phase = 0, ph[64];
    for (int k = 0; k < 64; k++)
        ph[k] = 2 * M_PI * uni();
    for (size_t i = 0; i < *n; i++) {
        double f = f_a + (f_b - f_a) * (double)i / (double)*n;
        phase += 2 * M_PI * f / RATE;
        double s = 0;
        for (int k = 1; k < 64 && k * f < 4000; k++) {
            double fk = k * f, g = 1.0 / k * (1.0 + 2.0 * exp(-pow((fk - 700) / 300, 2)));
            s += g * sin(k * phase + ph[k]);
        }
        x[i] = (float)(0.2 * s + 0.006 * (uni() - 0.5));
    }
    return x;
}

static double true_f0(double f_a, double f_b, double seconds, double t)
{
    return f_a + (f_b - f_a) * t / seconds;
}

Test(pitch_tracker, gross_error_below_2_percent_80_to_400_hz)
{
    const double ranges[][2] = {{80, 95}, {100, 130}, {150, 200}, {210, 260}, {280, 340}, {350, 400}};
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    size_t total = 0, gross = 0;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        size_t n;
        double secs = 1.0;
        float *x = voiced(ranges[r][0], ranges[r][1], secs, &n);
        ss_pitch_track t;
        char err[128];
        cr_assert_eq(ss_pitch_track_compute(x, n, RATE, &o, &t, err, sizeof err), 0, "%s", err);
        for (size_t f = 4; f + 4 < t.nframes; f++) { /* edges half outside the clip */
            double tt = f * t.hop_ms / 1000.0;
            if (tt > secs - 0.03)
                break;
            double want = true_f0(ranges[r][0], ranges[r][1], secs, tt);
            total++;
            if (t.f0[f] <= 0 || fabs(t.f0[f] - want) / want > 0.2)
                gross++;
        }
        ss_pitch_track_free(&t);
        free(x);
    }
    cr_assert(total > 1000);
    cr_assert((double)gross / (double)total < 0.02, "gross %zu of %zu", gross, total);
}

Test(pitch_tracker, fine_error_small_on_steady_tones)
{
    const double f0s[] = {80, 123.4, 200, 317, 400};
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    for (size_t k = 0; k < 5; k++) {
        size_t n;
        float *x = voiced(f0s[k], f0s[k], 0.5, &n);
        ss_pitch_track t;
        char err[128];
        cr_assert_eq(ss_pitch_track_compute(x, n, RATE, &o, &t, err, sizeof err), 0, "%s", err);
        float mid = t.f0[t.nframes / 2];
        cr_assert(fabs(mid - f0s[k]) / f0s[k] < 0.01, "want %.1f got %.2f", f0s[k], mid);
        ss_pitch_track_free(&t);
        free(x);
    }
}

Test(pitch_tracker, silence_and_noise_are_unvoiced)
{
    size_t n = RATE; /* 1 s: 0.5 s silence, 0.5 s white noise */
    float *x = calloc(n, sizeof *x);
    for (size_t i = n / 2; i < n; i++)
        x[i] = (float)(0.3 * (uni() - 0.5));
    ss_pitch_options o;
    ss_pitch_options_default(&o);
    ss_pitch_track t;
    char err[128];
    cr_assert_eq(ss_pitch_track_compute(x, n, RATE, &o, &t, err, sizeof err), 0, "%s", err);
    size_t voiced_frames = 0;
    for (size_t f = 0; f < t.nframes; f++)
        voiced_frames += t.f0[f] > 0;
    cr_assert(voiced_frames < t.nframes / 50, "%zu of %zu voiced", voiced_frames, t.nframes);
    ss_pitch_track_free(&t);
    free(x);
    cr_assert_eq(ss_pitch_track_compute(NULL, 0, RATE, &o, &t, err, sizeof err), -1);
}

/* Against the model's own LF0 on our synthesised speech: the engine's
 * generated LF0 trajectory (param_gen.h) and the audio vocoded from it, frame
 * by frame (5 ms; engine frame i covers samples [160 i, 160 i + 160), our
 * frame f is centred at 160 f). Median relative error on frames both call
 * voiced below 3 %; voicing agreement reported and above 85 %. */
#define SLT "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

Test(pitch_tracker, median_error_below_3_percent_against_the_model_lf0, .timeout = 30)
{
    char err[512];
    ss_voice *v = ss_voice_load(SLT, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    cr_assert_not_null(fe, "%s", err);
    const char *text = "The birch canoe slid on the smooth planks. A large size in stockings is hard to sell.";
    ss_utterance *u = NULL;
    cr_assert_eq(ss_frontend_analyze(fe, text, strlen(text), NULL, &u, err, sizeof err), 0, "%s", err);
    size_t both = 0, agree = 0, frames = 0;
    double *rel = malloc(20000 * sizeof *rel);
    for (size_t s = 0; s < u->n_sentences; s++) {
        const ss_sentence *se = &u->sentences[s];
        if (!se->n_phones)
            continue;
        ss_acoustic_seq seq;
        cr_assert_eq(ss_acoustic_lookup(v->hts, (const char *const *)se->labels, se->n_phones, 0, NULL, &seq,
                                        err, sizeof err), 0, "%s", err);
        cr_assert_eq(ss_acoustic_durations(&seq, 1.0, err, sizeof err), 0, "%s", err);
        double *lf0 = malloc(seq.nframes * sizeof *lf0);
        cr_assert_eq(ss_param_generate_lf0(v->hts, &seq, lf0, err, sizeof err), 0, "%s", err);
        ss_synth_options o;
        ss_synth_options_init(&o);
        ss_synth_result r;
        cr_assert_eq(ss_synthesize(v, (const char *const *)se->labels, se->n_phones, &o, NULL, NULL, &r, err,
                                   sizeof err), 0, "%s", err);
        cr_assert_eq(r.nframes, seq.nframes);
        ss_pitch_options po;
        ss_pitch_options_default(&po);
        ss_pitch_track t;
        cr_assert_eq(ss_pitch_track_compute(r.samples, r.nsamples, 32000, &po, &t, err, sizeof err), 0);
        for (size_t i = 0; i < seq.nframes && i + 1 < t.nframes; i++) {
            float ours = t.f0[i + 1] > 0 && t.f0[i] > 0 ? 0.5f * (t.f0[i] + t.f0[i + 1]) : 0;
            int model_voiced = lf0[i] > SS_LF0_UNVOICED / 2;
            frames++;
            agree += (ours > 0) == model_voiced;
            if (ours > 0 && model_voiced && both < 20000)
                rel[both++] = fabs(ours - exp(lf0[i])) / exp(lf0[i]);
        }
        ss_pitch_track_free(&t);
        ss_synth_result_free(&r);
        free(lf0);
        ss_acoustic_seq_free(&seq);
    }
    cr_assert(both > 200, "%zu frames voiced in both", both);
    qsort(rel, both, sizeof *rel, cmp_d);
    double median = rel[both / 2];
    cr_log_info("pitch vs model LF0: median error %.2f %%, voicing agreement %.1f %% (%zu frames)",
                100 * median, 100.0 * agree / frames, frames);
    cr_assert(median < 0.03, "median error %.3f", median);
    cr_assert((double)agree / frames > 0.85, "voicing agreement %.3f", (double)agree / frames);
    free(rel);
    ss_utterance_free(u);
    ss_frontend_free(fe);
    ss_voice_free(v);
}
