/* Streaming sample-rate conversion of s16 mono PCM.
 *
 * Why a separate file: audio_input.c resamples a whole clip at once
 * (ss_audio_resample); the output encoders get speech in chunks as the
 * engine produces it and must resample without seams between chunks, so
 * they need a streaming converter. This file owns that state and the
 * choice of converter, which is a fixed table by rate pair (never a
 * fallback after a failure; ss_resampler_method says which one runs):
 *
 *   equal rates                  plain copy (bit exact, no filter)
 *   out/in = L/M, L, M <= 8      polyphase FIR (polyphase_resampler.h):
 *                                32 kHz -> 48, 24, 16, 8 kHz, 16 -> 48 ...
 *   every other pair             soxr HQ streaming (soxr_process):
 *                                32 kHz -> 22.05, 44.1 kHz, odd rates
 *
 * Length contract: after ss_resampler_finish the total number of samples
 * produced equals round(n_in * out_rate / in_rate) within one sample (both
 * converters compensate their filter delay and emit the tail when
 * flushed; the polyphase FIR gives exactly the rounded count). Output is
 * clipped to int16 with no dither (soxr's default for int16 output is TPDF
 * dither, which made the same input give different output run to run;
 * SOXR_NO_DITHER), so the same input always gives the same output.
 *
 * Latency: the polyphase FIR gives its first output after 2-4 ms of input
 * (half its filter: 64 input samples for 32 -> 48 kHz, 88 for 32 -> 24,
 * 128 for 32 -> 16, 256 for 32 -> 8) and then follows every write. soxr
 * holds back 29 ms of input at 32 -> 44.1 kHz and 11 ms at 32 -> 22.05 kHz
 * (measured with tests/tools/resample_bench; small DFT blocks when
 * downsampling, see new_soxr in audio_resample.c), at most ~60 ms at any
 * pair the API uses. */
#ifndef SS_COMMON_AUDIO_RESAMPLE_H
#define SS_COMMON_AUDIO_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ss_resampler ss_resampler;

/* Receives converted samples; returns 0, or -1 with err set to stop. */
typedef int (*ss_resampler_sink)(void *user, const int16_t *pcm, size_t n, char *err,
                                 size_t errlen);

/* Rates in [1000, 384000]. NULL with err on bad rates, out of memory or a
 * soxr failure. */
ss_resampler *ss_resampler_new(int in_rate, int out_rate, ss_resampler_sink sink, void *user,
                               char *err, size_t errlen);
/* Feeds n input samples (n may be 0); converted output goes to the sink. */
int ss_resampler_write(ss_resampler *r, const int16_t *pcm, size_t n, char *err, size_t errlen);
/* Flushes the converter's tail into the sink. Writing after finish is an error. */
int ss_resampler_finish(ss_resampler *r, char *err, size_t errlen);
/* Samples given to / produced by the resampler so far. */
uint64_t ss_resampler_samples_in(const ss_resampler *r);
uint64_t ss_resampler_samples_out(const ss_resampler *r);
/* "copy", "polyphase" or "soxr": the table above for this resampler's rates. */
const char *ss_resampler_method(const ss_resampler *r);
void ss_resampler_free(ss_resampler *r);

#endif
