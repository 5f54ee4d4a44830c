/* Polyphase FIR sample-rate conversion for small rational ratios.
 *
 * Why a file of our own: the encoders convert the engine's 32 kHz speech
 * to 48, 24, 16 or 8 kHz, ratios L/M with small L and M (3/2, 3/4, 1/2,
 * 1/4). soxr converts them through DFT blocks, which hold back 17-52 ms
 * of input after a 20 ms write (measured: docs/PERFORMANCE.md); a direct
 * polyphase FIR holds back only half its filter (2-8 ms). ss_resampler (audio_resample.h) uses this file for every rate
 * pair whose reduced ratio has L <= 8 and M <= 8 (SS_POLYPHASE_MAX_LM) and
 * soxr for the others; that table is fixed by the ratio, never a fallback
 * after a failure.
 *
 * The filter: a windowed sinc designed at ss_polyphase_new for that
 * resampler (a few microseconds; nothing is shared between resamplers).
 * With f_lo the lower of the two rates, the passband ends at
 * 0.9 * f_lo / 2 and the stopband begins at f_lo / 2 (the lower Nyquist,
 * soxr HQ's edge: nothing aliases or images anywhere below it), cutoff
 * midway. Kaiser window: the length from Kaiser's formula for 98 dB at
 * that transition width, rounded up to a multiple of 16 taps per phase,
 * and beta for the attenuation the rounded length affords (~99-100 dB).
 * Passband ripple is below 0.001 dB and every image and alias at least
 * 90 dB down (the unit tests measure both from tones). Taps per output
 * sample: 128 upsampling (32 -> 48 kHz), 128 * M / L downsampling
 * (32 -> 24 kHz: 176; -> 16: 256; -> 8: 512).
 *
 * Streaming: input is kept as float in a history buffer between writes;
 * output k is the dot product of one phase's taps with the input around
 * time k * M / L, and is computed as soon as its last input sample has
 * arrived. The dot product is one chain of multiply-adds in tap order,
 * fused in the AVX2 + FMA build (chosen at ss_polyphase_new when the CPU
 * has both; eight consecutive outputs side by side in the lanes of a
 * vector, fed by per-lane coefficient tables), plain in the portable one,
 * so the output is the same whatever the chunking of the input, and the
 * same input gives the same output on the same machine. No dither; int16 output is rounded and
 * clipped.
 *
 * Length and alignment: the filter is linear phase and its delay is
 * compensated (output k is centred on input time k * M / L, input before
 * the first sample and after the last counts as zeros), and finish emits
 * the tail so the total is round(n_in * L / M) exactly. Latency: the
 * first output sample needs ss_polyphase_first_input(p) input samples. */
#ifndef SS_COMMON_POLYPHASE_RESAMPLER_H
#define SS_COMMON_POLYPHASE_RESAMPLER_H

#include <stddef.h>
#include <stdint.h>

/* The largest L and M (after reducing out_rate / in_rate) handled here. */
#define SS_POLYPHASE_MAX_LM 8
/* The most input samples one ss_polyphase_write takes. */
#define SS_POLYPHASE_MAX_IN 4096

typedef struct ss_polyphase ss_polyphase;

/* 1 when in_rate != out_rate, both positive, and out_rate / in_rate
 * reduces to L / M with L, M <= SS_POLYPHASE_MAX_LM; else 0. */
int ss_polyphase_supported(int in_rate, int out_rate);
/* NULL with err when the pair is not supported or memory runs out. */
ss_polyphase *ss_polyphase_new(int in_rate, int out_rate, char *err, size_t errlen);
/* Room (samples) the out buffer of write and finish must have. */
size_t ss_polyphase_out_room(const ss_polyphase *p);
/* Feeds in[0..n), n <= SS_POLYPHASE_MAX_IN; writes the output samples
 * that became computable to out (in int16 units, not yet rounded) and
 * their count to *nout. -1 with err on bad arguments or after finish. */
int ss_polyphase_write(ss_polyphase *p, const int16_t *in, size_t n, float *out, size_t *nout,
                       char *err, size_t errlen);
/* Ends the input (zeros after it) and writes the remaining output so the
 * total is round(n_in * L / M). -1 with err if called twice. */
int ss_polyphase_finish(ss_polyphase *p, float *out, size_t *nout, char *err, size_t errlen);
/* Rounds to nearest and clips to int16, no dither (p's loop: AVX2 or
 * portable, which give the same int16 for the same floats). */
void ss_polyphase_to_s16(const ss_polyphase *p, const float *in, size_t n, int16_t *out);
/* Input samples needed before the first output sample appears. */
size_t ss_polyphase_first_input(const ss_polyphase *p);
/* Taps per output sample (the filter length per phase, padded). */
size_t ss_polyphase_taps_per_phase(const ss_polyphase *p);
/* 1 when the AVX2 + FMA build of the inner loop runs; 0 for portable C.
 * ss_polyphase_force_portable (tests) switches a fresh resampler to the
 * portable loop. */
int ss_polyphase_uses_avx2(const ss_polyphase *p);
void ss_polyphase_force_portable(ss_polyphase *p);
void ss_polyphase_free(ss_polyphase *p);

#endif
