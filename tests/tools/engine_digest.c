/* engine_digest: our engine's results as checksums, and its stage times
 * without libHTSEngine (a fast loop for kernel work).
 *
 *   engine_digest VOICE LABEL_FILE... [--repeat N]
 *
 * Per label file it prints a 64-bit FNV-1a hash of the parameter track
 * (mel-cepstra and log F0, as bits) and of the vocoder's samples, so two
 * builds can be compared for bit-identical output with diff. Then the
 * stage real-time factors (thread CPU time, best of N per file and stage:
 * parameter generation, vocoder), as engine_bench measures them but without
 * hts_engine's share of the run. */
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"
#include "node/engine/synth/vocoder.h"

#include "tests/tools/label_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* One synthesis of the labels; adds its stage times to t[2] as minima
 * and stores the hashes. Returns the samples made, 0 on error. */
static size_t run_once(const ss_htsvoice *v, char **lines, size_t nl, double t[2], uint64_t hash[2])
{
    char err[512];
    ss_acoustic_seq seq;
    ss_param_track tr;
    ss_vocoder voc;
    if (ss_acoustic_lookup(v, (const char *const *)lines, nl, 0.0, NULL, &seq, err, sizeof err) != 0 ||
        ss_acoustic_durations(&seq, 1.0, err, sizeof err) != 0) {
        fprintf(stderr, "engine_digest: %s\n", err);
        return 0;
    }
    double t0 = cpu_s();
    if (ss_param_generate(v, &seq, 0, seq.nframes, NULL, &tr, err, sizeof err) != 0) {
        fprintf(stderr, "engine_digest: %s\n", err);
        ss_acoustic_seq_free(&seq);
        return 0;
    }
    double t1 = cpu_s();
    float *out = NULL;
    size_t nout = 0, cap = 0;
    if (ss_vocoder_init(&voc, v, v->sample_rate, err, sizeof err) != 0 ||
        ss_vocoder_run(&voc, &tr, 1, NULL, &out, &nout, &cap, err, sizeof err) != 0) {
        fprintf(stderr, "engine_digest: %s\n", err);
        ss_param_track_free(&tr);
        ss_acoustic_seq_free(&seq);
        return 0;
    }
    double t2 = cpu_s();
    t[0] = t1 - t0 < t[0] ? t1 - t0 : t[0];
    t[1] = t2 - t1 < t[1] ? t2 - t1 : t[1];
    uint64_t h = fnv(1469598103934665603ull, tr.mcp, tr.nframes * (size_t)tr.mcp_dim * sizeof(double));
    hash[0] = fnv(h, tr.lf0, tr.nframes * sizeof(double));
    hash[1] = fnv(1469598103934665603ull, out, nout * sizeof(float));
    free(out);
    ss_vocoder_free(&voc);
    ss_param_track_free(&tr);
    ss_acoustic_seq_free(&seq);
    return nout;
}

int main(int argc, char **argv)
{
    int repeat = 3, nfiles = 0;
    const char *voice = NULL, *files[256];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!voice)
            voice = argv[i];
        else if (nfiles < 256)
            files[nfiles++] = argv[i];
    }
    if (!voice || nfiles == 0 || repeat < 1) {
        fprintf(stderr, "usage: engine_digest VOICE LABEL_FILE... [--repeat N]\n");
        return 2;
    }
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(voice, err, sizeof err);
    if (!v) {
        fprintf(stderr, "engine_digest: %s\n", err);
        return 2;
    }
    double total[2] = {0, 0}, audio_s = 0;
    for (int fi = 0; fi < nfiles; fi++) {
        size_t nl;
        char **lines = label_file_read(files[fi], 1, &nl);
        if (!lines) {
            fprintf(stderr, "engine_digest: cannot read %s\n", files[fi]);
            return 2;
        }
        double t[2] = {1e9, 1e9};
        uint64_t hash[2] = {0, 0};
        size_t nsamp = 0;
        for (int r = 0; r < repeat; r++)
            if ((nsamp = run_once(v, lines, nl, t, hash)) == 0)
                return 2;
        printf("%s params %016llx samples %016llx\n", files[fi], (unsigned long long)hash[0],
               (unsigned long long)hash[1]);
        total[0] += t[0];
        total[1] += t[1];
        audio_s += (double)nsamp / v->sample_rate;
        for (size_t i = 0; i < nl; i++)
            free(lines[i]);
        free(lines);
    }
    printf("RESULT param_rtf=%.6f vocoder_rtf=%.6f audio_s=%.2f repeat=%d\n", total[0] / audio_s,
           total[1] / audio_s, audio_s, repeat);
    ss_htsvoice_free(v);
    return 0;
}
