/* engine_bench: per-stage speed of our engine vs libHTSEngine 1.10 on the
 * same label files, in one run.
 *
 *   engine_bench VOICE LABEL_FILE... [--repeat N]
 *
 * Stages: model lookup (+ durations), parameter generation (MLPG + GV),
 * vocoder (excitation + MLSA). Time is thread CPU time (one core; the
 * machine is shared, so CPU time is steadier than wall time), the best of N
 * repeats per file and stage. Prints real-time factors (CPU seconds per
 * second of audio), the ratio ours/hts, first-chunk latency of streamed
 * synthesis for the first file, and peak RSS. */
#include "node/engine/engine.h"
#include "node/engine/acoustic/htsvoice.h"
#include "node/engine/synth/parameter_generation.h"
#include "node/engine/synth/vocoder.h"

#include "tests/tools/label_file.h"

#include <HTS_engine.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double minv(double a, double b)
{
    return a < b ? a : b;
}

int main(int argc, char **argv)
{
    int repeat = 3;
    const char *voice = NULL;
    const char *files[256];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!voice)
            voice = argv[i];
        else if (nfiles < 256)
            files[nfiles++] = argv[i];
    }
    if (!voice || nfiles == 0 || repeat < 1) {
        fprintf(stderr, "usage: engine_bench VOICE LABEL_FILE... [--repeat N]\n");
        return 2;
    }
    char err[512];
    ss_htsvoice *v = ss_htsvoice_load(voice, err, sizeof err);
    if (!v) {
        fprintf(stderr, "engine_bench: %s\n", err);
        return 2;
    }
    HTS_Engine hts;
    HTS_Engine_initialize(&hts);
    char *vp = (char *)voice;
    if (!HTS_Engine_load(&hts, &vp, 1)) {
        fprintf(stderr, "engine_bench: libHTSEngine cannot load the voice\n");
        return 2;
    }
    double ours[3] = {0}, theirs[3] = {0}, audio_s = 0;
    for (int fi = 0; fi < nfiles; fi++) {
        size_t nl;
        char **lines = label_file_read(files[fi], 1, &nl);
        if (!lines) {
            fprintf(stderr, "engine_bench: cannot read %s\n", files[fi]);
            return 2;
        }
        double o[3] = {1e9, 1e9, 1e9}, h[3] = {1e9, 1e9, 1e9};
        size_t nsamp = 0;
        for (int r = 0; r < repeat; r++) {
            double t0 = cpu_s();
            ss_acoustic_seq seq;
            ss_param_track tr;
            ss_vocoder voc;
            if (ss_acoustic_lookup(v, (const char *const *)lines, nl, 0.0, NULL, &seq, err, sizeof err) != 0 ||
                ss_acoustic_durations(&seq, 1.0, err, sizeof err) != 0) {
                fprintf(stderr, "engine_bench: %s\n", err);
                return 2;
            }
            double t1 = cpu_s();
            if (ss_param_generate(v, &seq, 0, seq.nframes, NULL, &tr, err, sizeof err) != 0) {
                fprintf(stderr, "engine_bench: %s\n", err);
                return 2;
            }
            double t2 = cpu_s();
            float *out = NULL;
            size_t nout = 0, cap = 0;
            if (ss_vocoder_init(&voc, v, v->sample_rate, err, sizeof err) != 0 ||
                ss_vocoder_run(&voc, &tr, 1, NULL, &out, &nout, &cap, err, sizeof err) != 0) {
                fprintf(stderr, "engine_bench: %s\n", err);
                return 2;
            }
            double t3 = cpu_s();
            o[0] = minv(o[0], t1 - t0);
            o[1] = minv(o[1], t2 - t1);
            o[2] = minv(o[2], t3 - t2);
            nsamp = nout;
            free(out);
            ss_vocoder_free(&voc);
            ss_param_track_free(&tr);
            ss_acoustic_seq_free(&seq);

            double u0 = cpu_s();
            if (!HTS_Engine_generate_state_sequence_from_strings(&hts, lines, nl)) {
                fprintf(stderr, "engine_bench: libHTSEngine failed\n");
                return 2;
            }
            double u1 = cpu_s();
            HTS_Engine_generate_parameter_sequence(&hts);
            double u2 = cpu_s();
            HTS_Engine_generate_sample_sequence(&hts);
            double u3 = cpu_s();
            h[0] = minv(h[0], u1 - u0);
            h[1] = minv(h[1], u2 - u1);
            h[2] = minv(h[2], u3 - u2);
            HTS_Engine_refresh(&hts);
        }
        for (int k = 0; k < 3; k++) {
            ours[k] += o[k];
            theirs[k] += h[k];
        }
        audio_s += (double)nsamp / v->sample_rate;
        for (size_t i = 0; i < nl; i++)
            free(lines[i]);
        free(lines);
    }
    const char *stage[3] = {"model lookup", "parameter generation", "vocoder"};
    double to = ours[0] + ours[1] + ours[2], th = theirs[0] + theirs[1] + theirs[2];
    printf("audio: %d files, %.2f s; thread CPU time, best of %d\n", nfiles, audio_s, repeat);
    printf("%-22s %12s %12s %9s\n", "stage", "ours RTF", "hts RTF", "ours/hts");
    for (int k = 0; k < 3; k++)
        printf("%-22s %12.5f %12.5f %9.3f\n", stage[k], ours[k] / audio_s, theirs[k] / audio_s, ours[k] / theirs[k]);
    printf("%-22s %12.5f %12.5f %9.3f\n", "total", to / audio_s, th / audio_s, to / th);

    /* first-chunk latency: streamed synthesis of the first file, best of N */
    ss_voice *sv = ss_voice_load(voice, err, sizeof err);
    /* the first file whose utterance has an interior pause (> 1 chunk) */
    int lat_file = 0;
    size_t nl;
    char **lines = NULL;
    for (int fi = 0; fi < nfiles && sv; fi++) {
        lines = label_file_read(files[fi], 1, &nl);
        int pauses = 0;
        for (size_t i = 1; lines && i + 1 < nl; i++)
            pauses += strstr(lines[i], "-pau+") != NULL;
        if (pauses > 0 || fi + 1 == nfiles) {
            lat_file = fi;
            break;
        }
        for (size_t i = 0; lines && i < nl; i++)
            free(lines[i]);
        free(lines);
        lines = NULL;
    }
    double first = 1e9, whole = 1e9;
    size_t chunks = 0;
    for (int r = 0; r < repeat && sv && lines; r++) {
        ss_synth_options opt;
        ss_synth_options_init(&opt);
        opt.stream = 1;
        ss_synth_result res;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (ss_synthesize(sv, (const char *const *)lines, nl, &opt, NULL, NULL, &res, err, sizeof err) != 0) {
            fprintf(stderr, "engine_bench: %s\n", err);
            return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        first = minv(first, res.first_chunk_ms);
        whole = minv(whole, (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
        chunks = res.nchunks;
        ss_synth_result_free(&res);
    }
    printf("first-chunk latency (streamed, %s, %zu chunks): %.1f ms (whole utterance %.1f ms, wall)\n",
           files[lat_file], chunks, first, whole);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MiB (this process: our voice + hts_engine's voice loaded)\n", ru.ru_maxrss / 1024.0);
    printf("RESULT ours_rtf=%.5f hts_rtf=%.5f ratio=%.3f first_chunk_ms=%.1f\n", to / audio_s, th / audio_s, to / th, first);
    for (size_t i = 0; lines && i < nl; i++)
        free(lines[i]);
    free(lines);
    ss_voice_free(sv);
    HTS_Engine_clear(&hts);
    ss_htsvoice_free(v);
    return 0;
}
