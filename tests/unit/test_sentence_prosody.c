/* Unit tests for node/engine/synth/sentence_prosody: SSML marks on the
 * utterance -> per-label prosody. */
#include "node/engine/synth/sentence_prosody.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(sentence_prosody, maps_breaks_and_word_prosody)
{
    ss_word words[2];
    memset(words, 0, sizeof words);
    words[0].rate = 1.0;
    words[1].rate = 0.5;
    words[1].pitch_st = 3.0;
    ss_phone phones[5];
    memset(phones, 0, sizeof phones);
    int word_of[5] = {-1, 0, -1, 1, -1};
    for (int i = 0; i < 5; i++) {
        phones[i].word = word_of[i];
        phones[i].syllable = word_of[i];
    }
    phones[2].pause_ms = 400;
    ss_sentence se;
    memset(&se, 0, sizeof se);
    se.words = words;
    se.n_words = 2;
    se.phones = phones;
    se.n_phones = 5;
    ss_label_prosody *p = NULL;
    char err[64];
    cr_assert_eq(ss_sentence_prosody(&se, &p, err, sizeof err), 0);
    cr_assert_not_null(p);
    cr_assert_eq(p[2].pause_ms, 400);
    cr_assert_float_eq(p[3].rate, 0.5, 1e-12);
    cr_assert_float_eq(p[3].pitch, 3.0, 1e-12);
    cr_assert_float_eq(p[1].rate, 1.0, 1e-12);
    cr_assert_eq(p[0].pause_ms, 0);
    free(p);
    /* nothing to apply -> NULL */
    words[1].rate = 1.0;
    words[1].pitch_st = 0.0;
    phones[2].pause_ms = 0;
    cr_assert_eq(ss_sentence_prosody(&se, &p, err, sizeof err), 0);
    cr_assert_null(p);
}
