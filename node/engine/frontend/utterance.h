/* The analysed utterance: what the front end hands to the acoustic model.
 *
 * Text is cut into sentences; each sentence is analysed on its own (HTS labels
 * carry utterance-level totals, so a "sentence" here is one HTS utterance).
 * Inside a sentence the structure is the classic hierarchy
 *
 *   phrase -> word -> syllable -> phone
 *
 * kept as flat arrays with index ranges, so it is cheap to walk and to free.
 * Phones include the pauses: one leading and one trailing `pau`, plus one
 * `pau` at every phrase break. Every word keeps the byte range of the text it
 * came from in the caller's ORIGINAL input (not the normalised text), so word
 * timestamps can point back into what the user sent. labels[i] is the HTS
 * full-context label of phones[i]. Everything is owned by the ss_utterance
 * and released by ss_utterance_free(). */
#ifndef SS_ENGINE_UTTERANCE_H
#define SS_ENGINE_UTTERANCE_H

#include <stddef.h>

#define SS_NAME_MAX 8

typedef struct {
    char name[SS_NAME_MAX]; /* phone symbol of the voice's set, e.g. "ax", "pau" */
    int syllable;           /* index into ss_sentence.syls, -1 for a pause */
    int word;               /* index into ss_sentence.words, -1 for a pause */
    int pause_ms;           /* pauses only: requested length (SSML break), 0 = model's */
} ss_phone;

typedef struct {
    int word;               /* owning word */
    int first_phone, n_phones;
    int stress;             /* lexical stress, 0 or 1 (as festival's labels) */
    int accented;           /* 1 when a pitch accent was predicted */
    char accent[SS_NAME_MAX];  /* "H*", "!H*", "L+H*", ... or "NONE" */
    char endtone[SS_NAME_MAX]; /* "L-L%", "H-", ... or "NONE" */
    int brk;                /* break index after it: 0 word-internal, 1 word, 4 phrase */
} ss_syllable;

typedef struct {
    char *text;             /* the spoken form: lower-case word as analysed */
    size_t src_start;       /* byte range in the caller's original input */
    size_t src_end;
    char gpos[SS_NAME_MAX]; /* festival/flite guessed POS class: content, det, in, ... */
    int first_syl, n_syls;
    int phrase;             /* owning phrase */
    int brk;                /* break after: 1 none, 4 phrase break */
    int pause_ms;           /* explicit pause after (SSML break), 0 none */
    double rate;            /* SSML prosody: 1.0 = default speaking rate */
    double pitch_st;        /* SSML prosody: pitch shift in semitones */
    int emphasis;           /* SSML <emphasis>: forces a pitch accent (festival's EMPH) */
} ss_word;

typedef struct {
    int first_word, n_words;
} ss_phrase;

typedef struct {
    ss_word *words;         size_t n_words;
    ss_syllable *syls;      size_t n_syls;
    ss_phone *phones;       size_t n_phones;
    ss_phrase *phrases;     size_t n_phrases;
    char **labels;          /* n_phones HTS_TTS_ENG labels */
} ss_sentence;

typedef struct ss_utterance {
    ss_sentence *sentences;
    size_t n_sentences;
} ss_utterance;

/* Frees everything (NULL is fine). */
void ss_utterance_free(ss_utterance *u);
/* Frees one sentence's members (not the struct itself). */
void ss_sentence_clear(ss_sentence *s);

#endif
