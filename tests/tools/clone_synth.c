/* Test tool: speaks sentences with the base voice conditioned on a reference
 * clip (--ref), a design prompt (--design) or nothing (--none), one WAV per
 * line of the sentences file, and prints the conditioning. Used by
 * tests/quality/clone_*.sh.
 *
 *   clone_synth VOICE.htsvoice OUTDIR SENTENCES.txt (--ref REF | --design TEXT | --cond FILE | --none)
 *
 * --cond reads a serialised conditioning (conditioning.h), e.g. one printed
 * by an earlier run with a field edited, to try one change at a time.
 */
#include "common/audio_input.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/voice_design.h"
#include "tests/tools/wav_file.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The conditioning sources: each sets *c from its argument (the base voice's
 * identity conditioning on entry) or fills err. */
typedef int (*cond_source_fn)(const char *arg, ss_voice *base, const ss_speaker_stats *model,
                              ss_conditioning *c, char *err, size_t errlen);

static int cond_from_ref(const char *arg, ss_voice *base, const ss_speaker_stats *model,
                         ss_conditioning *c, char *err, size_t errlen)
{
    ss_audio a;
    ss_audio_error code;
    ss_speaker_stats ref;
    if (ss_audio_decode_file(arg, &a, &code, err, errlen) != 0)
        return -1;
    int rc = ss_speaker_stats_compute(a.samples, a.nsamples, a.sample_rate, &ref, err, errlen) != 0 ||
                     ss_conditioning_fit(model, &ref, ss_voice_mcp_alpha(base), c, err, errlen) != 0
                 ? -1
                 : 0;
    ss_audio_free(&a);
    return rc;
}

static int cond_from_design(const char *arg, ss_voice *base, const ss_speaker_stats *model,
                            ss_conditioning *c, char *err, size_t errlen)
{
    ss_design_understood u;
    if (ss_voice_design_parse(arg, model->lf0_mean, ss_voice_mcp_alpha(base), c, &u, err, errlen) != 0)
        return -1;
    char d[512];
    ss_design_understood_format(&u, d, sizeof d);
    printf("understood %s\n", d);
    return 0;
}

static int cond_from_file(const char *arg, ss_voice *base, const ss_speaker_stats *model,
                          ss_conditioning *c, char *err, size_t errlen)
{
    (void)base;
    (void)model;
    FILE *cf = fopen(arg, "r");
    char text[2048];
    size_t tl = cf ? fread(text, 1, sizeof text - 1, cf) : 0;
    if (cf)
        fclose(cf);
    return ss_conditioning_parse(text, tl, c, err, errlen);
}

static const struct {
    const char *flag;
    cond_source_fn fn; /* NULL: the identity (--none) */
} cond_sources[] = {
    {"--ref", cond_from_ref},
    {"--design", cond_from_design},
    {"--cond", cond_from_file},
    {"--none", NULL},
};

/* Speaks each non-empty line of the sentences file into OUTDIR/NN.wav.
 * 0, or 1 after a message. */
static int speak_lines(ss_voice *v, ss_frontend *fe, const ss_conditioning *c, const char *sentences,
                       const char *outdir)
{
    FILE *f = fopen(sentences, "r");
    if (!f) {
        fprintf(stderr, "clone_synth: cannot read %s\n", sentences);
        return 1;
    }
    char line[2048], err[512];
    int k = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        float *pcm;
        size_t n;
        if (ss_model_speak(v, fe, line, ss_conditioned_speed(c, 1.0), &pcm, &n, err, sizeof err) != 0) {
            fprintf(stderr, "clone_synth: line %d: %s\n", k + 1, err);
            rc = 1;
            break;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%02d.wav", outdir, ++k);
        if (ss_test_write_wav(path, pcm, n, ss_voice_native_rate(v)) != 0) {
            fprintf(stderr, "clone_synth: cannot write %s\n", path);
            rc = 1;
        }
        free(pcm);
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: clone_synth VOICE OUTDIR SENTENCES (--ref REF | --design TEXT | --none)\n");
        return 2;
    }
    size_t src = 0, nsrc = sizeof cond_sources / sizeof cond_sources[0];
    while (src < nsrc && strcmp(argv[4], cond_sources[src].flag) != 0)
        src++;
    if (src == nsrc || (cond_sources[src].fn && argc < 6)) {
        fprintf(stderr, "clone_synth: say --ref FILE, --design TEXT, --cond FILE or --none\n");
        return 2;
    }
    char err[512];
    ss_voice *base = ss_voice_load(argv[1], err, sizeof err);
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    if (!base || !fe) {
        fprintf(stderr, "clone_synth: %s\n", err);
        return 1;
    }
    ss_speaker_stats model;
    if (ss_model_profile_compute(base, fe, NULL, &model, err, sizeof err) != 0) {
        fprintf(stderr, "clone_synth: model profile: %s\n", err);
        return 1;
    }
    ss_conditioning c;
    ss_conditioning_identity(&c, model.lf0_mean, ss_voice_mcp_alpha(base));
    if (cond_sources[src].fn && cond_sources[src].fn(argv[5], base, &model, &c, err, sizeof err) != 0) {
        fprintf(stderr, "clone_synth: %s %s: %s\n", argv[4], argv[5], err);
        return 1;
    }
    char ser[1024];
    ss_conditioning_serialize(&c, ser, sizeof ser);
    fputs(ser, stdout);
    ss_voice *v = ss_conditioned_voice_new(base, &c, NULL, err, sizeof err);
    if (!v) {
        fprintf(stderr, "clone_synth: %s\n", err);
        return 1;
    }
    int rc = speak_lines(v, fe, &c, argv[3], argv[2]);
    ss_conditioned_voice_free(v);
    ss_frontend_free(fe);
    ss_voice_free(base);
    return rc;
}
