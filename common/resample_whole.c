/* Whole-buffer soxr resampling in blocks (see resample_whole.h). */
#include "common/resample_whole.h"

#include <soxr.h>
#include <stdio.h>

/* Input samples per soxr_process call: 8192 samples is 0.5 s at 16 kHz, far
 * above soxr's own processing block, so the calls stay few. */
#define BLOCK 8192

static int failed(soxr_error_t e, char *err, size_t errlen)
{
    snprintf(err, errlen, "resampling failed: %s", e);
    return -1;
}

int ss_resample_whole(const float *x, size_t n, double in_rate, double out_rate, unsigned long recipe,
                      float *out, size_t out_cap, size_t *out_n, char *err, size_t errlen)
{
    soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_error_t e = NULL;
    soxr_t s = soxr_create(in_rate, out_rate, 1, &e, &io, &q, NULL);
    if (!s)
        return failed(e ? e : "soxr_create returned nothing", err, errlen);
    size_t pos = 0, total = 0;
    for (;;) {
        size_t take = n - pos < BLOCK ? n - pos : BLOCK;
        const float *in = take ? x + pos : NULL; /* NULL: the end, flush */
        size_t in_done = 0, done = 0;
        e = soxr_process(s, in, take, &in_done, out + total, out_cap - total, &done);
        if (e) {
            soxr_delete(s);
            return failed(e, err, errlen);
        }
        if (in && in_done == 0 && done == 0 && total < out_cap) {
            soxr_delete(s);
            return failed("soxr took no input and gave no output", err, errlen);
        }
        pos += in_done;
        total += done;
        if (total == out_cap || (!in && done == 0))
            break;
    }
    soxr_delete(s);
    *out_n = total;
    return 0;
}
