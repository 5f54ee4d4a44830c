/* SSML for the clustergen voices (cg_speak.c): the document read by
 * our SSML parser (engine/frontend/ssml_parser.h, the one the HTS engine
 * uses) and cut into runs of words that flite's front end reads as plain
 * text, one run per stretch of equal prosody. A run ends at a sentence end,
 * a <break> (its pause is kept as silence after the run), <p>/<s>, or where
 * <prosody> rate or pitch changes. What reaches the voice: the words (after
 * say-as, sub and the normaliser), their punctuation, breaks and prosody
 * rate/pitch. What does not: <phoneme> pronunciations (the word is spoken
 * with flite's lexicon) and <emphasis> (flite's front end has no accent
 * input). */
#ifndef SS_ENGINE_CLUSTERGEN_CG_SSML_RUNS_H
#define SS_ENGINE_CLUSTERGEN_CG_SSML_RUNS_H

#include <stddef.h>

typedef struct {
    size_t start, end;      /* byte range in the document */
} ss_cg_span;

typedef struct {
    char *text;             /* the words with their punctuation, for flite */
    ss_cg_span *words;      /* [nwords]: each word's range in the document */
    size_t nwords;
    double rate;            /* prosody rate factor (1 = default) */
    double pitch_st;        /* prosody pitch, semitones */
    int pause_ms;           /* silence after the run */
} ss_cg_run;

/* 0 with *runs and *n (possibly none), or -1 + err: malformed SSML (the
 * parser's message) or "out of memory". */
int ss_cg_ssml_runs(const char *ssml, size_t len, ss_cg_run **runs, size_t *n, char *err, size_t errlen);
void ss_cg_runs_free(ss_cg_run *runs, size_t n);

#endif
