/* Whole-buffer float resampling with soxr, fed in blocks.
 *
 * Why not soxr_oneshot: it hands soxr the whole input in one call, and
 * soxr's internal FIFOs then grow to the size of the whole output, a few
 * samples at a time through realloc. With glibc that is cheap (large
 * blocks move with mremap); under AddressSanitizer every realloc is a
 * fresh mapping and a full copy, so resampling 30 s of speech touched
 * ~8 GB of new pages and took seconds of system time. Fed in blocks with
 * each block's output drained, soxr's buffers stay a block long whatever
 * the input length, and the samples are the same as soxr_oneshot's (same
 * soxr settings, a streaming converter; tests/unit/test_resample_whole.c
 * compares them bit for bit).
 *
 * The caller owns both buffers; the output is cut at out_cap samples, as
 * soxr_oneshot cuts it. */
#ifndef SS_COMMON_RESAMPLE_WHOLE_H
#define SS_COMMON_RESAMPLE_WHOLE_H

#include <stddef.h>

/* Converts x[0..n) at in_rate to out[0..*out_n) at out_rate with soxr's
 * quality recipe (SOXR_HQ, SOXR_MQ, ...), mono float32. Returns 0, or -1
 * with err set (soxr's own message, or out of memory). */
int ss_resample_whole(const float *x, size_t n, double in_rate, double out_rate, unsigned long recipe,
                      float *out, size_t out_cap, size_t *out_n, char *err, size_t errlen);

#endif
