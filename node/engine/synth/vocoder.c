/* Vocoder driver; see vocoder.h. */
#include "node/engine/synth/vocoder.h"

#include <math.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_F0 20.0
#define MAX_F0 20000.0

int ss_vocoder_rate_supported(int rate)
{
    static const int ok[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (ok[i] == rate)
            return 1;
    return 0;
}

int ss_vocoder_init(ss_vocoder *voc, const ss_htsvoice *v, int out_rate, char *err, size_t errlen)
{
    memset(voc, 0, sizeof *voc);
    if (!ss_vocoder_rate_supported(out_rate)) {
        snprintf(err, errlen, "unsupported sample rate %d (use 8000, 16000, 22050, 24000, 32000, 44100 or 48000)", out_rate);
        return -1;
    }
    int smcp = -1;
    for (int s = 0; s < v->nstreams; s++)
        if (!v->streams[s].is_msd) {
            smcp = s;
            break;
        }
    if (smcp < 0) {
        snprintf(err, errlen, "voice has no spectrum stream");
        return -1;
    }
    voc->in_rate = v->sample_rate;
    voc->out_rate = out_rate;
    voc->frame_period = v->frame_period;
    voc->order = v->streams[smcp].vector_length - 1;
    voc->alpha = v->streams[smcp].alpha;
    ss_excitation_state_init(&voc->ex);
    if (ss_mlsa_state_init(&voc->mlsa, voc->order, voc->alpha, err, errlen) != 0)
        return -1;
    voc->mlsa.cells = 1;
    if (out_rate != voc->in_rate) {
        soxr_error_t e = NULL;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        voc->soxr = soxr_create((double)voc->in_rate, (double)out_rate, 1, &e, &io, &q, NULL);
        if (!voc->soxr || e) {
            snprintf(err, errlen, "resampler: %s", e ? e : "cannot create");
            return -1;
        }
    }
    return 0;
}

void ss_vocoder_free(ss_vocoder *voc)
{
    if (voc->soxr)
        soxr_delete((soxr_t)voc->soxr);
    ss_mlsa_state_release(&voc->mlsa);
    free(voc->period);
    free(voc->raw);
    memset(voc, 0, sizeof *voc);
}

int ss_vocoder_plan(ss_vocoder *voc, size_t utterance_frames, char *err, size_t errlen)
{
    if (voc->mlsa.frames_done > 0) {
        snprintf(err, errlen, "vocoder: the utterance's length is set before its first piece");
        return -1;
    }
    voc->mlsa.utterance_frames = utterance_frames;
    return 0;
}

static int reserve(float **out, size_t *cap, size_t need, char *err, size_t errlen)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need)
        nc *= 2;
    float *nb = realloc(*out, nc * sizeof(float));
    if (!nb) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = nb;
    *cap = nc;
    return 0;
}

static int resample(ss_vocoder *voc, const float *in, size_t n, int last, float **out, size_t *nout,
                    size_t *cap, char *err, size_t errlen)
{
    soxr_t s = (soxr_t)voc->soxr;
    double ratio = (double)voc->out_rate / (double)voc->in_rate;
    size_t done_in = 0;
    while (done_in < n) {
        size_t room = (size_t)((double)(n - done_in) * ratio) + 256;
        if (reserve(out, cap, *nout + room, err, errlen) != 0)
            return -1;
        size_t idone = 0, odone = 0;
        soxr_error_t e = soxr_process(s, in + done_in, n - done_in, &idone, *out + *nout, room, &odone);
        if (e) {
            snprintf(err, errlen, "resampler: %s", e);
            return -1;
        }
        done_in += idone;
        *nout += odone;
        if (idone == 0 && odone == 0)
            break;
    }
    if (last) {
        for (;;) {
            if (reserve(out, cap, *nout + 4096, err, errlen) != 0)
                return -1;
            size_t odone = 0;
            soxr_error_t e = soxr_process(s, NULL, 0, NULL, *out + *nout, 4096, &odone);
            if (e) {
                snprintf(err, errlen, "resampler: %s", e);
                return -1;
            }
            *nout += odone;
            if (odone == 0)
                break;
        }
    }
    return 0;
}

/* Appends the filter output's samples [s0, s1) of buf to *out, scaled to
 * [-1, 1) and resampled to out_rate; last flushes the resampler. */
static int append(ss_vocoder *voc, const double *buf, size_t s0, size_t s1, int last, float **out, size_t *nout,
                  size_t *cap, char *err, size_t errlen)
{
    const size_t ns = s1 - s0;
    if (!voc->soxr) {
        if (reserve(out, cap, *nout + ns, err, errlen) != 0)
            return -1;
        for (size_t i = 0; i < ns; i++)
            (*out)[*nout + i] = (float)(buf[s0 + i] / 32768.0);
        *nout += ns;
        return 0;
    }
    float *tmp = malloc((ns ? ns : 1) * sizeof(float));
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ns; i++)
        tmp[i] = (float)(buf[s0 + i] / 32768.0);
    int rc = resample(voc, tmp, ns, last, out, nout, cap, err, errlen);
    free(tmp);
    return rc;
}

/* The early output of one run (ss_vocoder_early): the MLSA kernel's
 * on_final lands here. */
typedef struct {
    ss_vocoder *voc;
    const double *buf;
    size_t frames_out; /* frames appended to *out so far */
    float **out;
    size_t *nout, *cap;
    int failed;
    char err[256];
} early_run;

static void early_on_final(void *user, size_t frames)
{
    early_run *e = user;
    ss_vocoder *voc = e->voc;
    if (e->failed || e->frames_out > 0 || frames < voc->early.frames)
        return;
    if (append(voc, e->buf, 0, frames * (size_t)voc->frame_period, 0, e->out, e->nout, e->cap, e->err,
               sizeof e->err) != 0) {
        e->failed = 1;
        return;
    }
    e->frames_out = frames;
    voc->early.fn(voc->early.user);
}

/* LF0 -> pitch period per frame (HTS rules: unvoiced 0, clamped). */
static void pitch_periods(ss_vocoder *voc, const ss_param_track *t)
{
    const double rate = (double)voc->in_rate;
    for (size_t f = 0; f < t->nframes; f++) {
        double l = t->lf0[f];
        if (l == SS_LF0_UNVOICED)
            voc->period[f] = 0.0;
        else if (l <= log(MIN_F0))
            voc->period[f] = rate / MIN_F0;
        else if (l >= log(MAX_F0))
            voc->period[f] = rate / MAX_F0;
        else
            voc->period[f] = rate / exp(l);
    }
}

int ss_vocoder_run(ss_vocoder *voc, const ss_param_track *t, int last, double *raw, float **out,
                   size_t *nout, size_t *cap, char *err, size_t errlen)
{
    const size_t nf = t->nframes, fp = (size_t)voc->frame_period;
    if (t->mcp_dim != voc->order + 1) {
        snprintf(err, errlen, "vocoder: spectrum has %d coefficients, filter wants %d", t->mcp_dim, voc->order + 1);
        return -1;
    }
    if (nf > voc->cap_frames) {
        double *np = realloc(voc->period, nf * sizeof(double));
        if (np)
            voc->period = np;
        double *nr = realloc(voc->raw, nf * fp * sizeof(double));
        if (nr)
            voc->raw = nr;
        if (!np || !nr) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        voc->cap_frames = nf;
    }
    pitch_periods(voc, t);
    if (last && voc->mlsa.frames_done == 0 && voc->mlsa.utterance_frames == 0)
        voc->mlsa.utterance_frames = nf; /* one shot: the whole utterance */
    double *buf = raw ? raw : voc->raw;
    ss_excitation_job ej = {.state = &voc->ex, .period = voc->period, .nframes = nf, .frame_period = fp, .out = buf};
    if (ss_route_excitation(&voc->kernels, &ej, 1, err, errlen) != 0)
        return -1;
    early_run e = {.voc = voc, .buf = buf, .out = out, .nout = nout, .cap = cap};
    /* early output only on direct calls: a scheduler runs the kernel on its
     * own thread, where the callback must not run */
    const int early = voc->early.fn && voc->early.frames > 0 && voc->early.frames < nf && !voc->kernels.scheduler;
    ss_mlsa_job mj = {.state = &voc->mlsa, .mcep = t->mcp, .nframes = nf, .frame_period = fp, .excitation = buf,
                      .out = buf, .on_final = early ? early_on_final : NULL, .on_final_user = &e};
    if (ss_route_mlsa(&voc->kernels, &mj, 1, err, errlen) != 0)
        return -1;
    if (e.failed) {
        snprintf(err, errlen, "%s", e.err);
        return -1;
    }
    return append(voc, buf, e.frames_out * fp, nf * fp, last, out, nout, cap, err, errlen);
}
