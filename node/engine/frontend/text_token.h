/* The normaliser's output: speakable words with their source offsets and the
 * prosodic hints the SSML and punctuation gave them. A token's word is always
 * lower-case letters and apostrophes only (what the lexicon can look up),
 * unless `phones` carries an explicit pronunciation (SSML phoneme, or a
 * run-time lexicon hit resolved later). */
#ifndef SS_ENGINE_TEXT_TOKEN_H
#define SS_ENGINE_TEXT_TOKEN_H

#include <stddef.h>

typedef struct {
    char *word;           /* spoken word, lower case */
    size_t src_start;     /* byte range in the original input */
    size_t src_end;
    char punct;           /* punctuation right after the word: , . ? ! ; : or 0 */
    int sentence_end;     /* a sentence ends after this word */
    int phrase_break;     /* forced phrase break after (SSML break, p, s) */
    int pause_ms;         /* requested pause after, ms (SSML break time) */
    char *phones;         /* explicit pronunciation "hh ax0 l ow1" or NULL */
    double rate;          /* SSML prosody rate factor (1 = default) */
    double pitch_st;      /* SSML prosody pitch, semitones */
    int emphasis;         /* inside SSML <emphasis> (not level="none"/"reduced") */
} ss_token;

typedef struct {
    ss_token *v;
    size_t n, cap;
} ss_token_list;

/* Appends a token (copies word and phones). 0 ok, -1 out of memory. */
int ss_token_list_push(ss_token_list *l, const char *word, size_t len, size_t src_start,
                       size_t src_end, const char *phones);
void ss_token_list_free(ss_token_list *l);

#endif
