/* Test tool: speaks sentences with a flite clustergen voice (rms, awb, slt)
 * through OUR clustergen pipeline (node/engine/clustergen/: flite's front
 * end, our states, CART lookups, MLPG, excitation and MLSA), one WAV per
 * line of the sentences file (01.wav, 02.wav, ...), at the voice's rate.
 * Prints the real-time factor (CPU seconds per audio second) at the end.
 * Used by tests/quality/ for the per-voice WER gate.
 *
 *   cg_synth VOICE OUTDIR SENTENCES.txt [--speed X] [--pitch X]
 *   cg_synth VOICE OUT.wav --text "Some text."
 */
#include "node/engine/clustergen/cg_synth.h"
#include "tests/tools/wav_file.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Synthesises text into path; adds the audio seconds to *audio. */
static int speak(ss_cg_voice *v, const char *text, const ss_cg_options *opt, const char *path,
                 double *audio)
{
    char err[512];
    ss_cg_audio a;
    if (ss_cg_synthesize(v, text, opt, &a, err, sizeof err) != 0) {
        fprintf(stderr, "cg_synth: %s: %s\n", text, err);
        return -1;
    }
    int rc = ss_test_write_wav(path, a.samples, a.nsamples, a.rate);
    if (rc != 0)
        fprintf(stderr, "cg_synth: cannot write %s\n", path);
    *audio += (double)a.nsamples / a.rate;
    ss_cg_audio_free(&a);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: cg_synth VOICE OUTDIR SENTENCES [--speed X] [--pitch X]\n"
                        "       cg_synth VOICE OUT.wav --text TEXT\n");
        return 2;
    }
    ss_cg_options opt = {.duration_scale = 1.0, .f0_scale = 1.0};
    const char *text = NULL;
    for (int i = 3; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--speed") == 0)
            opt.duration_scale = 1.0 / atof(argv[++i]);
        else if (strcmp(argv[i], "--pitch") == 0)
            opt.f0_scale = atof(argv[++i]);
        else if (strcmp(argv[i], "--text") == 0)
            text = argv[++i];
    }
    char err[512];
    ss_cg_voice *v = ss_cg_voice_load(argv[1], err, sizeof err);
    if (!v) {
        fprintf(stderr, "cg_synth: %s\n", err);
        return 1;
    }
    double audio = 0.0, t0 = cpu_seconds();
    int rc = 0;
    if (text) {
        rc = speak(v, text, &opt, argv[2], &audio);
    } else {
        FILE *f = fopen(argv[3], "r");
        if (!f) {
            fprintf(stderr, "cg_synth: cannot read %s\n", argv[3]);
            return 1;
        }
        char line[4096], path[4200];
        int k = 0;
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0])
                continue;
            snprintf(path, sizeof path, "%s/%02d.wav", argv[2], ++k);
            rc |= speak(v, line, &opt, path, &audio);
        }
        fclose(f);
    }
    double cpu = cpu_seconds() - t0;
    printf("audio %.2f s  cpu %.3f s  RTF %.4f\n", audio, cpu, audio > 0 ? cpu / audio : 0.0);
    ss_cg_voice_free(v);
    return rc ? 1 : 0;
}
