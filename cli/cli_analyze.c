/* `scaispeak analyze`: what the voice library would make of a reference.
 *
 *   scaispeak analyze REF [--voice PATH] [--design "..."] [--config FILE]
 *
 * Prints the preflight figures with the API's thresholds and fail_reasons
 * (API.md §4), the speaker statistics our analysis measured, and the
 * conditioning (conditioning.h, its serialised form) fitted against the
 * voice's own statistics (model_profile.h: the voice speaks a fixed
 * paragraph first, about a second of CPU, kept in the voice cache:
 * cli_base_stats.h). With --design the prompt is
 * parsed instead of a clip (REF omitted) and what was understood is
 * printed. Output is "key value" lines, stable for scripts. The voice is
 * the configuration's voice_path (read like every binary's) unless --voice
 * names one. */
#include "cli/cli_analyze.h"

#include "cli/cli_base_stats.h"
#include "cli/cli_files.h"
#include "cli/cli_voice_load.h"
#include "common/audio_input.h"
#include "common/config.h"
#include "node/engine/engine.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/voice/reference_analysis.h"
#include "node/engine/voice/voice_design.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: scaispeak analyze REF.wav [--voice PATH]\n"
                    "       scaispeak analyze --design \"deep, slow, elderly male narrator\" [--voice PATH]\n");
    return 2;
}

static void print_preflight(const ss_preflight_result *p)
{
    printf("preflight.passed %s\n", p->passed ? "true" : "false");
    printf("preflight.duration_s %.3f\n", p->duration_s);
    printf("preflight.voice_activity_ratio %.3f\n", p->voice_activity_ratio);
    printf("preflight.peak_dbfs %.2f\n", p->peak_dbfs);
    printf("preflight.snr_db %.1f\n", p->snr_db);
    printf("preflight.sample_rate %d\n", p->sample_rate);
    printf("preflight.channels %d\n", p->channels);
    const char *names[SS_PREFLIGHT_NREASONS];
    size_t k = ss_preflight_fail_reasons(p, names, SS_PREFLIGHT_NREASONS);
    printf("preflight.fail_reasons");
    for (size_t i = 0; i < k; i++)
        printf(" %s", names[i]);
    printf("\n");
    printf("preflight.thresholds min_duration_s=%g max_duration_s=%g min_voice_activity_ratio=%g "
           "max_peak_dbfs=%g min_snr_db=%g\n",
           p->thresholds.min_duration_s, p->thresholds.max_duration_s,
           p->thresholds.min_voice_activity_ratio, p->thresholds.max_peak_dbfs, p->thresholds.min_snr_db);
}

typedef struct {
    const char *ref, *voice_path, *design;
} analyze_args;

/* Reads the command line into a; exactly one of REF and --design. 0, or
 * -1 for usage. */
static int parse_args(int argc, char **argv, analyze_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--voice") && i + 1 < argc)
            a->voice_path = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            i++; /* read by ss_config_from_args */
        else if (!strcmp(argv[i], "--design") && i + 1 < argc)
            a->design = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return -1;
        else if (!a->ref)
            a->ref = argv[i];
        else
            return -1;
    }
    if (!!a->ref == !!a->design)
        return -1;
    return 0;
}

/* --design: parses the prompt into c and prints what was understood. 0, or
 * -1 after saying why. */
static int analyze_design(const ss_speaker_stats *model, double alpha, const char *design, ss_conditioning *c)
{
    char err[512];
    ss_design_understood u;
    if (ss_voice_design_parse(design, model->lf0_mean, alpha, c, &u, err, sizeof err) != 0) {
        fprintf(stderr, "analyze: %s\n", err);
        return -1;
    }
    char buf[256];
    ss_design_understood_format(&u, buf, sizeof buf);
    printf("design.understood %s\ndesign.used %s\ndesign.ignored %s\n", buf, u.used, u.ignored);
    return 0;
}

/* REF: fits c to the clip and prints the preflight and the measured
 * statistics. 0 (preflight passed), 3 (it did not), or -1 after saying
 * why. */
static int analyze_reference(const ss_speaker_stats *model, double alpha, const char *ref, ss_conditioning *c)
{
    char err[512];
    size_t len = 0;
    char *data = ss_cli_read_file(ref, SS_AUDIO_MAX_BYTES, &len, err, sizeof err);
    if (!data) {
        fprintf(stderr, "analyze: %s\n", err);
        return -1;
    }
    ss_reference_report rep;
    char reason[64];
    int ok = ss_reference_condition((const uint8_t *)data, len, model, alpha, c, &rep, reason, sizeof reason, err,
                                    sizeof err);
    free(data);
    if (rep.have_preflight)
        print_preflight(&rep.preflight);
    if (ok != 0) {
        printf("error %s\n", err);
        fprintf(stderr, "analyze: %s\n", err);
        return -1;
    }
    printf("reference.format %s\n", rep.format);
    printf("reference.f0_hz %.1f\nreference.logf0_std_st %.2f\nreference.syllable_rate %.2f\n"
           "reference.voiced_s %.2f\nreference.speech_s %.2f\n",
           exp(rep.stats.lf0_mean), rep.stats.lf0_std * 12 / log(2.0), rep.stats.syllable_rate,
           rep.stats.voiced_frames * 0.005, rep.stats.speech_s);
    return rep.preflight.passed ? 0 : 3;
}

static void print_conditioning(const ss_conditioning *c)
{
    printf("conditioning.f0_shift_st %.2f\n", c->lf0_shift * 12 / log(2.0));
    char ser[1024];
    ss_conditioning_serialize(c, ser, sizeof ser);
    for (char *line = strtok(ser, "\n"); line; line = strtok(NULL, "\n"))
        printf("conditioning.%s\n", line);
}

/* With the voice loaded: the model's statistics, then the design or the
 * reference, then the conditioning. The exit code. */
static int analyze_voice(ss_voice *v, const char *voice_path, const ss_settings *settings, const analyze_args *a)
{
    char err[512];
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    ss_speaker_stats model;
    int rc = 1;
    if (!fe || ss_cli_hts_stats(v, voice_path, fe, settings, &model, err, sizeof err) != 0) {
        fprintf(stderr, "analyze: model profile: %s\n", err);
        goto out;
    }
    printf("model.f0_hz %.1f\nmodel.logf0_std_st %.2f\nmodel.syllable_rate %.2f\n", exp(model.lf0_mean),
           model.lf0_std * 12 / log(2.0), model.syllable_rate);
    ss_conditioning c;
    const double alpha = ss_voice_mcp_alpha(v);
    int got = a->design ? analyze_design(&model, alpha, a->design, &c) : analyze_reference(&model, alpha, a->ref, &c);
    if (got < 0)
        goto out;
    rc = got;
    print_conditioning(&c);
out:
    ss_frontend_free(fe);
    return rc;
}

int ss_cli_analyze(int argc, char **argv)
{
    analyze_args a = {0};
    if (parse_args(argc, argv, &a) != 0)
        return usage();
    int exit_code = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &exit_code);
    if (!settings)
        return exit_code;
    const char *voice_path = a.voice_path ? a.voice_path : settings->voice_path;
    char err[512];
    ss_voice *v = ss_cli_voice_load("analyze", voice_path, settings, err, sizeof err);
    if (!v) {
        fprintf(stderr, "analyze: cannot load voice %s: %s\n", voice_path, err);
        ss_config_free(settings);
        return 1;
    }
    int rc = analyze_voice(v, voice_path, settings, &a);
    ss_voice_free(v);
    ss_config_free(settings);
    return rc;
}
