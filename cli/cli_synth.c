/* `scaispeak synth`: synthesize a WAV file from full-context labels.
 *
 *   scaispeak synth (--labels FILE | --text "..." | -f TEXTFILE) -o out.wav
 *                   [--speed X] [--pitch N] [--rate HZ] [--voice PATH]
 *                   [--stream] [--timestamps]
 *
 * --labels: one HTS label per line ("name" or festival's "start end name").
 * --text / -f: plain text or SSML through the text front end (frontend.h);
 * each sentence is synthesized in turn and the audio concatenated.
 * The voice defaults to the Debian slt voice. --stream synthesizes phrase by
 * phrase (same path as the node daemon's streaming) and --timestamps prints
 * the phone and word times to stdout. The WAV (16-bit PCM) is written with
 * libsndfile. */
#include "cli/cli_synth.h"
#include "cli/cli_voice.h"
#include "node/engine/voice/conditioned_voice.h"
#include "node/engine/engine.h"
#include "node/engine/frontend/frontend.h"
#include "node/engine/synth/sentence_prosody.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_VOICE "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts/hts/cmu_us_slt_arctic_hts.htsvoice"


static int usage(void)
{
    fprintf(stderr, "usage: scaispeak synth (--labels FILE | --text \"...\" | -f TEXTFILE) -o out.wav\n"
                    "                       [--speed X] [--pitch N] [--rate HZ] [--voice PATH] [--stream] [--timestamps]\n"
                    "                       [--voice-ref CLIP | --design \"deep, slow, elderly male narrator\"]\n");
    return 2;
}

static int parse_double(const char *s, double *out)
{
    char *e;
    errno = 0;
    *out = strtod(s, &e);
    return (e != s && !*e && !errno) ? 0 : -1;
}

static char **read_label_file(const char *path, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char **lines = NULL, *buf = NULL;
    size_t cap = 0, bl = 0;
    ssize_t r;
    *n = 0;
    while ((r = getline(&buf, &bl, f)) >= 0) {
        while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r' || buf[r - 1] == ' '))
            buf[--r] = '\0';
        if (r == 0)
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nl = realloc(lines, nc * sizeof *nl);
            if (!nl)
                break;
            lines = nl;
            cap = nc;
        }
        lines[(*n)++] = strdup(buf);
    }
    free(buf);
    fclose(f);
    if (*n == 0) {
        free(lines);
        snprintf(err, errlen, "%s holds no labels", path);
        return NULL;
    }
    return lines;
}

static char *read_text_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
        if (cap - len - 1 == 0) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!b) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    b[len] = '\0';
    return b;
}

/* Synthesizes every sentence of utt and joins the results into res
 * (audio concatenated, timestamps shifted by the audio before them). */
static int synth_sentences(const ss_voice *v, const ss_utterance *utt, const ss_synth_options *o,
                           ss_synth_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->sample_rate = o->sample_rate;
    double offset_ms = 0.0;
    size_t word_base = 0, phone_base = 0;
    for (size_t s = 0; s < utt->n_sentences; s++) {
        const ss_sentence *se = &utt->sentences[s];
        if (se->n_phones == 0)
            continue;
        ss_synth_result r;
        ss_synth_options so = *o;
        ss_label_prosody *pr = NULL;
        if (ss_sentence_prosody(se, &pr, err, errlen) != 0)
            return -1;
        so.prosody = pr;
        int rc = ss_synthesize(v, (const char *const *)se->labels, se->n_phones, &so, NULL, NULL, &r, err, errlen);
        free(pr);
        if (rc != 0) {
            ss_synth_result_free(&r);
            return -1;
        }
        float *ns = realloc(res->samples, (res->nsamples + r.nsamples) * sizeof(float));
        ss_phone_time *np = realloc(res->phones, (res->nphones + r.nphones) * sizeof *np);
        if (ns)
            res->samples = ns;
        if (np)
            res->phones = np;
        ss_word_time *nw = realloc(res->words, (res->nwords + r.nwords + 1) * sizeof *nw);
        if (nw)
            res->words = nw;
        if (!ns || !np || !nw) {
            ss_synth_result_free(&r);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(res->samples + res->nsamples, r.samples, r.nsamples * sizeof(float));
        for (size_t i = 0; i < r.nphones; i++) {
            ss_phone_time p = r.phones[i];
            p.start_ms += offset_ms;
            p.end_ms += offset_ms;
            p.label_index += phone_base;
            res->phones[res->nphones + i] = p;
        }
        for (size_t i = 0; i < r.nwords; i++) {
            ss_word_time w = r.words[i];
            w.start_ms += offset_ms;
            w.end_ms += offset_ms;
            w.word_index += word_base;
            w.first_phone += phone_base;
            w.last_phone += phone_base;
            res->words[res->nwords + i] = w;
        }
        res->nsamples += r.nsamples;
        res->nphones += r.nphones;
        res->nwords += r.nwords;
        word_base += r.nwords;
        phone_base += r.nphones;
        offset_ms = 1000.0 * (double)res->nsamples / o->sample_rate;
        ss_synth_result_free(&r);
    }
    if (res->nsamples == 0) {
        snprintf(err, errlen, "the text has nothing to say");
        return -1;
    }
    return 0;
}

int ss_cli_synth(int argc, char **argv)
{
    const char *labels_path = NULL, *out_path = NULL, *voice_path = DEFAULT_VOICE;
    const char *text = NULL, *text_path = NULL, *voice_ref = NULL, *design = NULL;
    int show_ts = 0;
    ss_synth_options o;
    ss_synth_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--stream") == 0) {
            o.stream = 1;
        } else if (strcmp(a, "--timestamps") == 0) {
            show_ts = 1;
        } else if (!val) {
            fprintf(stderr, "scaispeak synth: %s needs a value\n", a);
            return usage();
        } else if (strcmp(a, "--labels") == 0) {
            labels_path = val, i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out_path = val, i++;
        } else if (strcmp(a, "--voice") == 0) {
            voice_path = val, i++;
        } else if (strcmp(a, "--voice-ref") == 0) {
            voice_ref = val, i++;
        } else if (strcmp(a, "--design") == 0) {
            design = val, i++;
        } else if (strcmp(a, "--speed") == 0) {
            if (parse_double(val, &o.speed) != 0) {
                fprintf(stderr, "scaispeak synth: --speed wants a number\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--pitch") == 0) {
            if (parse_double(val, &o.pitch) != 0) {
                fprintf(stderr, "scaispeak synth: --pitch wants a number\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--rate") == 0) {
            double r;
            if (parse_double(val, &r) != 0 || r != floor(r) || r < 1 || r > 1e6) {
                fprintf(stderr, "scaispeak synth: --rate wants an integer\n");
                return 2;
            }
            o.sample_rate = (int)r;
            i++;
        } else if (strcmp(a, "--text") == 0) {
            text = val, i++;
        } else if (strcmp(a, "-f") == 0) {
            text_path = val, i++;
        } else {
            fprintf(stderr, "scaispeak synth: unknown option %s\n", a);
            return usage();
        }
    }
    if (!out_path || (!!labels_path + !!text + !!text_path) != 1 || (voice_ref && design))
        return usage();
    char err[512];
    if (ss_synth_options_validate(&o, err, sizeof err) != 0) {
        fprintf(stderr, "scaispeak synth: %s\n", err);
        return 2;
    }
    int rc = 1;
    ss_synth_result res;
    memset(&res, 0, sizeof res);
    char *text_buf = NULL;
    ss_frontend *fe = NULL;
    ss_utterance *utt = NULL;
    size_t n = 0;
    char **lines = NULL;
    ss_voice *base = ss_voice_load(voice_path, err, sizeof err), *conditioned = NULL;
    ss_voice *v = base;
    if (!v) {
        fprintf(stderr, "scaispeak synth: %s\n", err);
        goto done;
    }
    if (voice_ref || design) { /* zero-shot conditioning from a clip or a prompt */
        ss_conditioning cond;
        fe = ss_frontend_create(err, sizeof err);
        if (!fe || ss_cli_conditioned_voice(base, fe, voice_ref, design, &conditioned, &cond, err,
                                            sizeof err) != 0) {
            fprintf(stderr, "scaispeak synth: %s\n", err);
            goto done;
        }
        v = conditioned;
        o.speed = ss_conditioned_speed(&cond, o.speed);
    }
    if (labels_path) {
        lines = read_label_file(labels_path, &n, err, sizeof err);
        if (!lines) {
            fprintf(stderr, "scaispeak synth: %s\n", err);
            goto done;
        }
        if (ss_synthesize(v, (const char *const *)lines, n, &o, NULL, NULL, &res, err, sizeof err) != 0) {
            fprintf(stderr, "scaispeak synth: %s\n", err);
            goto done;
        }
    } else {
        if (text_path) {
            text_buf = read_text_file(text_path, err, sizeof err);
            if (!text_buf) {
                fprintf(stderr, "scaispeak synth: %s\n", err);
                goto done;
            }
            text = text_buf;
        }
        if (!fe)
            fe = ss_frontend_create(err, sizeof err);
        if (!fe || ss_frontend_analyze(fe, text, strlen(text), NULL, &utt, err, sizeof err) != 0) {
            fprintf(stderr, "scaispeak synth: %s\n", err);
            goto done;
        }
        if (synth_sentences(v, utt, &o, &res, err, sizeof err) != 0) {
            fprintf(stderr, "scaispeak synth: %s\n", err);
            goto done;
        }
    }
    SF_INFO info = {.samplerate = res.sample_rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(out_path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "scaispeak synth: cannot write %s: %s\n", out_path, sf_strerror(NULL));
        goto done;
    }
    /* libsndfile scales float [-1, 1) to 16 bits; clip first. */
    for (size_t i = 0; i < res.nsamples; i++) {
        if (res.samples[i] > 32767.0f / 32768.0f)
            res.samples[i] = 32767.0f / 32768.0f;
        else if (res.samples[i] < -1.0f)
            res.samples[i] = -1.0f;
    }
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    sf_count_t w = sf_writef_float(sf, res.samples, (sf_count_t)res.nsamples);
    int cerr = sf_close(sf);
    if (w != (sf_count_t)res.nsamples || cerr != 0) {
        fprintf(stderr, "scaispeak synth: short write to %s\n", out_path);
        goto done;
    }
    if (show_ts) {
        for (size_t i = 0; i < res.nphones; i++)
            printf("phone %zu %s %.1f %.1f\n", i, res.phones[i].phone, res.phones[i].start_ms, res.phones[i].end_ms);
        for (size_t i = 0; i < res.nwords; i++)
            printf("word %zu phones %zu-%zu %.1f %.1f\n", res.words[i].word_index, res.words[i].first_phone,
                   res.words[i].last_phone, res.words[i].start_ms, res.words[i].end_ms);
    }
    rc = 0;
done:
    ss_synth_result_free(&res);
    if (conditioned)
        ss_conditioned_voice_free(conditioned);
    ss_voice_free(base);
    if (utt)
        ss_utterance_free(utt);
    ss_frontend_free(fe);
    free(text_buf);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return rc;
}
