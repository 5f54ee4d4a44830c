/* `scaispeak labels` command:
 *
 *   scaispeak labels --text "Hello there."      labels on stdout
 *   scaispeak labels -f FILE                    one utterance per line
 *   scaispeak labels -f FILE --outdir DIR       DIR/01.lab, 02.lab, ... per line
 *   options: --lexicon FILE (run-time lexicon "WORD PH PH ..."), --ssml,
 *            --plain (force the input kind), --words (print the word
 *            structure with source offsets instead of labels)
 *
 * Labels are printed one per line, sentences one after the other; with
 * --outdir each non-empty input line gives one file (same numbering as
 * tests/oracle/festival_labels.sh). Exit 0 ok, 1 analysis error, 2 usage. */
#include "cli/cli_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/engine/frontend/frontend.h"

static int usage(void)
{
    fprintf(stderr, "usage: scaispeak labels (--text TEXT | -f FILE [--outdir DIR]) "
                    "[--lexicon FILE] [--ssml | --plain] [--words]\n");
    return 2;
}

static void print_words(FILE *o, const ss_utterance *u)
{
    for (size_t k = 0; k < u->n_sentences; k++) {
        const ss_sentence *s = &u->sentences[k];
        for (size_t i = 0; i < s->n_words; i++) {
            const ss_word *w = &s->words[i];
            fprintf(o, "%zu\t%d\t%s\t%zu-%zu\t%s\t", k, w->phrase, w->text, w->src_start,
                    w->src_end, w->gpos);
            for (int y = 0; y < w->n_syls; y++) {
                const ss_syllable *sy = &s->syls[w->first_syl + y];
                fprintf(o, "%s[", y ? " " : "");
                for (int p = 0; p < sy->n_phones; p++)
                    fprintf(o, "%s%s", p ? " " : "", s->phones[sy->first_phone + p].name);
                fprintf(o, "]%d%s", sy->stress, sy->accented ? "*" : "");
            }
            fprintf(o, "\n");
        }
    }
}

static void print_labels(FILE *o, const ss_utterance *u)
{
    for (size_t k = 0; k < u->n_sentences; k++)
        for (size_t i = 0; i < u->sentences[k].n_phones; i++)
            fprintf(o, "%s\n", u->sentences[k].labels[i]);
}

static int run_one(ss_frontend *fe, const char *text, const ss_frontend_options *o, FILE *out,
                   int words, const char *what)
{
    ss_utterance *u;
    char err[512];
    if (ss_frontend_analyze(fe, text, strlen(text), o, &u, err, sizeof err)) {
        fprintf(stderr, "labels: %s: %s\n", what, err);
        return 1;
    }
    if (words) print_words(out, u);
    else print_labels(out, u);
    ss_utterance_free(u);
    return 0;
}

int ss_cli_labels(int argc, char **argv)
{
    const char *text = NULL, *file = NULL, *outdir = NULL, *lexfile = NULL;
    int words = 0;
    ss_frontend_options o = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--text") && i + 1 < argc) text = argv[++i];
        else if (!strcmp(argv[i], "-f") && i + 1 < argc) file = argv[++i];
        else if (!strcmp(argv[i], "--outdir") && i + 1 < argc) outdir = argv[++i];
        else if (!strcmp(argv[i], "--lexicon") && i + 1 < argc) lexfile = argv[++i];
        else if (!strcmp(argv[i], "--ssml")) o.input = SS_INPUT_SSML;
        else if (!strcmp(argv[i], "--plain")) o.input = SS_INPUT_PLAIN;
        else if (!strcmp(argv[i], "--words")) words = 1;
        else return usage();
    }
    if (!!text == !!file) return usage();
    char err[512];
    ss_lexicon *lex = NULL;
    if (lexfile) {
        lex = ss_lexicon_create();
        if (!lex || ss_lexicon_load(lex, lexfile, err, sizeof err)) {
            fprintf(stderr, "labels: %s\n", lex ? err : "out of memory");
            ss_lexicon_free(lex);
            return 1;
        }
        o.lexicon = lex;
    }
    ss_frontend *fe = ss_frontend_create(err, sizeof err);
    if (!fe) {
        fprintf(stderr, "labels: %s\n", err);
        ss_lexicon_free(lex);
        return 1;
    }
    int rc = 0;
    if (text) {
        rc = run_one(fe, text, &o, stdout, words, "text");
    } else {
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(stderr, "labels: cannot open %s\n", file);
            rc = 1;
        } else {
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            int idx = 0;
            while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
                int blank = 1;
                for (ssize_t k = 0; k < n; k++)
                    if (line[k] != ' ' && line[k] != '\t' && line[k] != '\n' && line[k] != '\r') blank = 0;
                if (blank) continue;
                idx++;
                line[strcspn(line, "\r\n")] = 0;
                FILE *out = stdout;
                if (outdir) {
                    char path[4096];
                    snprintf(path, sizeof path, "%s/%02d.lab", outdir, idx);
                    out = fopen(path, "w");
                    if (!out) {
                        fprintf(stderr, "labels: cannot write %s\n", path);
                        rc = 1;
                        break;
                    }
                }
                char what[32];
                snprintf(what, sizeof what, "line %d", idx);
                rc = run_one(fe, line, &o, out, words, what);
                if (outdir) fclose(out);
            }
            free(line);
            fclose(f);
        }
    }
    ss_frontend_free(fe);
    ss_lexicon_free(lex);
    return rc;
}
