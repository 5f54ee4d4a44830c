/* `scaispeak synth`: text (or full-context labels) in, a WAV file out,
 * with the engine running in this process — no server.
 *
 *   scaispeak synth (--text "..." | -f TEXTFILE | --labels FILE) -o out.wav
 *                   [--speed X] [--pitch N] [--rate HZ] [--voice PATH|rms|awb|slt_cg]
 *                   [--voice-ref CLIP | --design "..."] [--timestamps]
 *                   [--config FILE]
 *
 * Text goes through the engine's one text -> audio orchestration
 * (ss_engine_speak, engine.h) — the same call the node makes for /speak —
 * and the chunks are written as 16-bit PCM with the same float -> s16
 * conversion the node uses, so this command and a node give the same
 * samples for the same input. --labels bypasses the front end (labels are
 * synthesized as one utterance, streamed the same way).
 *
 * Configuration is read like every other binary (--config FILE,
 * SCAISPEAK_CONFIG, SCAISPEAK_<KEY>): voice_path is the voice unless --voice
 * names one, kernels picks the compute kernels. Audio is written as it is
 * made (memory does not grow with the length of the text); a failed
 * synthesis removes the half-written file. --timestamps prints the phone
 * and word times to stdout, sentence by sentence.
 *
 * --voice rms, awb or slt_cg names one of flite's clustergen voices
 * instead of a .htsvoice file: cli_synth_cg.c speaks it with the node's
 * clustergen orchestration, at the voice's own 16 kHz unless --rate is
 * given (--labels and --design are the HTS voice's and are refused).
 * --voice-ref without --voice clones onto the base voice a node would
 * choose (cli_base_choice.c: the nearest of the HTS voice and the
 * clustergen voices to the clip), so a male clip is spoken by rms or awb. */
#include "cli/cli_synth.h"

#include "cli/cli_base_choice.h"
#include "cli/cli_base_stats.h"
#include "cli/cli_files.h"
#include "cli/cli_synth_cg.h"
#include "cli/cli_voice.h"
#include "cli/cli_voice_load.h"
#include "common/config.h"
#include "kernels/kernels_select.h"
#include "node/engine/engine.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *labels_path, *out_path, *voice_path, *text, *text_path, *voice_ref, *design;
    const ss_settings *settings;
    bool timestamps;
    bool rate_given;    /* --rate was given (a clustergen voice else speaks at its own rate) */
    bool voice_given;   /* --voice was given (else --voice-ref picks the nearest base) */
    ss_synth_options o;
} synth_args;

static int usage(FILE *out)
{
    fprintf(out, "usage: scaispeak synth (--text \"...\" | -f TEXTFILE | --labels FILE) -o out.wav\n"
                 "                       [--speed X] [--pitch N] [--rate HZ] [--timestamps]\n"
                 "                       [--voice PATH|rms|awb|slt_cg]\n"
                 "                       [--voice-ref CLIP | --design \"deep, slow, elderly male narrator\"]\n"
                 "                       [--config FILE]\n");
    return out == stderr ? 2 : 0;
}

static int parse_double(const char *s, double *out)
{
    char *e;
    errno = 0;
    *out = strtod(s, &e);
    return (e != s && !*e && !errno) ? 0 : -1;
}

/* ---- the option table: one small setter per flag */

static int set_speed(synth_args *a, const char *v) { return parse_double(v, &a->o.speed); }
static int set_pitch(synth_args *a, const char *v) { return parse_double(v, &a->o.pitch); }
static int set_rate(synth_args *a, const char *v)
{
    double r;
    if (parse_double(v, &r) != 0 || r != floor(r) || r < 1 || r > 1e6)
        return -1;
    a->o.sample_rate = (int)r;
    a->rate_given = true;
    return 0;
}
static int set_labels(synth_args *a, const char *v) { a->labels_path = v; return 0; }
static int set_output(synth_args *a, const char *v) { a->out_path = v; return 0; }
static int set_voice(synth_args *a, const char *v) { a->voice_path = v; a->voice_given = true; return 0; }
static int set_voice_ref(synth_args *a, const char *v) { a->voice_ref = v; return 0; }
static int set_design(synth_args *a, const char *v) { a->design = v; return 0; }
static int set_text(synth_args *a, const char *v) { a->text = v; return 0; }
static int set_text_file(synth_args *a, const char *v) { a->text_path = v; return 0; }
static int set_timestamps(synth_args *a, const char *v) { (void)v; a->timestamps = true; return 0; }
static int set_nothing(synth_args *a, const char *v) { (void)a; (void)v; return 0; }

static const struct {
    const char *name;
    bool takes_value;
    int (*set)(synth_args *a, const char *value);
    const char *bad_value; /* message when set fails */
} synth_flags[] = {
    {"--text", true, set_text, NULL},
    {"-f", true, set_text_file, NULL},
    {"--labels", true, set_labels, NULL},
    {"-o", true, set_output, NULL},
    {"--output", true, set_output, NULL},
    {"--voice", true, set_voice, NULL},
    {"--voice-ref", true, set_voice_ref, NULL},
    {"--design", true, set_design, NULL},
    {"--speed", true, set_speed, "--speed wants a number"},
    {"--pitch", true, set_pitch, "--pitch wants a number"},
    {"--rate", true, set_rate, "--rate wants an integer"},
    {"--timestamps", false, set_timestamps, NULL},
    {"--stream", false, set_nothing, NULL}, /* kept for old scripts: audio always streams */
    {"--config", true, set_nothing, NULL},  /* read by ss_config_from_args */
};

/* 0 parsed, 1 help asked, 2 usage error (message printed). */
static int parse_args(int argc, char **argv, synth_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (!strcmp(flag, "-h") || !strcmp(flag, "--help"))
            return 1;
        size_t k = 0, n = sizeof synth_flags / sizeof synth_flags[0];
        while (k < n && strcmp(flag, synth_flags[k].name))
            k++;
        if (k == n) {
            fprintf(stderr, "scaispeak synth: unknown option %s\n", flag);
            return 2;
        }
        const char *val = NULL;
        if (synth_flags[k].takes_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "scaispeak synth: %s needs a value\n", flag);
                return 2;
            }
            val = argv[++i];
        }
        if (synth_flags[k].set(a, val) != 0) {
            fprintf(stderr, "scaispeak synth: %s\n", synth_flags[k].bad_value);
            return 2;
        }
    }
    if (!a->out_path || (!!a->labels_path + !!a->text + !!a->text_path) != 1 || (a->voice_ref && a->design))
        return 2;
    return 0;
}

/* ---- input files */

/* Text and label files: at most 16 MiB (the API's text limit is 100 000
 * characters; the CLI allows long files, not unbounded ones). */
#define CLI_TEXT_MAX_BYTES (16u << 20)

static char *read_file(const char *path, char *err, size_t errlen)
{
    return ss_cli_read_file(path, CLI_TEXT_MAX_BYTES, NULL, err, errlen);
}

/* The non-empty lines of a label file, trailing blanks removed. */
static char **read_label_lines(const char *path, size_t *n, char *err, size_t errlen)
{
    char *all = read_file(path, err, errlen);
    if (!all)
        return NULL;
    size_t cap = 64;
    char **lines = malloc(cap * sizeof *lines);
    *n = 0;
    for (char *save = NULL, *ln = strtok_r(all, "\n", &save); lines && ln; ln = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(ln);
        while (l > 0 && (ln[l - 1] == '\r' || ln[l - 1] == ' '))
            ln[--l] = '\0';
        if (l == 0)
            continue;
        if (*n == cap) {
            char **nl = realloc(lines, (cap *= 2) * sizeof *nl);
            if (!nl) {
                for (size_t i = 0; i < *n; i++)
                    free(lines[i]);
                free(lines);
                lines = NULL;
                break;
            }
            lines = nl;
        }
        if (!(lines[*n] = strdup(ln))) {
            for (size_t i = 0; i < *n; i++)
                free(lines[i]);
            free(lines);
            lines = NULL;
            break;
        }
        (*n)++;
    }
    free(all);
    if (!lines) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    if (*n == 0) {
        free(lines);
        snprintf(err, errlen, "%s holds no labels", path);
        return NULL;
    }
    return lines;
}

/* ---- the WAV sink: s16 chunks written as they come */

typedef struct {
    SNDFILE *sf;
    int16_t *pcm;
    size_t cap;
    size_t words, phones;       /* printed so far (--timestamps numbering) */
    bool out_of_memory, write_failed;
} wav_sink;

static int wav_audio(void *user, const ss_audio_chunk *chunk)
{
    wav_sink *w = user;
    if (chunk->nsamples > w->cap) {
        int16_t *np = realloc(w->pcm, chunk->nsamples * sizeof *np);
        if (!np) {
            w->out_of_memory = true;
            return 1;
        }
        w->pcm = np;
        w->cap = chunk->nsamples;
    }
    ss_samples_to_s16(chunk->samples, chunk->nsamples, w->pcm);
    if (sf_writef_short(w->sf, w->pcm, (sf_count_t)chunk->nsamples) != (sf_count_t)chunk->nsamples) {
        w->write_failed = true;
        return 1;
    }
    return 0;
}

static int print_alignment(void *user, const ss_sentence_alignment *a)
{
    wav_sink *w = user;
    for (size_t i = 0; i < a->nphones; i++)
        printf("phone %zu %s %.1f %.1f\n", w->phones + i, a->phones[i].phone, a->phones[i].start_ms,
               a->phones[i].end_ms);
    for (size_t i = 0; i < a->nwords; i++)
        printf("word %zu phones %zu-%zu %.1f %.1f %.*s\n", w->words + i, w->phones + a->words[i].first_phone,
               w->phones + a->words[i].last_phone, a->words[i].start_ms, a->words[i].end_ms,
               (int)a->words[i].text_len, a->words[i].text);
    w->phones += a->nphones;
    w->words += a->nwords;
    return 0;
}

/* --labels: one utterance, streamed to the sink; timestamps from the result. */
static int synth_labels(const ss_voice *v, const synth_args *a, wav_sink *w, char *err, size_t errlen)
{
    size_t n = 0;
    char **lines = read_label_lines(a->labels_path, &n, err, errlen);
    if (!lines)
        return -1;
    ss_synth_options o = a->o;
    o.stream = 1;
    o.keep_audio = 0;
    ss_synth_result r;
    int rc = ss_synthesize(v, (const char *const *)lines, n, &o, wav_audio, w, &r, err, errlen);
    if (rc == 0 && a->timestamps) {
        for (size_t i = 0; i < r.nphones; i++)
            printf("phone %zu %s %.1f %.1f\n", i, r.phones[i].phone, r.phones[i].start_ms, r.phones[i].end_ms);
        for (size_t i = 0; i < r.nwords; i++)
            printf("word %zu phones %zu-%zu %.1f %.1f\n", r.words[i].word_index, r.words[i].first_phone,
                   r.words[i].last_phone, r.words[i].start_ms, r.words[i].end_ms);
    }
    ss_synth_result_free(&r);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

/* --text / -f: the engine's text -> audio orchestration. */
static int synth_text(const ss_voice *v, ss_frontend *fe, const synth_args *a, wav_sink *w, char *err,
                      size_t errlen)
{
    char *buf = NULL;
    const char *text = a->text;
    if (a->text_path) {
        if (!(buf = read_file(a->text_path, err, errlen)))
            return -1;
        text = buf;
    }
    ss_speak_sink sink = {.audio = wav_audio, .alignment = a->timestamps ? print_alignment : NULL, .user = w};
    int rc = ss_engine_speak(v, fe, text, strlen(text), &a->o, &sink, NULL, err, errlen);
    free(buf);
    return rc;
}

/* --voice names a clustergen voice (cli_synth_cg.h): text in, WAV out.
 * choice: what choosing it measured (NULL when --voice named it). */
static int run_synth_cg(const synth_args *a, const ss_cli_base_choice *choice, char *err, size_t errlen)
{
    char *buf = NULL;
    const char *text = a->text;
    if (a->text_path && !(text = buf = read_file(a->text_path, err, errlen)))
        return -1;
    const ss_cli_cg_synth s = {.engine_id = a->voice_path, .text = text, .out_path = a->out_path,
                               .voice_ref = a->voice_ref, .ref_stats = choice ? &choice->ref : NULL,
                               .voice_stats = choice ? &choice->base : NULL, .speed = a->o.speed, .pitch = a->o.pitch,
                               .sample_rate = a->rate_given ? a->o.sample_rate : 0, .timestamps = a->timestamps,
                               .settings = a->settings};
    int rc = ss_cli_synth_cg(&s, err, errlen);
    free(buf);
    return rc;
}

/* Loads the voice (conditioned when asked), synthesizes into out_path. */
static int run_synth(const synth_args *a, char *err, size_t errlen)
{
    int rc = -1;
    ss_synth_options o = a->o;
    ss_frontend *fe = NULL;
    ss_voice *conditioned = NULL, *base = ss_cli_voice_load("scaispeak synth", a->voice_path, a->settings, err, errlen);
    if (!base)
        return -1;
    const ss_voice *v = base;
    if (a->text || a->text_path || a->voice_ref || a->design) {
        if (!(fe = ss_frontend_create(err, errlen)))
            goto done;
    }
    ss_cli_base_choice choice;
    bool chosen = false;
    if (a->voice_ref && !a->voice_given && !a->labels_path) { /* the base a node would choose */
        if (ss_cli_nearest_base(base, a->voice_path, fe, a->settings, a->voice_ref, &choice, err, errlen) != 0)
            goto done;
        if (choice.cg_engine[0]) {
            synth_args on_cg = *a;
            on_cg.voice_path = choice.cg_engine;
            rc = run_synth_cg(&on_cg, &choice, err, errlen);
            goto done;
        }
        chosen = true;
    }
    if (a->voice_ref || a->design) { /* zero-shot conditioning from a clip or a prompt */
        ss_conditioning cond;
        ss_speaker_stats own;
        if (!chosen && ss_cli_hts_stats(base, a->voice_path, fe, a->settings, &own, err, errlen) != 0)
            goto done;
        if (ss_cli_conditioned_voice(base, chosen ? &choice.base : &own, a->voice_ref, chosen ? &choice.ref : NULL,
                                     a->design, &conditioned, &cond, err, errlen) != 0)
            goto done;
        v = conditioned;
        o.speed = ss_conditioned_speed(&cond, o.speed);
    }
    SF_INFO info = {.samplerate = o.sample_rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    wav_sink w = {.sf = sf_open(a->out_path, SFM_WRITE, &info)};
    if (!w.sf) {
        snprintf(err, errlen, "cannot write %s: %s", a->out_path, sf_strerror(NULL));
        goto done;
    }
    synth_args run = *a;
    run.o = o;
    rc = a->labels_path ? synth_labels(v, &run, &w, err, errlen) : synth_text(v, fe, &run, &w, err, errlen);
    if (w.out_of_memory)
        snprintf(err, errlen, "out of memory");
    else if (w.write_failed)
        snprintf(err, errlen, "short write to %s", a->out_path);
    if (sf_close(w.sf) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot finish %s", a->out_path);
        rc = -1;
    }
    free(w.pcm);
    if (rc != 0)
        unlink(a->out_path);
done:
    ss_conditioned_voice_free(conditioned);
    ss_voice_free(base);
    ss_frontend_free(fe);
    return rc;
}

/* 0, or 2 with a message: what a clustergen voice cannot take. */
static int check_cg_args(const synth_args *a)
{
    if (!a->labels_path && !a->design)
        return 0;
    fprintf(stderr, "scaispeak synth: %s is for the HTS voice; %s is a clustergen voice (give --text or -f%s)\n",
            a->labels_path ? "--labels" : "--design", a->voice_path, a->design ? ", or --voice-ref" : "");
    return 2;
}

int ss_cli_synth(int argc, char **argv)
{
    synth_args a = {0};
    ss_synth_options_init(&a.o);
    int p = parse_args(argc, argv, &a);
    if (p)
        return p == 1 ? usage(stdout) : usage(stderr);
    int exit_code = 0;
    ss_settings *settings = ss_config_from_args(argc, argv, "scaispeak", SS_SCOPE_CLI, &exit_code);
    if (!settings)
        return exit_code;
    char err[512], note[256];
    const ss_kernel_ops *ops = NULL;
    if (ss_kernels_select(settings->kernels, &ops, note, sizeof note, err, sizeof err) != 0) {
        fprintf(stderr, "scaispeak synth: %s\n", err);
        ss_config_free(settings);
        return 2;
    }
    a.o.kernels = ops;
    if (!a.voice_path)
        a.voice_path = settings->voice_path;
    a.settings = settings;
    int rc = 1;
    const bool cg = ss_cli_is_cg_voice(a.voice_path);
    if (!a.voice_path[0])
        fprintf(stderr, "scaispeak synth: no voice (voice_path is empty and --voice was not given)\n");
    else if (ss_synth_options_validate(&a.o, err, sizeof err) != 0) {
        fprintf(stderr, "scaispeak synth: %s\n", err);
        rc = 2;
    } else if (cg && check_cg_args(&a) != 0)
        rc = 2;
    else if ((cg ? run_synth_cg(&a, NULL, err, sizeof err) : run_synth(&a, err, sizeof err)) != 0)
        fprintf(stderr, "scaispeak synth: %s\n", err);
    else
        rc = 0;
    ss_config_free(settings);
    return rc;
}
