/* Streaming soxr wrapper (see audio_resample.h). Input is fed to soxr in
 * blocks of at most BLOCK samples so the output scratch buffer stays small
 * whatever chunk size the caller uses; each block's output is drained fully
 * (soxr_process is called again with no new input until it returns nothing)
 * before the next block goes in. soxr runs single-threaded with small DFT
 * blocks, so a stream's output follows its input within ~60 ms (see
 * ss_resampler_new). */
#include "common/audio_resample.h"

#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096
#define LOG2_LARGE_DFT 10
#define MIN_RATE 1000
#define MAX_RATE 384000

struct ss_resampler {
    soxr_t soxr;            /* NULL when the rates are equal (copy) */
    int in_rate, out_rate;
    ss_resampler_sink sink;
    void *user;
    int16_t *out;           /* scratch for one block's output */
    size_t out_cap;
    uint64_t n_in, n_out;
    int finished;
};

ss_resampler *ss_resampler_new(int in_rate, int out_rate, ss_resampler_sink sink, void *user,
                               char *err, size_t errlen)
{
    if (in_rate < MIN_RATE || in_rate > MAX_RATE || out_rate < MIN_RATE || out_rate > MAX_RATE) {
        snprintf(err, errlen, "resampler: rates must be in [%d, %d] Hz (got %d -> %d)", MIN_RATE,
                 MAX_RATE, in_rate, out_rate);
        return NULL;
    }
    if (!sink) {
        snprintf(err, errlen, "resampler: no sink");
        return NULL;
    }
    ss_resampler *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "resampler: out of memory");
        return NULL;
    }
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    r->sink = sink;
    r->user = user;
    if (in_rate != out_rate) {
        /* Output for one block plus generous room for soxr's buffered tail. */
        r->out_cap = (size_t)((double)BLOCK * out_rate / in_rate) + 1024;
        r->out = malloc(r->out_cap * sizeof *r->out);
        soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
        io.flags |= SOXR_NO_DITHER; /* soxr's default for int16 output is TPDF dither */
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        /* One thread: encoders already run one per pool thread, and soxr's
         * OpenMP workers would only add handoffs. Downsampling: DFT blocks
         * of at most 2^10, as soxr's default (2^17) releases output in
         * bursts of up to 120 ms of input there (32 -> 8 kHz; 60 ms to
         * 16 kHz); 2^10 keeps it within 40-60 ms. Upsampling keeps the
         * default: output already follows every 20 ms write, and small
         * blocks would cost ~0.1 ms CPU per second of audio at 48 kHz. */
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        if (out_rate < in_rate)
            rt.log2_large_dft_size = LOG2_LARGE_DFT;
        soxr_error_t e = NULL;
        if (r->out)
            r->soxr = soxr_create((double)in_rate, (double)out_rate, 1, &e, &io, &q, &rt);
        if (!r->out || !r->soxr) {
            snprintf(err, errlen, "resampler: soxr_create(%d -> %d) failed: %s", in_rate,
                     out_rate, e ? e : "out of memory");
            ss_resampler_free(r);
            return NULL;
        }
    }
    return r;
}

/* Feeds in[0..n) (in NULL = flush the tail), then drains all the output
 * soxr can give into the sink. */
static int process(ss_resampler *r, const int16_t *in, size_t n, char *err, size_t errlen)
{
    for (;;) {
        size_t idone = 0, odone = 0;
        /* A NULL input means end of input to soxr; while streaming, rounds
         * with nothing left to give pass a non-NULL pointer and length 0. */
        soxr_error_t e = soxr_process(r->soxr, in, n, &idone, r->out, r->out_cap, &odone);
        if (e) {
            snprintf(err, errlen, "resampler: soxr_process failed: %s", e);
            return -1;
        }
        if (in) {
            in += idone;
            n -= idone;
        }
        if (odone > 0) {
            r->n_out += odone;
            if (r->sink(r->user, r->out, odone, err, errlen) != 0)
                return -1;
        }
        if (n == 0 && odone < r->out_cap)
            return 0;
    }
}

int ss_resampler_write(ss_resampler *r, const int16_t *pcm, size_t n, char *err, size_t errlen)
{
    if (!r || (n > 0 && !pcm)) {
        snprintf(err, errlen, "resampler: bad arguments");
        return -1;
    }
    if (r->finished) {
        snprintf(err, errlen, "resampler: write after finish");
        return -1;
    }
    r->n_in += n;
    if (!r->soxr) {
        if (n == 0)
            return 0;
        r->n_out += n;
        return r->sink(r->user, pcm, n, err, errlen);
    }
    while (n > 0) {
        size_t k = n < BLOCK ? n : BLOCK;
        if (process(r, pcm, k, err, errlen) != 0)
            return -1;
        pcm += k;
        n -= k;
    }
    return 0;
}

int ss_resampler_finish(ss_resampler *r, char *err, size_t errlen)
{
    if (!r) {
        snprintf(err, errlen, "resampler: bad arguments");
        return -1;
    }
    if (r->finished) {
        snprintf(err, errlen, "resampler: finish called twice");
        return -1;
    }
    r->finished = 1;
    if (!r->soxr)
        return 0;
    return process(r, NULL, 0, err, errlen);
}

uint64_t ss_resampler_samples_in(const ss_resampler *r) { return r ? r->n_in : 0; }
uint64_t ss_resampler_samples_out(const ss_resampler *r) { return r ? r->n_out : 0; }

void ss_resampler_free(ss_resampler *r)
{
    if (!r)
        return;
    if (r->soxr)
        soxr_delete(r->soxr);
    free(r->out);
    free(r);
}
