/* Streaming resampler (see audio_resample.h): a plain copy for equal
 * rates, our polyphase FIR (polyphase_resampler.h) for the small ratios,
 * soxr for every other pair. Input is fed in blocks of at most BLOCK
 * samples so the output scratch buffers stay small whatever chunk size the
 * caller uses. soxr: each block's output is drained fully (soxr_process is
 * called again with no new input until it returns nothing) before the next
 * block goes in; soxr runs single-threaded with small DFT blocks, so a
 * stream's output follows its input within at most ~60 ms (when
 * downsampling; see new_soxr). The polyphase FIR holds back only its
 * filter's half length: 2-8 ms after a 20 ms write. */
#include "common/audio_resample.h"

#include "common/polyphase_resampler.h"

#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK SS_POLYPHASE_MAX_IN
#define LOG2_LARGE_DFT 10
#define MIN_RATE 1000
#define MAX_RATE 384000

struct ss_resampler {
    soxr_t soxr;            /* the soxr pairs only */
    ss_polyphase *pp;       /* the small ratios only; neither: copy */
    float *fout;            /* polyphase: one block's output before rounding */
    int in_rate, out_rate;
    ss_resampler_sink sink;
    void *user;
    int16_t *out;           /* scratch for one block's output */
    size_t out_cap;
    uint64_t n_in, n_out;
    int finished;
};

/* soxr for a pair outside the polyphase table. */
static int new_soxr(ss_resampler *r, char *err, size_t errlen)
{
    int in_rate = r->in_rate, out_rate = r->out_rate;
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
        snprintf(err, errlen, "resampler: soxr_create(%d -> %d) failed: %s", in_rate, out_rate,
                 e ? e : "out of memory");
        return -1;
    }
    return 0;
}

/* The polyphase FIR for a small ratio, with float and int16 scratch. */
static int new_polyphase(ss_resampler *r, char *err, size_t errlen)
{
    r->pp = ss_polyphase_new(r->in_rate, r->out_rate, err, errlen);
    if (!r->pp)
        return -1;
    r->out_cap = ss_polyphase_out_room(r->pp);
    r->out = malloc(r->out_cap * sizeof *r->out);
    r->fout = malloc(r->out_cap * sizeof *r->fout);
    if (!r->out || !r->fout) {
        snprintf(err, errlen, "resampler: out of memory");
        return -1;
    }
    return 0;
}

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
    int rc = 0;
    if (ss_polyphase_supported(in_rate, out_rate))
        rc = new_polyphase(r, err, errlen);
    else if (in_rate != out_rate)
        rc = new_soxr(r, err, errlen);
    if (rc != 0) {
        ss_resampler_free(r);
        return NULL;
    }
    return r;
}

const char *ss_resampler_method(const ss_resampler *r)
{
    return !r ? NULL : r->pp ? "polyphase" : r->soxr ? "soxr" : "copy";
}

/* Rounds the polyphase output fout[0..n) to int16 and gives it to the sink. */
static int give_polyphase(ss_resampler *r, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    ss_polyphase_to_s16(r->pp, r->fout, n, r->out);
    r->n_out += n;
    return r->sink(r->user, r->out, n, err, errlen);
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
    if (!r->soxr && !r->pp) {
        if (n == 0)
            return 0;
        r->n_out += n;
        return r->sink(r->user, pcm, n, err, errlen);
    }
    while (n > 0) {
        size_t k = n < BLOCK ? n : BLOCK, got = 0;
        int rc = r->pp ? ss_polyphase_write(r->pp, pcm, k, r->fout, &got, err, errlen)
                       : process(r, pcm, k, err, errlen);
        if (rc != 0 || (r->pp && give_polyphase(r, got, err, errlen) != 0))
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
    if (r->pp) {
        size_t got = 0;
        if (ss_polyphase_finish(r->pp, r->fout, &got, err, errlen) != 0)
            return -1;
        return give_polyphase(r, got, err, errlen);
    }
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
    ss_polyphase_free(r->pp);
    free(r->fout);
    free(r->out);
    free(r);
}
