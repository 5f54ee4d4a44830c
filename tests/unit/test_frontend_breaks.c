/* Unit tests for festival's POS tagger and phrase-break model as ported
 * (pos_tagger, phrase_break_model over festival's own data, read through
 * festival_models/est_ngram): tags and B / NB per word, punctuation as words,
 * exactly as festival 2.5 gives them for the slt voice (its Word relation
 * after the POS and Phrasify modules, dumped with festival itself). */
#include <criterion/criterion.h>
#include <string.h>

#include "node/engine/frontend/festival_models.h"
#include "node/engine/frontend/phrase_break_model.h"
#include "node/engine/frontend/pos_tagger.h"

typedef struct {
    const char *words[20];
    const char *tags[20];
    const char *breaks; /* one char per word: B or . */
    const char *inside; /* one char per word: 1 = not the last word of its token */
} break_case;

static const break_case CASES[] = {
    {{"the", "birch", "canoe", "slid", "on", "the", "smooth", "planks", ",", "and", "it", "sank",
      "before", "dawn", "."},
     {"dt", "nnp", "nnp", "vbd", "in", "dt", "jj", "nn", "punc", "cc", "prp", "vbd", "in", "nn",
      "punc"},
     "........B.....B",
     "000000010000010"},
    {{"my", "brother", "'s", "dog", "ran", "across", "the", "street", "to", "chase", "the",
      "neighbor", "'s", "cat", "."},
     {"prp", "nn", "pos", "nn", "vbd", "in", "dt", "nnp", "to", "vb", "dt", "nn", "pos", "nnp",
      "punc"},
     "...B...B......B",
     "010000000001010"},
    {{"when", "the", "sun", "rose", ",", "the", "birds", "began", "to", "sing", ",", "and", "the",
      "farmer", "went", "out", "to", "the", "field", "."},
     {"wrb", "dt", "nnp", "vbd", "punc", "dt", "nns", "vbd", "to", "vb", "punc", "cc", "dt", "nn",
      "vbd", "rp", "to", "dt", "nn", "punc"},
     "....B.....B........B",
     "00010000010000000010"},
};

Test(frontend_breaks, festival_tags_and_breaks)
{
    char err[256] = "";
    const ss_festival_models *m = ss_festival_models_get(err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const break_case *k = &CASES[c];
        size_t n = 0;
        while (n < 20 && k->words[n]) n++;
        int tags[20], brk[20];
        cr_assert_eq(ss_pos_tag(m, k->words, n, tags, err, sizeof err), 0, "%s", err);
        ss_break_word bw[20];
        for (size_t i = 0; i < n; i++) {
            const char *t = m->pos_trigram.vocab[tags[i]];
            cr_expect_str_eq(t, k->tags[i], "case %zu word '%s'", c, k->words[i]);
            bw[i].wp20 = ss_pos_wp20(t);
            bw[i].inside_token = k->inside[i] == '1';
        }
        cr_assert_eq(ss_phrase_break_predict(m, bw, n, brk, err, sizeof err), 0, "%s", err);
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(brk[i], k->breaks[i] == 'B', "case %zu word '%s': break %d", c,
                         k->words[i], brk[i]);
    }
}

Test(frontend_breaks, unknown_words_and_numbers_get_festival_candidates)
{
    char err[256] = "";
    cr_assert_not_null(ss_festival_models_get(err, sizeof err), "%s", err);
    ss_pos_candidate c[SS_POS_MAX_CANDIDATES];
    cr_expect_eq(ss_festival_pos_lookup("zzyzxq", c, SS_POS_MAX_CANDIDATES), 0);
    cr_expect_eq(ss_festival_pos_lookup("_OOV_", c, SS_POS_MAX_CANDIDATES), 12);
    cr_expect_eq(ss_festival_pos_lookup("_number_", c, SS_POS_MAX_CANDIDATES), 4);
    int n = ss_festival_pos_lookup("The", c, SS_POS_MAX_CANDIDATES); /* case-insensitive */
    cr_expect_eq(n, 7);
    cr_expect_eq(ss_festival_pos_lookup("!", c, SS_POS_MAX_CANDIDATES), 1);
}
