/* Festival's trained English models the front end predicts with, read from
 * Debian's festival data (the same package that ships the slt voice):
 *
 *   dicts/wsj.wp39.poslexR      word -> (wp39 tag, log P(word | tag)) list
 *   dicts/wsj.wp39.tri.ngrambin POS tag trigram (wp39)
 *   sec.ts20.quad.ngrambin      P(prev, this, next POS (wp20) | B / NB)
 *   sec.B.hept.ngrambin         break / no-break 7-gram
 *
 * plus the entries festival's pos.scm adds to the POS lexicon (_OOV_,
 * _number_, punctuation). Loaded once per process on first use
 * (pthread_once; the lexicon is memory-mapped, not parsed) and read-only
 * afterwards, so any thread may use them. */
#ifndef SS_ENGINE_FESTIVAL_MODELS_H
#define SS_ENGINE_FESTIVAL_MODELS_H

#include <stddef.h>

#include "node/engine/frontend/est_ngram.h"

/* Where the data is read from (Debian's festival). */
#define SS_FESTIVAL_DATA_DIR "/usr/share/festival"

typedef struct {
    int tag;      /* index in pos_trigram's vocabulary */
    double score; /* log P(word | tag) as festival's lexicon gives it */
} ss_pos_candidate;

typedef struct {
    ss_est_ngram pos_trigram;  /* wsj.wp39.tri */
    ss_est_ngram break_pos;    /* sec.ts20.quad */
    ss_est_ngram break_ngram;  /* sec.B.hept */
} ss_festival_models;

/* The models, loaded on the first call. NULL with a message when the data
 * cannot be read (missing package, bad file, out of memory). */
const ss_festival_models *ss_festival_models_get(char *err, size_t errlen);

/* The i-th data file the models are read from (under SS_FESTIVAL_DATA_DIR),
 * NULL past the last: what a cache of anything measured through the front
 * end keys on (cli_base_stats.c). */
const char *ss_festival_model_file(size_t i);

/* The POS lexicon's candidates for word (looked up case-insensitively as
 * festival does) into out[0..max); returns how many, 0 when the word is not
 * in it. Call only after ss_festival_models_get succeeded. */
#define SS_POS_MAX_CANDIDATES 48
int ss_festival_pos_lookup(const char *word, ss_pos_candidate *out, int max);

#endif
