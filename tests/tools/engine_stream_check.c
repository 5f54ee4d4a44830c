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
    int bad = 0;
    double worst_lsd = 0, worst_click = 0;
    printf("%-10s %7s %9s %8s %8s %10s\n", "file", "chunks", "samples", "len_eq", "lsd_dB", "join_step");
    for (int fi = 2; fi < argc; fi++) {
        size_t nl;
        char **lines = label_file_read(argv[fi], 0, &nl);
        if (!lines) {
            fprintf(stderr, "engine_stream_check: cannot read %s\n", argv[fi]);
            return 2;
        }
        ss_synth_options o;
        ss_synth_options_init(&o);
        ss_synth_result one, st;
        collector c = {0};
        if (ss_synthesize(v, (const char *const *)lines, nl, &o, NULL, NULL, &one, err, sizeof err) != 0) {
            fprintf(stderr, "engine_stream_check: %s: %s\n", argv[fi], err);
            return 2;
        }
        o.stream = 1;
        o.keep_audio = 0;
        if (ss_synthesize(v, (const char *const *)lines, nl, &o, collect, &c, &st, err, sizeof err) != 0) {
            fprintf(stderr, "engine_stream_check: %s: %s\n", argv[fi], err);
            return 2;
        }
        size_t n = one.nsamples;
        int len_eq = c.n == n;
        double lsd = -1, click = -1;
        if (len_eq) {
            const size_t fp = 160;
            size_t nf = n / fp;
            double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double));
            unsigned char *sel = calloc(nf + 1, 1);
            double peak = 0, maxstep = 0;
            double *rms = calloc(nf + 1, sizeof(double));
            for (size_t i = 0; i < n; i++) {
                a[i] = one.samples[i] * 32768.0;
                b[i] = c.buf[i] * 32768.0;
                if (i > 0 && fabs(a[i] - a[i - 1]) > maxstep)
                    maxstep = fabs(a[i] - a[i - 1]);
            }
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
            lsd = waveform_lsd(a, b, n, fp, sel, nf);
            click = 0;
            for (size_t j = 0; j < c.njoins; j++) {
                size_t at = c.joins[j];
                size_t lo = at > 320 ? at - 320 : 1, hi = at + 320 < n ? at + 320 : n;
                for (size_t i = lo; i < hi; i++) {
                    double step = fabs(b[i] - b[i - 1]) / (maxstep > 0 ? maxstep : 1);
                    if (step > click)
                        click = step;
                }
            }
            free(a);
            free(b);
            free(sel);
            free(rms);
        }
        int ok = len_eq && lsd >= 0 && lsd <= 0.5 && click <= 1.0;
        const char *base = strrchr(argv[fi], '/');
        printf("%-10s %7zu %9zu %8s %8.4f %10.3f%s\n", base ? base + 1 : argv[fi], st.nchunks, c.n,
               len_eq ? "yes" : "NO", lsd, click, ok ? "" : "  FAIL");
        if (!ok)
            bad++;
        if (lsd > worst_lsd)
            worst_lsd = lsd;
        if (click > worst_click)
            worst_click = click;
        ss_synth_result_free(&one);
        ss_synth_result_free(&st);
        free(c.buf);
        for (size_t i = 0; i < nl; i++)
            free(lines[i]);
        free(lines);
    }
    printf("SUMMARY files=%d failed=%d lsd_max_dB=%.4f join_step_max=%.3f\n", argc - 2, bad, worst_lsd, worst_click);
    ss_voice_free(v);
    return bad ? 1 : 0;
}
