/* engine_stream_check: phrase streaming vs one-shot synthesis via engine.h.
 *
 *   engine_stream_check VOICE LABEL_FILE...
 *
 * Per file: synthesize one-shot (stream=0) and streamed (stream=1, chunks
 * delivered through the callback and concatenated); report chunk count,
 * length equality, LSD on speech frames (one-shot frame RMS above -40 dB of
 * the peak frame), and a click measure: the largest sample-to-sample step of
 * the streamed audio within 10 ms of each join, relative to the largest
 * step of the one-shot audio anywhere. Exits 1 unless every file has equal
 * length, LSD <= 0.5 dB and join steps <= 1.0 (no step bigger than the
 * signal itself makes). */
#include "node/engine/engine.h"
#include "tests/tools/spectral_distance.h"

#include "tests/tools/label_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *buf;
    size_t n, cap;
    size_t joins[256];
    size_t njoins;
} collector;

static int collect(void *user, const ss_audio_chunk *ch)
{
    collector *c = user;
    if (ch->index > 0 && c->njoins < 256)
        c->joins[c->njoins++] = ch->first_sample;
    if (c->n + ch->nsamples > c->cap) {
        size_t nc = (c->n + ch->nsamples) * 2;
        float *nb = realloc(c->buf, nc * sizeof(float));
        if (!nb)
            return 1;
        c->buf = nb;
        c->cap = nc;
    }
    memcpy(c->buf + c->n, ch->samples, ch->nsamples * sizeof(float));
    c->n += ch->nsamples;
    return 0;
}

/* Failed files and the worst figures over all files, for the summary. */
typedef struct {
    int bad;
    double worst_lsd, worst_click;
} stream_totals;

/* Both signals on the 16-bit scale into a and b; the largest
 * sample-to-sample step of the one-shot signal a. */
static double to_s16_scale(const float *one, const float *streamed, size_t n, double *a, double *b)
{
    double maxstep = 0;
    for (size_t i = 0; i < n; i++) {
        a[i] = one[i] * 32768.0;
        b[i] = streamed[i] * 32768.0;
        if (i > 0 && fabs(a[i] - a[i - 1]) > maxstep)
            maxstep = fabs(a[i] - a[i - 1]);
    }
    return maxstep;
}

/* Marks in sel the speech frames of a (nf frames of fp samples): frame RMS
 * above 1% (-40 dB) of the peak frame's. 0, or -1 when memory runs out. */
static int speech_frames(const double *a, size_t fp, size_t nf, unsigned char *sel)
{
    double peak = 0;
    double *rms = calloc(nf + 1, sizeof(double));
    if (!rms)
        return -1;
    for (size_t f = 0; f < nf; f++) {
        double s = 0;
        for (size_t i = 0; i < fp; i++)
            s += a[f * fp + i] * a[f * fp + i];
        rms[f] = sqrt(s / fp);
        if (rms[f] > peak)
            peak = rms[f];
    }
    for (size_t f = 0; f < nf; f++)
        sel[f] = rms[f] > peak * 0.01;
    free(rms);
    return 0;
}

/* The largest step of the streamed signal b within 320 samples of each
 * join, relative to maxstep. */
static double join_click(const double *b, size_t n, const collector *c, double maxstep)
{
    double click = 0;
    for (size_t j = 0; j < c->njoins; j++) {
        size_t at = c->joins[j];
        size_t lo = at > 320 ? at - 320 : 1, hi = at + 320 < n ? at + 320 : n;
        for (size_t i = lo; i < hi; i++) {
            double step = fabs(b[i] - b[i - 1]) / (maxstep > 0 ? maxstep : 1);
            if (step > click)
                click = step;
        }
    }
    return click;
}

/* LSD on speech frames and the join click of the streamed audio c against
 * the one-shot samples (n of each). 0, or -1 when memory runs out. */
static int compare_audio(const float *one, const collector *c, size_t n, double *lsd, double *click)
{
    const size_t fp = 160;
    size_t nf = n / fp;
    double *a = malloc((n ? n : 1) * sizeof(double)), *b = malloc((n ? n : 1) * sizeof(double));
    unsigned char *sel = calloc(nf + 1, 1);
    int rc = -1;
    if (a && b && sel) {
        double maxstep = to_s16_scale(one, c->buf, n, a, b);
        rc = speech_frames(a, fp, nf, sel);
        if (rc == 0) {
            *lsd = waveform_lsd(a, b, n, fp, sel, nf);
            *click = join_click(b, n, c, maxstep);
        }
    }
    free(a);
    free(b);
    free(sel);
    return rc;
}

/* One label file one-shot and streamed: compares, prints its row and adds
 * it to the totals. 0, or 2 after a message. */
static int check_file(ss_voice *v, char **lines, size_t nl, const char *path, stream_totals *t)
{
    char err[512];
    ss_synth_options o;
    ss_synth_options_init(&o);
    ss_synth_result one, st;
    collector c = {0};
    if (ss_synthesize(v, (const char *const *)lines, nl, &o, NULL, NULL, &one, err, sizeof err) != 0) {
        fprintf(stderr, "engine_stream_check: %s: %s\n", path, err);
        return 2;
    }
    o.stream = 1;
    o.keep_audio = 0;
    if (ss_synthesize(v, (const char *const *)lines, nl, &o, collect, &c, &st, err, sizeof err) != 0) {
        fprintf(stderr, "engine_stream_check: %s: %s\n", path, err);
        return 2;
    }
    size_t n = one.nsamples;
    int len_eq = c.n == n;
    double lsd = -1, click = -1;
    if (len_eq && compare_audio(one.samples, &c, n, &lsd, &click) != 0) {
        fprintf(stderr, "engine_stream_check: %s: out of memory\n", path);
        return 2;
    }
    int ok = len_eq && lsd >= 0 && lsd <= 0.5 && click <= 1.0;
    const char *base = strrchr(path, '/');
    printf("%-10s %7zu %9zu %8s %8.4f %10.3f%s\n", base ? base + 1 : path, st.nchunks, c.n,
           len_eq ? "yes" : "NO", lsd, click, ok ? "" : "  FAIL");
    if (!ok)
        t->bad++;
    if (lsd > t->worst_lsd)
        t->worst_lsd = lsd;
    if (click > t->worst_click)
        t->worst_click = click;
    ss_synth_result_free(&one);
    ss_synth_result_free(&st);
    free(c.buf);
    return 0;
}

/* Reads one label file and checks it (check_file). 0, or 2 after a
 * message. */
static int check_label_file(ss_voice *v, const char *path, stream_totals *t)
{
    size_t nl;
    char **lines = label_file_read(path, 0, &nl);
    if (!lines) {
        fprintf(stderr, "engine_stream_check: cannot read %s\n", path);
        return 2;
    }
    int rc = check_file(v, lines, nl, path, t);
    for (size_t i = 0; i < nl; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: engine_stream_check VOICE LABEL_FILE...\n");
        return 2;
    }
    char err[512];
    ss_voice *v = ss_voice_load(argv[1], err, sizeof err);
    if (!v) {
        fprintf(stderr, "engine_stream_check: %s\n", err);
        return 2;
    }
    stream_totals t = {0};
    printf("%-10s %7s %9s %8s %8s %10s\n", "file", "chunks", "samples", "len_eq", "lsd_dB", "join_step");
    for (int fi = 2; fi < argc; fi++)
        if (check_label_file(v, argv[fi], &t) != 0)
            return 2;
    printf("SUMMARY files=%d failed=%d lsd_max_dB=%.4f join_step_max=%.3f\n", argc - 2, t.bad, t.worst_lsd,
           t.worst_click);
    ss_voice_free(v);
    return t.bad ? 1 : 0;
}
