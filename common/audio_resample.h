/* Streaming sample-rate conversion of s16 mono PCM (soxr, high quality).
 *
 * Why a separate file: audio_input.c resamples a whole clip at once
 * (ss_audio_resample); the output encoders get speech in chunks as the
 * engine produces it and must resample without seams between chunks, so
 * they need soxr's streaming form (soxr_create + soxr_process). This file
 * owns that state and nothing else.
 *
 * Length contract: after ss_resampler_finish the total number of samples
 * produced equals round(n_in * out_rate / in_rate) within one sample (soxr
 * compensates its own filter delay and emits the tail when flushed). Equal
 * rates are a plain copy (bit exact, no filter). Output is clipped to int16
 * by soxr with no dither (SOXR_NO_DITHER: soxr's default for int16 output
 * is TPDF dither, which made the same input give different output run to
 * run), so the same input always gives the same output.
 *
 * Latency: output follows input within ~60 ms (the first block) and then
 * every 20-40 ms for 20 ms writes, at every rate pair the API uses (small
 * DFT blocks when downsampling; see ss_resampler_new). */
#ifndef SS_COMMON_AUDIO_RESAMPLE_H
#define SS_COMMON_AUDIO_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ss_resampler ss_resampler;

/* Receives converted samples; returns 0, or -1 with err set to stop. */
typedef int (*ss_resampler_sink)(void *user, const int16_t *pcm, size_t n, char *err,
                                 size_t errlen);

/* Rates in [1000, 384000]. NULL with err on bad rates or a soxr failure. */
ss_resampler *ss_resampler_new(int in_rate, int out_rate, ss_resampler_sink sink, void *user,
                               char *err, size_t errlen);
/* Feeds n input samples (n may be 0); converted output goes to the sink. */
int ss_resampler_write(ss_resampler *r, const int16_t *pcm, size_t n, char *err, size_t errlen);
/* Flushes soxr's tail into the sink. Writing after finish is an error. */
int ss_resampler_finish(ss_resampler *r, char *err, size_t errlen);
/* Samples given to / produced by the resampler so far. */
uint64_t ss_resampler_samples_in(const ss_resampler *r);
uint64_t ss_resampler_samples_out(const ss_resampler *r);
void ss_resampler_free(ss_resampler *r);

#endif
