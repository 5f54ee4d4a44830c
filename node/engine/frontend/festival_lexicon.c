/* Festival's CMU lexicon addenda (see festival_lexicon.h): the entries of
 * cmulex_addenda whose pronunciation differs from flite's lookup of the same
 * word, transcribed with their stress. Left out: the addenda festival gives
 * two syllables split differently from a maximal onset (it'll, it'd,
 * would've, could've), which ss_pron_parse could not reproduce, and the
 * entries flite already says the same way. No mutable state. */
#include "node/engine/frontend/festival_lexicon.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *word, *phones;
} k_addenda[] = {
    {"aren't", "ae1 r n t"},   {"before", "b iy0 f ao1 r"}, {"bought", "b ao1 t"},
    {"hasn't", "hh ae1 z n t"}, {"haven't", "hh ae1 v n t"}, {"how'd", "hh ow1 d"},
    {"isn't", "ih1 z n t"},    {"mightn't", "m ay1 t n t"}, {"mustn't", "m ah1 s n t"},
    {"that'll", "dh ae1 t l"}, {"there'd", "dh er1 d"},     {"there'll", "dh er1 l"},
    {"there's", "dh er1 z"},   {"they're", "dh er1"},       {"we're", "w iy1 r"},
    {"worf", "w ao1 r f"},     {"you're", "y uw1 r"},
};

const char *ss_festival_lexicon_phones(const char *word)
{
    for (size_t i = 0; i < sizeof k_addenda / sizeof k_addenda[0]; i++)
        if (strcmp(k_addenda[i].word, word) == 0) return k_addenda[i].phones;
    return NULL;
}
