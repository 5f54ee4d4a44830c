/* Run-time pronunciation lexicon: word -> phones, supplied by the caller
 * (a file or entries added one by one) and consulted BEFORE the built-in
 * CMU lexicon and letter-to-sound rules.
 *
 * Phones are ARPAbet as CMUdict writes them, any case, stress digits on
 * vowels ("HH AH0 L OW1" or "hh ax l ow1"); they are converted to the
 * voice's phone set (festival's radio set: AH0 -> ax, stress 2 -> 0, ...).
 * Also owns the syllabifier used for explicit pronunciations (maximal legal
 * onset), since those bypass flite's own syllabification.
 *
 * A lexicon is immutable after loading and may be shared by threads. */
#ifndef SS_ENGINE_LEXICON_RUNTIME_H
#define SS_ENGINE_LEXICON_RUNTIME_H

#include <stddef.h>

typedef struct ss_lexicon ss_lexicon;

ss_lexicon *ss_lexicon_create(void);
void ss_lexicon_free(ss_lexicon *lex);
/* Adds (or replaces) word -> phones. Checks every phone against the voice's
 * phone set; -1 with a message for an unknown phone or an empty entry. */
int ss_lexicon_add(ss_lexicon *lex, const char *word, const char *phones, char *err,
                   size_t errlen);
/* Loads a file of lines "WORD PH PH PH ..." (blank lines and lines starting
 * with # or ;; ignored). -1 with "file:line: reason" on the first bad line. */
int ss_lexicon_load(ss_lexicon *lex, const char *path, char *err, size_t errlen);
/* The phones for a word (case-insensitive), normalised ("hh ax l ow1"), or NULL. */
const char *ss_lexicon_lookup(const ss_lexicon *lex, const char *word);

/* Pronunciation conversion and syllabification shared with the analyser. */
#define SS_PRON_MAX_PHONES 64
typedef struct {
    char phone[SS_PRON_MAX_PHONES][8];
    int syl_of[SS_PRON_MAX_PHONES]; /* syllable index of each phone */
    int stress[SS_PRON_MAX_PHONES]; /* per syllable: 0/1 */
    int n_phones, n_syls;
} ss_pron;

/* Parses an ARPAbet phone string into the voice's phone set with syllables.
 * -1 with a message for unknown phones, too many phones, or no vowel. */
int ss_pron_parse(const char *phones, ss_pron *out, char *err, size_t errlen);
/* 1 when ph (voice phone set, no digit) is a vowel. */
int ss_phone_is_vowel(const char *ph);

#endif
